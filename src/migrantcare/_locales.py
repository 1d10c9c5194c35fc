"""Locale tags and Accept-Language headers, resolved to the locales a host has.

A recipient's language arrives as ``"id"``, ``"en-US"``, ``"id_ID"``, ``"zh-TW"`` or a whole
HTTP ``Accept-Language`` header. Each preferred tag is parsed by Babel (which fills in
the likely script from CLDR, so ``zh-TW`` is Traditional Chinese) and matched by BCP 47
lookup: the exact locale first, then the same language and script with the same region
or with no region. A region never changes the script and a language never falls back to
another language: when nothing matches, the caller is told, never answered in English.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.core import get_global

from migrantcare._po import quote
from migrantcare.exceptions import InvalidArgumentError, MissingMessageError, WrongTypeError

#: Longest Accept-Language header or tag accepted (browsers send well under 200 characters).
MAX_TAG_CHARS = 1024
#: Most language ranges read from one Accept-Language header.
MAX_RANGES = 32
_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")
_Q = re.compile(r"^\s*q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\s*$", re.IGNORECASE)


def check_tag(value: object, what: str = "locale") -> str:
    """Return ``value`` if it is a str that can be a tag or header, else raise a clear error."""
    if not isinstance(value, str):
        raise WrongTypeError(
            f"{what} must be a str such as 'id', 'en-US' or an Accept-Language header, "
            f"got {type(value).__name__}"
        )
    if len(value) > MAX_TAG_CHARS:
        raise InvalidArgumentError(
            f"{what} {quote(value)} is {len(value)} characters long; at most {MAX_TAG_CHARS}"
        )
    if not value.isascii():
        raise InvalidArgumentError(
            f"{what} {quote(value)} is not ASCII; locale tags are ASCII (e.g. 'id-ID')"
        )
    return value


def preferred_tags(header: str) -> tuple[str, ...]:
    """The language tags of ``header`` in order of preference (``q`` high to low).

    A plain tag (``"en-US"``) is a header of one range. Malformed ranges, ``*`` and
    ``q=0`` are left out, as RFC 9110 asks.

    Examples:
        >>> preferred_tags("id-ID,id;q=0.9,en;q=0.8,*;q=0.1")
        ('id_ID', 'id', 'en')
    """
    ranges: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:MAX_RANGES]):
        tag, *params = item.split(";")
        tag = tag.strip()
        weight = _weight(params)
        if weight <= 0 or not _TAG.match(tag):
            continue
        ranges.append((-weight, position, tag.replace("-", "_")))
    ranges.sort()
    return tuple(tag for _, _, tag in ranges)


def _weight(params: list[str]) -> float:
    """The ``q`` weight of a range's parameters: 1 by default, -1 if one is malformed."""
    weight = 1.0
    for param in params:
        match = _Q.match(param)
        if match is None:
            return -1.0  # a malformed weight: ignore the range
        weight = float(match.group(1))
    return weight


@functools.lru_cache(maxsize=256)
def _parsed(tag: str) -> tuple[str, str | None, str | None] | None:
    """``(language, script, territory)`` of ``tag`` with CLDR's likely script filled in."""
    try:
        locale = Locale.parse(tag)
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    script = locale.script if locale.script is not None else _likely_script(locale.language)
    return locale.language, script, locale.territory


def _likely_script(language: str) -> str | None:
    """The script CLDR deems likely for ``language`` (``Latn`` for ``id``), if any."""
    likely = get_global("likely_subtags").get(language)
    if not likely:
        return None
    try:
        script: str | None = Locale.parse(likely).script
    except (UnknownLocaleError, ValueError):
        return None
    return script


@functools.lru_cache(maxsize=1024)
def negotiate(header: str, available: tuple[str, ...]) -> str | None:
    """Return the best of ``available`` for ``header``, or ``None``.

    Pure and cached (its arguments are immutable): a host calls it with the same few
    headers again and again.

    Args:
        header: A locale tag (``"en-US"``, ``"id_ID"``) or an Accept-Language header.
        available: The locales on offer, e.g. ``("en", "id")``.
    """
    lowered = {a.lower(): a for a in available}
    parsed = [(a, _parsed(a)) for a in available]
    for tag in preferred_tags(header):
        exact = lowered.get(tag.lower())
        if exact is not None:
            return exact
        wanted = _parsed(tag)
        found = None if wanted is None else _closest(wanted, parsed)
        if found is not None:
            return found
    return None


def _closest(
    wanted: tuple[str, str | None, str | None],
    parsed: list[tuple[str, tuple[str, str | None, str | None] | None]],
) -> str | None:
    """The locale of ``parsed`` in ``wanted``'s language and script, or ``None``.

    The one in ``wanted``'s territory if on offer, else the first without a territory.
    """
    language, script, territory = wanted
    regionless = None
    for name, have in parsed:
        if have is None or have[0] != language or have[1] != script:
            continue
        if have[2] == territory:
            return name
        if have[2] is None and regionless is None:
            regionless = name
    return regionless


LABEL_LANGUAGES = ("en", "id")


def label_language(lang: str) -> Literal["id", "en"]:
    """The language of built-in labels for ``lang``: ``"id"`` or ``"en"``.

    Labels of states, vocabulary terms and holidays exist in Indonesian and English.
    ``"id-ID"``, ``"en_GB"``, ``"in"`` (the old code of Indonesian) and Accept-Language
    headers are negotiated; a language without labels is refused, never answered in
    English.

    Raises:
        WrongTypeError: ``lang`` is not a str.
        MissingMessageError: neither Indonesian nor English is acceptable for ``lang``.

    Examples:
        >>> label_language("id-ID"), label_language("fr-CH, en;q=0.5")
        ('id', 'en')
    """
    if lang == "id":  # the common cases, without a lookup
        return "id"
    if lang == "en":
        return "en"
    found = negotiate(check_tag(lang, "language"), LABEL_LANGUAGES)
    if found is None:
        raise MissingMessageError(
            f"no labels in language {quote(lang)}: labels exist in 'id' (Indonesian) and "
            "'en' (English); choose one (e.g. with Messages.negotiate) or render your own text"
        )
    return "id" if found == "id" else "en"


def in_language(lang: str, text_id: str, text_en: str) -> str:
    """Return ``text_id`` or ``text_en``: the one language choice for every built-in label.

    ``lang`` is negotiated by :func:`~migrantcare._locales.label_language` (``"id-ID"``,
    ``"en_GB"``, Accept-Language headers work); a language with no label raises
    ``MissingMessageError`` instead of quietly answering in English.
    """
    return text_id if label_language(lang) == "id" else text_en
