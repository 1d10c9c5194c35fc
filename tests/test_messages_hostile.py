"""Every Messages, sms_info and check_catalogs entry point refuses hostile input with our errors.

Each refusal is a ``MigrantCareError`` that also subclasses the fitting builtin, quotes at
most a bounded prefix of a value, and never quotes a text value at all (it may be a
worker's name or passport number).
"""

from __future__ import annotations

import datetime as dt
import decimal
import pathlib
from collections.abc import Hashable

import pendulum
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from migrantcare import (
    CatalogProblem,
    MessageRef,
    Messages,
    Money,
    Plural,
    SmsInfo,
    check_catalogs,
    sms_info,
)
from migrantcare.exceptions import (
    CatalogError,
    DateOutOfRangeError,
    InvalidArgumentError,
    MigrantCareError,
    MissingMessageError,
    NaiveDatetimeError,
    UnknownTimezoneError,
    WrongTypeError,
)

from .strategies import ACCEPT_LANGUAGE, HOSTILE_NAMES, HOSTILE_VALUES, LONE_SURROGATES

M = Messages.default()
T = M.with_messages("id", {"t.one": "Nilai: {v}.", "t.two": "{name}: {v}"}).with_messages(
    "en", {"t.one": "Value: {v}.", "t.two": "{name}: {v}"}
)
SECRET = "Siti Aminah 3171234567890001"
#: No error message may be longer than this, whatever the input.
MAX_MESSAGE = 600


def assert_ours(exc: BaseException) -> None:
    """A migrantcare error, also a fitting builtin, short, with no personal data.

    Argument names (a locale, a zone, a key) may be quoted, bounded; ``SECRET`` is only
    ever passed as a value, so it must never appear.
    """
    assert isinstance(exc, MigrantCareError), repr(exc)
    assert isinstance(exc, TypeError | ValueError | LookupError), type(exc).__mro__
    text = str(exc)
    assert len(text) <= MAX_MESSAGE, len(text)
    assert SECRET not in text
    assert "3171234567890001" not in text


def refused(fn: object, *args: object, **kwargs: object) -> MigrantCareError:
    with pytest.raises(MigrantCareError) as info:
        fn(*args, **kwargs)  # type: ignore[operator]
    assert_ours(info.value)
    return info.value


