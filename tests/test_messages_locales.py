"""Locale tags and Accept-Language headers; labels never fall back to English silently."""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest
from babel import Locale
from babel.dates import parse_pattern
from hypothesis import given
from hypothesis import strategies as st

from migrantcare import CATEGORIES, Messages, WorkingCalendar, complaint_workflow
from migrantcare._locales import label_language, preferred_tags
from migrantcare.exceptions import InvalidArgumentError, MissingMessageError
from migrantcare.messages._datefmt import compile_pattern

from .strategies import aware_datetimes

M = Messages.default()


@pytest.mark.parametrize(
    ("tag", "locale"),
    [
        ("id", "id"),
        ("en", "en"),
        ("en-US", "en"),
        ("id-ID", "id"),
        ("en_GB", "en"),
        ("EN-gb", "en"),
        ("in", "id"),  # the withdrawn ISO 639 code of Indonesian
        ("id-ID,id;q=0.9,en;q=0.8", "id"),
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", "en"),
        ("en;q=0.2, id;q=0.9", "id"),
        ("id;q=0, en", "en"),
        ("fr, id;q=bad, en;q=0.1", "en"),
    ],
)
def test_tags_and_headers_resolve(tag: str, locale: str) -> None:
    assert M.negotiate(tag) == locale
    assert M.render("unit.working_days", tag, count=2) == M.render(
        "unit.working_days", locale, count=2
    )


@pytest.mark.parametrize("tag", ["fr", "zh-TW", "*", "", "de;q=1, fr", "id;q=0"])
def test_nothing_fits_is_loud(tag: str) -> None:
    with pytest.raises(MissingMessageError, match="no catalog for locale"):
        M.render("unit.days", tag, count=2)
    with pytest.raises(MissingMessageError):
        M.negotiate(tag)
    assert M.negotiate(tag, default="id") == "id"


@pytest.mark.parametrize(
    "header",
    [
        "id-ID," + ",".join(f"x{i:05d}" for i in range(200)),  # 1,205 characters
        "id-ID,id;q=0.9," + " " * 2000,
        "id-ID,\u00e9n;q=0.5",  # not ASCII
    ],
    ids=["many-ranges", "padded", "non-ascii"],
)
def test_a_hostile_header_gives_the_default_when_there_is_one(header: str) -> None:
    # An Accept-Language header is whatever a client sent: with a default the host has
    # said what to answer when the header is of no use, so it answers that.
    assert M.negotiate(header, default="en") == "en"
    with pytest.raises(InvalidArgumentError, match="default="):
        M.negotiate(header)


def test_scripts_are_never_crossed(tmp_path: pathlib.Path) -> None:
    folder = tmp_path / "zh_Hant" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "migrantcare.po").write_text(
        'msgid "_format.datetime"\nmsgstr "y年M月d日 EEEE HH:mm"\n\n'
        'msgid "t.hello"\nmsgstr "您好"\n',
        encoding="utf-8",
    )
    messages = M.with_directory(tmp_path)
    assert messages.negotiate("zh-TW") == "zh_Hant"  # CLDR: Taiwan writes Traditional
    assert messages.negotiate("zh-Hant-HK") == "zh_Hant"
    assert messages.render("t.hello", "zh-TW") == "您好"
    for simplified in ("zh-CN", "zh", "zh-Hans"):
        with pytest.raises(MissingMessageError):
            messages.negotiate(simplified)


def test_a_region_catalog_wins_over_the_language(tmp_path: pathlib.Path) -> None:
    folder = tmp_path / "en_GB" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "migrantcare.po").write_text('msgid "t.colour"\nmsgstr "colour"\n', encoding="utf-8")
    messages = M.with_directory(tmp_path)
    assert messages.negotiate("en-GB") == "en_GB"
    assert messages.negotiate("en-US") == "en"
    assert messages.negotiate("en-AU,en-GB;q=0.5") == "en"


def test_preferred_tags_order() -> None:
    assert preferred_tags("id-ID,id;q=0.9,en;q=0.8,*;q=0.1") == ("id_ID", "id", "en")
    assert preferred_tags("a;q=0.5, b, c;q=0.5") == ("b", "a", "c")
    assert preferred_tags("en;q=1.5, 12, x-y-z-, id") == ("id",)


class TestLabels:
    def test_language_variants(self) -> None:
        state = complaint_workflow(sla=False).state("in_handling")
        assert state.label("id-ID") == state.label("id") == state.label("in")
        assert state.label("en_GB") == state.label("en-US") == state.label("en")
        assert state.label("fr-FR, id;q=0.5") == state.label("id")

    @pytest.mark.parametrize("lang", ["fr", "ms", "zh-TW", "", "*"])
    def test_no_label_language_is_refused(self, lang: str) -> None:
        state = complaint_workflow(sla=False).state("in_handling")
        (holiday,) = WorkingCalendar.indonesia(first_year=2026, last_year=2026).holidays_on(
            dt.date(2026, 3, 21)
        )
        term = CATEGORIES.term("unpaid_wages")
        for label in (state.label, term.label, holiday.name):
            with pytest.raises(MissingMessageError, match="labels exist in 'id'"):
                label(lang)
        with pytest.raises(LookupError):
            label_language(lang)

    def test_a_locale_without_labels_does_not_render_english(self, tmp_path: pathlib.Path) -> None:
        msgs = M.with_messages("ms", {"t.status": "Status: {s}"})
        state = complaint_workflow(sla=False).state("in_handling")
        with pytest.raises(MissingMessageError, match="labels exist in 'id' and 'en' only"):
            msgs.render("t.status", "ms", s=state)
        assert msgs.render("t.status", "ms", s="Dalam tindakan") == "Status: Dalam tindakan"


PATTERNS = st.sampled_from(
    [
        "EEEE, d MMMM y HH.mm",
        "EEEE, d MMMM y, HH:mm",
        "EEE d MMM yyyy H:m:s",
        "EEEEE EEEEEE d/M/yy h:mm a",
        "LLLL y 'pukul' HH''mm",
        "y年M月d日 EEEE HH:mm",
        "dd.MM.y G",
    ]
)


@given(
    value=aware_datetimes(min_year=1900, max_year=2100),
    pattern=PATTERNS,
    locale=st.sampled_from(["id", "en", "en_GB", "zh_Hant", "ms", "ar"]),
)
def test_compiled_patterns_equal_babel(value: dt.datetime, pattern: str, locale: str) -> None:
    babel_locale = Locale.parse(locale)
    expected = parse_pattern(pattern).apply(value, babel_locale)
    assert compile_pattern(pattern, babel_locale)(value) == expected
    date_pattern = pattern.split(" H", maxsplit=1)[0].split(" h", maxsplit=1)[0]
    day = value.date()
    assert compile_pattern(date_pattern, babel_locale)(day) == parse_pattern(date_pattern).apply(
        day, babel_locale
    )