class TestValues:
    @given(value=HOSTILE_VALUES, locale=st.sampled_from(["id", "en", "en-US"]))
    def test_hostile_values_are_refused(self, value: object, locale: str) -> None:
        refused(T.render, "t.one", locale, v=value)
        refused(T.render_html, "t.one", locale, tz="Asia/Jakarta", v=value)
        # beside a worker's name and NIK, which the error must not repeat
        refused(T.render, "t.two", locale, name=SECRET, v=value)

    @given(value=HOSTILE_VALUES)
    def test_hostile_values_inside_a_list_are_refused(self, value: object) -> None:
        refused(T.render, "t.one", "id", v=["paspor", value])

    @pytest.mark.parametrize(
        ("value", "error", "builtin"),
        [
            (None, WrongTypeError, TypeError),
            (float("nan"), InvalidArgumentError, ValueError),
            (decimal.Decimal("sNaN"), InvalidArgumentError, ValueError),
            (decimal.Decimal("1e999999"), InvalidArgumentError, ValueError),
            (10**5000, InvalidArgumentError, ValueError),
            ("a\ud800b", InvalidArgumentError, ValueError),
            ("x" * 2_000_000, InvalidArgumentError, ValueError),
            ([["x"]], WrongTypeError, TypeError),
            (dt.datetime(2026, 3, 25, 16), NaiveDatetimeError, ValueError),
            ({"a": 1}, WrongTypeError, TypeError),
        ],
        ids=[
            "none",
            "nan",
            "snan",
            "huge-decimal",
            "huge-int",
            "surrogate",
            "2MB",
            "nested",
            "naive",
            "dict",
        ],
    )
    def test_each_class_gets_its_error(
        self, value: object, error: type[Exception], builtin: type[Exception]
    ) -> None:
        exc = refused(T.render, "t.one", "id", v=value)
        assert isinstance(exc, error)
        assert isinstance(exc, builtin)

    def test_a_cycle_is_refused_not_a_recursion_error(self) -> None:
        cyclic: list[object] = []
        cyclic.append(cyclic)
        refused(T.render, "t.one", "id", v=cyclic)

    def test_extreme_instants_in_the_recipients_zone(self) -> None:
        early = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
        late = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
        exc = refused(T.render, "t.one", "en", tz="Pacific/Honolulu", v=early)
        assert isinstance(exc, DateOutOfRangeError)
        exc = refused(T.render, "t.one", "en", tz="Asia/Jayapura", v=late)
        assert isinstance(exc, DateOutOfRangeError)
        assert T.render("t.one", "en", tz="Asia/Jayapura", v=early).startswith("Value: Monday")

    def test_text_values_are_never_quoted(self) -> None:
        exc = refused(T.render, "t.one", "id", v=SECRET + "\udc00")
        assert "lone surrogate at index 28" in str(exc)
        exc = refused(T.render, "t.one", "id", v=SECRET * 10_000)
        assert "280,000 characters" in str(exc)
        # a missing value lists the names given, never their values
        exc = refused(M.render, "sla.breach", "id", case_number=SECRET)
        assert "case_number" in str(exc)

    def test_plural_count_must_be_a_bounded_int(self) -> None:
        for count in (None, "3", 3.0, True, 10**30):
            refused(M.render, "unit.days", "id", count=count)
        assert M.render("unit.days", "en", count=-1) == "-1 days"

    def test_value_types_refuse_hostile_fields(self) -> None:
        for amount in (None, float("nan"), float("inf"), "NaN", "Infinity", "1e999", "abc", True):
            exc = refused(Money, amount)
        assert isinstance(exc, WrongTypeError)  # a bool is not an amount
        refused(Money, 10**19)
        refused(Money, 5, None)
        refused(Money, 5, "rupiah")
        refused(Plural, None, 3)
        refused(Plural, "unit.days", "3")
        refused(Plural, "unit.days", True)
        refused(MessageRef, 42)
        refused(MessageRef, "\ud800")
        assert Money("18500000.50").amount == decimal.Decimal("18500000.50")
        assert Money(0.1).amount == decimal.Decimal("0.1")


class TestArguments:
    @given(name=HOSTILE_NAMES)
    def test_hostile_locales(self, name: object) -> None:
        exc = refused(M.render, "unit.days", name, count=2)
        assert isinstance(exc, WrongTypeError | InvalidArgumentError | MissingMessageError)
        refused(M.keys, name)
        refused(M.placeholders, "unit.days", name)

    @given(name=HOSTILE_NAMES)
    def test_hostile_keys(self, name: object) -> None:
        refused(M.render, name, "id")
        refused(M.placeholders, name, "id")

    @given(name=HOSTILE_NAMES)
    def test_hostile_zones_and_channels(self, name: object) -> None:
        if name is None:
            return  # no zone: each value's own
        exc = refused(T.render, "t.one", "id", tz=name, v="x")
        assert isinstance(exc, WrongTypeError | InvalidArgumentError | UnknownTimezoneError)
        if (
            not isinstance(name, str)
            or len(name) > 64
            or any("\ud800" <= c <= "\udfff" for c in name)
        ):
            if name is not None:
                refused(T.render, "t.one", "id", channel=name, v="x")
        else:  # an unknown channel falls back to the message itself
            assert T.render("t.one", "id", channel=name, v="x") == "Nilai: x."

    @given(header=ACCEPT_LANGUAGE)
    def test_negotiate_returns_a_locale_or_refuses(self, header: str) -> None:
        try:
            found = M.negotiate(header)
        except MissingMessageError as exc:
            assert_ours(exc)
        else:
            assert found in M.locales

    @given(name=HOSTILE_NAMES)
    def test_negotiate_hostile(self, name: object) -> None:
        refused(M.negotiate, name)

    def test_negotiate_default_must_be_available(self) -> None:
        refused(M.negotiate, "fr", default="fr")
        assert M.negotiate("fr", default="en") == "en"


class TestOverrides:
    @given(locale=HOSTILE_NAMES)
    def test_with_messages_refuses_hostile_locales(self, locale: object) -> None:
        try:
            added = M.with_messages(locale, {"t.x": "x"})  # type: ignore[arg-type]
        except (WrongTypeError, InvalidArgumentError, CatalogError) as exc:
            assert_ours(exc)
        else:  # random text can be a real locale ("af")
            assert isinstance(locale, str)
            assert added.render("t.x", locale) == "x"

    def test_unknown_locale_is_a_catalog_error(self) -> None:
        for locale in ("xx", "xx_YY", "klingon", "en_ZZZ"):
            exc = refused(M.with_messages, locale, {"t.x": "x"})
            assert isinstance(exc, CatalogError)

    @given(key=HOSTILE_NAMES, text=st.one_of(HOSTILE_NAMES, st.just("{a.b}"), st.just("{")))
    def test_with_messages_refuses_hostile_entries(self, key: object, text: object) -> None:
        assume(isinstance(key, Hashable))
        try:
            M.with_messages("id", {key: text})  # type: ignore[dict-item]
        except MigrantCareError as exc:
            assert_ours(exc)

    def test_with_messages_refuses_wrong_containers(self) -> None:
        for messages in (None, [("a", "b")], "a=b", 3):
            exc = refused(M.with_messages, "id", messages)
            assert isinstance(exc, WrongTypeError)
        refused(M.with_messages, "id", {"t.x": None})
        refused(M.with_messages, "id", {None: "x"})
        refused(M.with_messages, "id", {"t.x": "x\ud800"})
        refused(M.with_messages, "id", {"t.x": "{" * 30_000})

    def test_date_patterns_are_validated_in_overrides(self) -> None:
        refused(M.with_messages, "id", {"_format.date": "EEEE, d MMMM y HH.mm"})  # hours
        refused(M.with_messages, "id", {"_format.datetime": "d MMMMMMMM y"})  # too many M
        refused(M.with_messages, "id", {"_format.datetime": "d MMMM y HH:mm 'h"})
        refused(M.with_messages, "id", {"_format.datetime": "d MMMM y"})  # no time
        refused(M.with_messages, "id", {"_format.date": "'tanggal'"})  # no fields
        ok = M.with_messages("id", {"_format.datetime": "d/M/y HH:mm"})
        due = pendulum.datetime(2026, 3, 25, 16, tz="Asia/Jakarta")
        v = {"case_number": "P", "goal": "g", "office": "O", "due": due, "provisional": ""}
        expected = M.render("sla.breach", "id", **v)
        assert ok.render("sla.breach", "id", **v) == expected.replace(
            "Rabu, 25 Maret 2026 16.00", "25/3/2026 16:00"
        )


class TestCatalogEntryPoints:
    @given(directory=st.one_of(st.none(), st.integers(), st.binary(max_size=3), LONE_SURROGATES))
    def test_hostile_directories(self, directory: object) -> None:
        refused(check_catalogs, directory)
        refused(Messages.from_directories, directory)
        refused(M.with_directory, directory)

    def test_flags_and_value_types(self) -> None:
        refused(check_catalogs, include_default="no")
        refused(check_catalogs, include_default=None)
        refused(CatalogProblem, "syntax", None, "k", "d")
        refused(CatalogProblem, "syntax", "id", "k", "d", line="3")
        refused(SmsInfo, "GSM-7", True, 1)

    def test_paths_that_cannot_exist(self, tmp_path: pathlib.Path) -> None:
        refused(check_catalogs, "a\x00b")
        refused(check_catalogs, "x" * 5000)
        exc = refused(check_catalogs, tmp_path / "absent")
        assert isinstance(exc, MissingMessageError)
        exc = refused(check_catalogs, tmp_path)  # exists, holds no catalog
        assert isinstance(exc, CatalogError)
        assert "holds no catalog" in str(exc)


class TestSmsInfo:
    @given(value=st.one_of(st.none(), st.integers(), st.binary(), st.lists(st.text())))
    def test_wrong_types(self, value: object) -> None:
        assert isinstance(refused(sms_info, value), WrongTypeError)

    @given(text=LONE_SURROGATES)
    def test_lone_surrogates(self, text: str) -> None:
        assert isinstance(refused(sms_info, "Halo " + text), InvalidArgumentError)
