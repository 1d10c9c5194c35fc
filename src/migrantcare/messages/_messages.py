"""Bilingual message catalogs: gettext ``.po`` files, safe templates, Babel formatting.

Catalogs live in Babel-style locale folders (``<dir>/<locale>/LC_MESSAGES/migrantcare.po``).
They are read strictly (see :mod:`migrantcare._po`) and compiled once when loaded: each
template is parsed into literal text and placeholder names, so rendering is a join, never
``str.format``; each locale's date patterns are compiled into plain formatters.

Every value handed to a :class:`Messages` method is checked before use, and refused with
a :class:`~migrantcare.exceptions.MigrantCareError` that names the placeholder and the
type, never the value (values are a worker's name, a passport number, a phone number).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import gettext
import html
import importlib.resources
import math
import os
import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

import attrs
import pendulum
from babel import Locale, UnknownLocaleError
from babel.dates import tokenize_pattern
from babel.lists import format_list
from babel.messages.plurals import get_plural
from babel.numbers import format_currency, format_decimal

from migrantcare._locales import check_tag, negotiate
from migrantcare._po import PoEntry, PoFile, quote, read_po_file
from migrantcare._time import zone
from migrantcare._vocab import Term
from migrantcare.calendar._holidays import Holiday
from migrantcare.exceptions import (
    CatalogError,
    DateOutOfRangeError,
    InvalidArgumentError,
    MissingMessageError,
    NaiveDatetimeError,
    WrongTypeError,
)
from migrantcare.messages._datefmt import compile_pattern

DOMAIN = "migrantcare"
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
#: Catalog keys that hold Babel date patterns rather than text.
FORMAT_KEYS = ("_format.date", "_format.datetime")
_FORMATTER = string.Formatter()
_SURROGATE = re.compile("[\ud800-\udfff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

#: Largest absolute number or amount of money rendered (a quintillion): larger ones are
#: refused, so a hostile value cannot make Babel build a million-digit string.
MAX_NUMBER: Final = 10**18
#: Longest text value substituted into a message, in characters.
MAX_VALUE_CHARS: Final = 100_000
#: Longest template (one ``msgstr``) or message key, in characters.
MAX_TEMPLATE_CHARS: Final = 20_000
MAX_KEY_CHARS: Final = 200
#: Most items in a list value (lists of lists are refused).
MAX_LIST_ITEMS: Final = 1_000
#: Most time zones and locale tags remembered by one ``Messages`` (more are looked up anew).
_CACHE_LIMIT = 1_024

#: One compiled template: (literal, placeholder name or None) pairs.
Compiled = tuple[tuple[str, str | None], ...]


def check_text(value: object, what: object, limit: int = MAX_VALUE_CHARS) -> str:
    """Return ``value`` if it is a str of at most ``limit`` characters without lone surrogates.

    The error names ``what`` and the problem, never the text (it may be personal data).

    Raises:
        WrongTypeError: ``value`` is not a str.
        InvalidArgumentError: it is too long or holds a lone surrogate (not encodable).
    """
    if value.__class__ is not str and not isinstance(value, str):
        raise WrongTypeError(f"{what} must be a str, got {type(value).__name__}")
    if len(value) > limit:
        raise InvalidArgumentError(
            f"{what} is {len(value):,} characters long; at most {limit:,} are accepted"
        )
    if not value.isascii():
        bad = _SURROGATE.search(value)
        if bad is not None:
            raise InvalidArgumentError(
                f"{what} holds a lone surrogate at index {bad.start()} (U+{ord(bad.group()):04X}); "
                "it cannot be encoded as UTF-8 or sent: pass valid Unicode text"
            )
    return value


def _finite_number(value: object, what: object) -> decimal.Decimal | int | float:
    """Return ``value`` if it is a finite int, float or Decimal within ``MAX_NUMBER``."""
    if isinstance(value, bool):
        raise WrongTypeError(f"{what} is a bool; pass a number (or words from the catalog)")
    if isinstance(value, int):
        if -MAX_NUMBER <= value <= MAX_NUMBER:
            return value
        raise _too_large(what)
    if isinstance(value, float):
        return _finite_float(value, what)
    if isinstance(value, decimal.Decimal):
        return _finite_decimal(value, what)
    raise WrongTypeError(f"{what} must be an int, float or Decimal, got {type(value).__name__}")


def _finite_float(value: float, what: object) -> float:
    if not math.isfinite(value):
        raise InvalidArgumentError(f"{what} is not a finite number (NaN or infinity)")
    if abs(value) <= MAX_NUMBER:
        return value
    raise _too_large(what)


def _finite_decimal(value: decimal.Decimal, what: object) -> decimal.Decimal:
    if not value.is_finite():
        raise InvalidArgumentError(f"{what} is not a finite number (NaN or infinity)")
    if (value.is_zero() or -24 <= value.adjusted() <= 18) and abs(value) <= MAX_NUMBER:
        return value
    if value.adjusted() < -24:
        raise InvalidArgumentError(f"{what} is too close to zero to render (below 1e-24)")
    raise _too_large(what)


def _too_large(what: object) -> InvalidArgumentError:
    return InvalidArgumentError(f"{what} is too large: at most {MAX_NUMBER:.0e} in absolute value")


def _decimal(value: object) -> decimal.Decimal:
    if isinstance(value, str):
        text = check_text(value, "an amount of money", 64)
        try:
            value = decimal.Decimal(text.strip())
        except decimal.InvalidOperation:
            raise InvalidArgumentError(
                f"an amount of money must be a number, got the text {quote(text)}"
            ) from None
    number = _finite_number(value, "an amount of money")
    if isinstance(number, float):
        return decimal.Decimal(repr(number))  # 0.1 stays 0.1, not 0.1000000000000000055…
    return decimal.Decimal(number)


_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _currency(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, str):
        raise WrongTypeError(
            f"currency must be an ISO 4217 code as str, got {type(value).__name__}"
        )
    if not _CURRENCY.match(value):
        raise InvalidArgumentError(
            f"currency {quote(value)} is not an ISO 4217 code such as 'IDR', 'HKD' or 'USD'"
        )


@attrs.frozen
class Money:
    """An amount of money, formatted by Babel for the recipient's locale.

    ``amount`` is an int, a finite float or Decimal, or a numeric str, at most
    ``MAX_NUMBER`` in absolute value; NaN and infinity are refused.

    Examples:
        >>> Money(18_500_000)
        Money(amount=Decimal('18500000'), currency='IDR')
    """

    amount: decimal.Decimal = attrs.field(converter=_decimal)
    currency: str = attrs.field(default="IDR", validator=_currency)


def _plural_key(_instance: object, _attribute: object, value: Any) -> None:
    check_text(value, "Plural key", MAX_KEY_CHARS)


def _count(_instance: object, _attribute: object, value: Any) -> None:
    if type(value) is not int:
        raise WrongTypeError(f"Plural count must be an int, got {type(value).__name__}")
    _finite_number(value, "Plural count")


@attrs.frozen
class Plural:
    """A count rendered with the plural message ``key`` (``{count}`` in its forms).

    Examples:
        >>> Plural("unit.working_days", 3)
        Plural(key='unit.working_days', count=3)
    """

    key: str = attrs.field(validator=_plural_key)
    count: int = attrs.field(validator=_count)


def _ref_key(_instance: object, _attribute: object, value: Any) -> None:
    check_text(value, "MessageRef key", MAX_KEY_CHARS)


@attrs.frozen
class MessageRef:
    """Another message of the catalog, rendered in the same locale (e.g. a goal's name).

    Examples:
        >>> MessageRef("sla.goal.verification")
        MessageRef(key='sla.goal.verification')
    """

    key: str = attrs.field(validator=_ref_key)


def compile_template(text: str, where: str) -> Compiled:
    """Parse ``text`` into literal parts and placeholder names.

    Raises:
        CatalogError: the template does not parse or uses a refused form.
    """
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError as exc:
        raise CatalogError(f"{where}: template does not parse ({exc}): {quote(text)}") from None
    return tuple(
        (literal, None if name is None else _plain_name(name, spec, conversion, where))
        for literal, name, spec, conversion in parsed
    )


def _plain_name(name: str, spec: str | None, conversion: str | None, where: str) -> str:
    """``name`` if the placeholder is a plain lower-case name, without spec or conversion."""
    if conversion is not None or spec:
        raise CatalogError(
            f"{where}: placeholder {quote(_field(name, spec, conversion))} uses a conversion "
            "or format spec; only plain names such as {due} are allowed"
        )
    if not _NAME.match(name):
        raise CatalogError(
            f"{where}: placeholder {quote('{' + name + '}')} is not a plain lower-case name; "
            "attribute access, indexing and positional fields are refused"
        )
    return name


def _field(name: str, spec: str | None, conversion: str | None) -> str:
    """The placeholder as the template wrote it, e.g. ``{due!r:>10}``."""
    shown_conversion = "!" + conversion if conversion else ""
    shown_spec = ":" + spec if spec else ""
    return f"{{{name}{shown_conversion}{shown_spec}}}"


def placeholders(compiled: Compiled) -> frozenset[str]:
    """The placeholder names of a compiled template."""
    return frozenset(name for _, name in compiled if name is not None)


@attrs.frozen
class _Entry:
    """One message of one locale: a template, or plural forms of one."""

    key: str
    forms: tuple[Compiled, ...]
    plural: bool
    source: str
    line: int = 0

    def names(self) -> frozenset[str]:
        return frozenset().union(*(placeholders(f) for f in self.forms))


def _of(kind: type) -> Callable[[object, Any, Any], None]:
    """An attrs validator that refuses another type with ``WrongTypeError`` (bool is no int)."""

    def check(_instance: object, attribute: Any, value: Any) -> None:
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise WrongTypeError(
                f"{attribute.name} must be {kind.__name__}, got {type(value).__name__}"
            )

    return check


@attrs.frozen
class CatalogProblem:
    """One defect found by :func:`check_catalogs`.

    Attributes:
        kind: ``"syntax"`` (the file or a template is malformed), ``"date_pattern"``,
            ``"missing"``, ``"placeholders"``, ``"plural_forms"``, ``"locale"`` or
            ``"sms_length"``.
        locale: The locale concerned.
        key: The message key concerned (empty for a whole-file problem).
        detail: What is wrong, in words.
        file: The catalog file concerned (empty when the problem has no single file).
        line: The 1-based line in ``file`` (0 when unknown).
    """

    kind: str = attrs.field(validator=_of(str))
    locale: str = attrs.field(validator=_of(str))
    key: str = attrs.field(validator=_of(str))
    detail: str = attrs.field(validator=_of(str))
    file: str = attrs.field(default="", validator=_of(str))
    line: int = attrs.field(default=0, validator=_of(int))

    def __str__(self) -> str:
        where = f"{self.locale}:{self.key}" if self.key else self.locale
        return f"[{self.kind}] {where}: {self.detail}{self._place()}"

    def _place(self) -> str:
        """Where in the files the problem is: `` (file:line)``, `` (file)`` or nothing."""
        if self.line:
            return f" ({self.file}:{self.line})"
        return f" ({self.file})" if self.file else ""


#: Kinds of problem that make a catalog unusable: loading it raises ``CatalogError``.
_FATAL = frozenset({"syntax", "locale", "date_pattern"})
_SAMPLE_DATE = _dt.date(2026, 3, 25)
_SAMPLE_STAMP = _dt.datetime(2026, 3, 25, 16, 30, tzinfo=_dt.timezone.utc)


def _check_date_pattern(key: str, pattern: str, locale: str) -> str:
    """Why ``pattern`` cannot be the ``key`` date pattern of ``locale``, or ``""``.

    Besides parsing, a pattern must be one a reader can act on: day, month and year,
    and for ``_format.datetime`` hour and minute; quotes must be balanced (Babel would
    silently read the rest of an unbalanced pattern as text).
    """
    shape = _pattern_shape_problem(pattern)
    if shape:
        return shape
    is_date = key == "_format.date"
    try:
        fields = _pattern_fields(pattern, locale, is_date=is_date)
    except (ValueError, KeyError, AttributeError, TypeError, IndexError) as exc:
        what = "a date (no hours, minutes or zones)" if is_date else "a date-time"
        return f"{quote(pattern)} is not a Babel pattern for {what}: {quote(str(exc), 80)}"
    return _lacking_fields_problem(pattern, fields, is_date=is_date)


def _pattern_shape_problem(pattern: str) -> str:
    """Why ``pattern`` is refused before Babel reads it (too long, a lone quote), or ``""``."""
    if len(pattern) > 200:
        return f"date pattern is {len(pattern)} characters long; at most 200"
    if pattern.replace("''", "").count("'") % 2:
        return f"{quote(pattern)} has an unbalanced quote (write '' for a literal quote)"
    return ""


def _lacking_fields_problem(pattern: str, fields: set[str], *, is_date: bool) -> str:
    """Which of the fields a reader needs ``pattern`` does not show, in words, or ``""``."""
    needed = _DATE_FIELDS if is_date else _DATE_FIELDS + _TIME_FIELDS
    lacking = [name for chars, name in needed if not fields & set(chars)]
    if lacking:
        return f"{quote(pattern)} does not show {', '.join(lacking)}"
    return ""


#: The fields a date pattern must show (any of the letters), and a date-time's too.
_DATE_FIELDS: Final = (("d", "the day (d)"), ("ML", "the month (M or L)"), ("yu", "the year (y)"))
_TIME_FIELDS: Final = (("HhKk", "the hour (H or h)"), ("m", "the minute (m)"))


def _pattern_fields(pattern: str, locale: str, *, is_date: bool) -> set[str]:
    """The field letters of ``pattern``, once it formatted a sample; raises if it cannot."""
    fields = {tok[0] for kind, tok in tokenize_pattern(pattern) if kind == "field"}
    formatter = compile_pattern(pattern, Locale.parse(locale))
    formatter(_SAMPLE_DATE if is_date else _SAMPLE_STAMP)
    return fields


def _children(directory: Path) -> list[Path]:
    """What ``directory`` holds, sorted; refused if it is missing or cannot be read."""
    try:
        if not directory.is_dir():
            raise MissingMessageError(
                f"catalog directory {quote(str(directory), 200)} does not exist"
            )
        return sorted(directory.iterdir())
    except (OSError, ValueError) as exc:  # a NUL byte, a path too long, no permission
        raise CatalogError(
            f"catalog directory {quote(str(directory), 200)} cannot be read ({type(exc).__name__})"
        ) from None


def _po_files(directory: Path) -> dict[str, Path]:
    out = {}
    for child in _children(directory):
        po = child / "LC_MESSAGES" / f"{DOMAIN}.po"
        if child.is_dir() and po.is_file():
            out[child.name] = po
    if not out:
        raise CatalogError(
            f"catalog directory {quote(str(directory), 200)} holds no catalog: expected "
            f"<locale>/LC_MESSAGES/{DOMAIN}.po, e.g. id/LC_MESSAGES/{DOMAIN}.po"
        )
    return out


def _read(
    path: Path, locale: str, problems: list[CatalogProblem]
) -> tuple[str | None, dict[str, _Entry]]:
    """Read one catalog: ``(plural expression of its header, entries)``; problems appended."""
    file = str(path)
    try:
        po: PoFile = read_po_file(path)
    except OSError as exc:
        problems.append(
            CatalogProblem("syntax", locale, "", f"cannot be read ({type(exc).__name__})", file)
        )
        return None, {}
    problems.extend(
        CatalogProblem("syntax", locale, e.key, e.detail, file, e.line) for e in po.errors
    )
    entries = _usable_entries(po, locale, file, problems)
    return (po.plural_forms[1] if po.plural_forms else None), entries


def _usable_entries(
    po: PoFile, locale: str, file: str, problems: list[CatalogProblem]
) -> dict[str, _Entry]:
    """The messages of ``po`` that can be used, by key; the problem of each other appended."""
    entries: dict[str, _Entry] = {}
    for message in po.entries:
        found = _read_message(message, locale, file)
        if isinstance(found, CatalogProblem):
            problems.append(found)
        else:
            entries[found.key] = found
    return entries


def _read_message(message: PoEntry, locale: str, file: str) -> _Entry | CatalogProblem:
    """The entry ``message`` of a catalog makes, or the problem that keeps it out."""
    key = message.msgid
    if len(key) > MAX_KEY_CHARS:
        return CatalogProblem("syntax", locale, key[:40], "key too long", file, message.line)
    texts = [t for t in message.strings if t]
    refusal = _message_refusal(message, texts, locale)
    if refusal is not None:
        kind, detail = refusal
        return CatalogProblem(kind, locale, key, detail, file, message.line)
    try:
        forms = _compiled_forms(key, texts, f"{locale}:{quote(key, MAX_KEY_CHARS)}")
    except CatalogError as exc:
        return CatalogProblem("syntax", locale, key, str(exc), file, message.line)
    return _Entry(key, forms, message.plural, file, message.line)


def _compiled_forms(key: str, texts: list[str], where: str) -> tuple[Compiled, ...]:
    """Each form of message ``key`` compiled (a date pattern stays one literal for Babel)."""
    return tuple(
        (((t, None),) if key in FORMAT_KEYS else compile_template(t, where)) for t in texts
    )


def _message_refusal(message: PoEntry, texts: list[str], locale: str) -> tuple[str, str] | None:
    """``(kind, detail)`` if ``message`` (its non-empty ``texts``) cannot be used."""
    if message.fuzzy:
        return (
            "missing",
            "marked fuzzy (not reviewed; msgfmt leaves it out): review it and remove the flag",
        )
    untranslated = _untranslated(message, texts)
    if untranslated is None and message.msgid in FORMAT_KEYS:
        why = _check_date_pattern(message.msgid, texts[0], locale)
        if why:
            return "date_pattern", why
    return untranslated


def _untranslated(message: PoEntry, texts: list[str]) -> tuple[str, str] | None:
    """``(kind, detail)`` if ``message`` lacks a form (its non-empty ``texts``)."""
    if texts and len(texts) == len(message.strings):
        return None
    if message.plural and texts:
        # some plural forms given, not all
        return "plural_forms", f"{len(texts)} of {len(message.strings)} plural forms given"
    return "missing", "the message is not translated"


def default_directory() -> Path:
    """The folder of migrantcare's own catalogs (``id`` and ``en``)."""
    return Path(str(importlib.resources.files("migrantcare") / "locale"))


_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: Characters of the GSM-7 extension table: each is sent as ESC + character (two septets).
_GSM7_EXT = frozenset("^{}\\[~]|€\f")
_GSM7_ALL = _GSM7 | _GSM7_EXT


@attrs.frozen
class SmsInfo:
    """How a text travels as SMS.

    Attributes:
        encoding: ``"GSM-7"`` or ``"UCS-2"`` (any character outside GSM-7 forces UCS-2).
        units: Length in encoding units (GSM-7 extension characters count twice, and so
            do characters outside the Basic Multilingual Plane in UCS-2/UTF-16).
        segments: Number of SMS segments (160/153 units for GSM-7, 70/67 for UCS-2).
    """

    encoding: Literal["GSM-7", "UCS-2"] = attrs.field(validator=_of(str))
    units: int = attrs.field(validator=_of(int))
    segments: int = attrs.field(validator=_of(int))


def _split(text: str, wide: Callable[[str], bool], multi: int) -> int:
    """Segments of ``text`` when a two-unit character may not straddle two segments."""
    segments, used = 1, 0
    for c in text:
        width = 2 if wide(c) else 1
        if used + width > multi:
            segments, used = segments + 1, 0
        used += width
    return segments


def sms_info(text: str) -> SmsInfo:
    """Return the encoding, length and segment count of ``text`` as an SMS.

    Segments are counted as handsets split them: a GSM-7 extension character (its
    escape and itself) and a UTF-16 surrogate pair (an emoji) are never split across
    two segments, so a segment may carry one unit less than 153 (or 67).

    Raises:
        WrongTypeError: ``text`` is not a str.
        InvalidArgumentError: ``text`` holds a lone surrogate (it cannot be sent).

    Examples:
        >>> sms_info("Pengaduan PGD-1 diterima.")
        SmsInfo(encoding='GSM-7', units=25, segments=1)
        >>> sms_info("a" * 152 + "€" + "a" * 152).segments
        3
    """
    check_text(text, "SMS text", limit=10**9)
    if _GSM7_ALL.issuperset(text):
        doubles = sum(text.count(c) for c in _GSM7_EXT)
        single, multi, encoding = 160, 153, "GSM-7"
        wide: Callable[[str], bool] = _GSM7_EXT.__contains__
    else:
        doubles = len(_ASTRAL.findall(text))
        single, multi, encoding = 70, 67, "UCS-2"
        wide = _ASTRAL.match  # type: ignore[assignment]
    units = len(text) + doubles
    if units <= single:
        segments = 1
    elif not doubles:
        segments = -(-units // multi)
    else:
        segments = _split(text, wide, multi)
    return SmsInfo(encoding, units, segments)  # type: ignore[arg-type]


class _Placeholder:
    """Where a value is rendered, and what formatting it needs.

    Names the placeholder and message in an error; that text is built only when an
    error is raised.
    """

    __slots__ = ("ctx", "depth", "key", "messages", "name", "tz")

    def __init__(  # noqa: PLR0917 - private, one slot each
        self,
        messages: Messages,
        name: str,
        key: str,
        ctx: _LocaleContext,
        tz: _dt.tzinfo | None,
        depth: int,
    ) -> None:
        self.messages, self.name, self.key = messages, name, key
        self.ctx, self.tz, self.depth = ctx, tz, depth

    def __str__(self) -> str:
        return f"{{{self.name}}} of message {quote(self.key)}"


def _zone_label(value: _dt.datetime) -> str:
    name = value.tzname() or ""
    if name[:1].isalpha():
        return name  # WIB, WITA, WIT, HKT, CET…
    offset = value.utcoffset() or _dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h}" + (f":{m:02d}" if m else "")


class _LocaleContext:
    """What rendering in one locale needs, prepared once per catalog set."""

    __slots__ = (
        "babel",
        "entries",
        "format_date",
        "format_datetime",
        "label_lang",
        "name",
        "plural_index",
    )

    def __init__(self, name: str, entries: Mapping[str, _Entry], plural_expr: str | None) -> None:
        self.name = name
        self.entries = entries
        self.babel = Locale.parse(name)
        # built-in labels exist in Indonesian and English only; other locales must not
        # silently show English words (rendering a label there is refused)
        self.label_lang = self.babel.language if self.babel.language in ("id", "en") else None
        date = entries.get("_format.date")
        stamp = entries.get("_format.datetime")
        self.format_date = compile_pattern(
            date.forms[0][0][0] if date else "EEEE, d MMMM y", self.babel
        )
        self.format_datetime = compile_pattern(
            stamp.forms[0][0][0] if stamp else "EEEE, d MMMM y HH:mm", self.babel
        )
        expr = plural_expr if plural_expr is not None else get_plural(name).plural_expr
        self.plural_index: Callable[[int], int] = gettext.c2py(expr)


def _to_zone(value: _dt.datetime, tz: _dt.tzinfo) -> _dt.datetime:
    """``value`` in ``tz`` as a plain datetime (the stdlib's C ``fromutc``, no subclass)."""
    if value.__class__ is _dt.datetime:
        return value.astimezone(tz)
    offset = value.utcoffset()
    assert offset is not None
    naive = _dt.datetime(
        value.year, value.month, value.day, value.hour, value.minute, value.second,
        value.microsecond, tz,
    )  # fmt: skip
    return tz.fromutc(naive - offset)


class Messages:
    """Layered message catalogs that render notices in any of their locales.

    A ``Messages`` value is immutable: :meth:`with_directory` and :meth:`with_messages`
    return new ones (theirs over ours). Build it once at start-up and share it. It
    remembers the time zones and locale tags it has resolved (at most 1,024 of each),
    so rendering never reloads a zone; that memo is private and never changes a result.

    Examples:
        >>> import pendulum
        >>> messages = Messages.default()
        >>> messages.locales
        ('en', 'id')
        >>> messages.render("unit.working_days", "id", count=3)
        '3 hari kerja'
        >>> messages.render("unit.working_days", "en-GB", count=3)
        '3 working days'
    """

    __slots__ = ("_contexts", "_entries", "_plurals", "_resolved", "_zones")

    def __init__(
        self,
        entries: Mapping[str, Mapping[str, _Entry]],
        plurals: Mapping[str, str | None],
    ) -> None:
        """Use :meth:`default`, :meth:`from_directories` or the ``with_*`` methods."""
        self._entries = {loc: dict(e) for loc, e in entries.items()}
        self._plurals = dict(plurals)
        self._contexts = {
            loc: _LocaleContext(loc, self._entries[loc], self._plurals.get(loc))
            for loc in self._entries
        }
        # memo only: an entry is a pure function of its key (see the class docstring)
        self._zones: dict[str, _dt.tzinfo] = {}
        self._resolved: dict[str, str] = {}

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt from its catalogs: the compiled date patterns are closures, which do not
        # pickle (hosts hand catalogs to worker processes), and the memos start afresh
        return (Messages, (self._entries, self._plurals))

    # ------------------------------------------------------------------ building

    @classmethod
    def default(cls) -> Messages:
        """Return migrantcare's own catalogs: Indonesian (``id``) and English (``en``)."""
        return cls.from_directories(default_directory())

    @classmethod
    def from_directories(cls, *directories: str | os.PathLike[str]) -> Messages:
        """Load catalogs from locale folders; later directories override earlier ones.

        Raises:
            WrongTypeError: a directory is not a str or path.
            MissingMessageError: a directory does not exist.
            CatalogError: a directory holds no catalog, a file is malformed (with its
                file and line), a template uses a refused placeholder, or a date pattern
                is not a valid Babel pattern.
        """
        entries, plurals, problems = _load(directories)
        fatal = [p for p in problems if p.kind in _FATAL]
        if fatal:
            raise _unusable(fatal)
        return cls(entries, plurals)

    def with_directory(self, directory: str | os.PathLike[str]) -> Messages:
        """Return new messages with the catalogs in ``directory`` layered over these.

        Raises:
            CatalogError: as :meth:`from_directories`.
        """
        extra = Messages.from_directories(directory)
        entries = {loc: dict(e) for loc, e in self._entries.items()}
        plurals = dict(self._plurals)
        for loc, e in extra._entries.items():
            entries.setdefault(loc, {}).update(e)
            plurals[loc] = extra._plurals.get(loc) or plurals.get(loc)
        return Messages(entries, plurals)

    def with_messages(self, locale: str, messages: Mapping[str, str]) -> Messages:
        """Return new messages with single templates of ``locale`` overridden or added.

        Args:
            locale: A locale Babel knows (``"id"``, ``"ms"``, ``"zh_Hant"``; ``"en-US"`` is
                stored as ``"en_US"``). A new locale starts empty.
            messages: Keys and templates.

        Raises:
            WrongTypeError: ``locale``, ``messages`` or one of its keys or texts has the
                wrong type.
            CatalogError: ``locale`` is not a locale Babel knows, a template does not
                parse or uses a refused placeholder, or a date pattern is not valid.
        """
        name = _known_locale(locale)
        if not isinstance(messages, Mapping):
            raise WrongTypeError(
                f"messages must be a mapping of key to template, got {type(messages).__name__}"
            )
        entries = {loc: dict(e) for loc, e in self._entries.items()}
        target = entries.setdefault(name, {})
        for key, text in messages.items():
            target[key] = _override(name, key, text)
        plurals = dict(self._plurals)
        plurals.setdefault(name, None)
        return Messages(entries, plurals)

    # ------------------------------------------------------------------ reading

    @property
    def locales(self) -> tuple[str, ...]:
        """The locales available, sorted."""
        return tuple(sorted(self._entries))

    def negotiate(self, accept_language: str, default: str | None = None) -> str:
        """Return the available locale that best fits a tag or an Accept-Language header.

        Tags are matched by BCP 47 lookup with CLDR's likely scripts: ``"id-ID"``,
        ``"id_ID"`` and ``"in"`` give ``"id"``; ``"en-US"`` and ``"en_GB"`` give ``"en"``;
        ``"zh-TW"`` gives ``"zh_Hant"`` when you added it, never ``"zh"`` (another
        script). Ranges of a header are tried by their ``q`` weight.

        Args:
            accept_language: A locale tag or an HTTP ``Accept-Language`` header value.
            default: The locale to return when nothing fits (it must be available);
                without it, nothing fitting is an error.

        A header longer than 1,024 characters or not ASCII is not read (it is what a
        hostile or broken client sends): with ``default`` the answer is ``default``,
        without it the header is refused.

        Raises:
            WrongTypeError: ``accept_language`` is not a str.
            InvalidArgumentError: it is longer than 1,024 characters or not ASCII and no
                ``default`` was given, or ``default`` is not an available locale.
            MissingMessageError: nothing fits and no ``default`` was given.

        Examples:
            >>> m = Messages.default()
            >>> m.negotiate("id-ID,id;q=0.9,en;q=0.8"), m.negotiate("en-US")
            ('id', 'en')
            >>> m.negotiate("fr-FR, de;q=0.5", default="id")
            'id'
            >>> m.negotiate("en," * 600, default="id")
            'id'
        """
        if default is not None and default not in self._entries:
            raise InvalidArgumentError(
                f"default locale {quote(str(default))} is not available; available: "
                f"{', '.join(self.locales)}"
            )
        try:
            header = check_tag(accept_language)
        except WrongTypeError:
            raise
        except InvalidArgumentError as exc:
            if default is not None:
                return default
            raise InvalidArgumentError(
                f"{exc}; pass default= to answer a header that cannot be read"
            ) from None
        found = negotiate(header, self.locales)
        if found is not None:
            return found
        if default is not None:
            return default
        raise self._no_catalog(accept_language)

    def _no_catalog(self, locale: str) -> MissingMessageError:
        return MissingMessageError(
            f"no catalog for locale {quote(locale)}; available: {', '.join(self.locales)}"
            " (add one with with_directory())"
        )

    def _context(self, locale: str) -> _LocaleContext:
        ctx = self._contexts.get(locale) if locale.__class__ is str else None
        if ctx is not None:
            return ctx
        resolved = self._resolved.get(locale) if locale.__class__ is str else None
        if resolved is None:
            resolved = negotiate(check_tag(locale), self.locales)
            if resolved is None:
                raise self._no_catalog(locale)
            if len(self._resolved) < _CACHE_LIMIT:
                self._resolved[locale] = resolved
        return self._contexts[resolved]

    def keys(self, locale: str) -> frozenset[str]:
        """The message keys of ``locale`` (a tag is negotiated as by :meth:`negotiate`)."""
        return frozenset(self._context(locale).entries)

    def placeholders(self, key: str, locale: str) -> frozenset[str]:
        """The placeholder names a message uses in ``locale``."""
        return self._entry(key, self._context(locale)).names()

    def _entry(self, key: str, ctx: _LocaleContext) -> _Entry:
        check_text(key, "message key", MAX_KEY_CHARS)
        try:
            return ctx.entries[key]
        except KeyError:
            raise MissingMessageError(
                f"message {quote(key)} is missing in locale {quote(ctx.name)}; run "
                "'migrantcare catalog check' to list every gap"
            ) from None

    def _zone(self, tz: object) -> _dt.tzinfo:
        if tz.__class__ is str:
            found = self._zones.get(tz)  # type: ignore[call-overload,unused-ignore]
            if found is not None:
                return found
        name = check_text(tz, "tz", 128)
        found = zone(name)  # the clear errors for unknown names and fixed offsets
        if len(self._zones) < _CACHE_LIMIT:
            self._zones[name] = found
        return found

    # ------------------------------------------------------------------ rendering

    def render(
        self,
        key: str,
        locale: str,
        *,
        tz: str | None = None,
        channel: str | None = None,
        **values: Any,
    ) -> str:
        """Render message ``key`` in ``locale`` with ``values``.

        Values are substituted as text after formatting for the locale: aware
        datetimes in ``tz`` (the recipient's zone; each value's own zone if omitted)
        with the zone's abbreviation, dates, :class:`Money`, :class:`Plural` counts,
        numbers, lists, holidays, vocabulary terms and workflow states (their labels).

        Args:
            key: The message key, e.g. ``"complaint.registered.ack"``.
            locale: ``"id"``, ``"en"``, a locale you added, or any tag or Accept-Language
                header that :meth:`negotiate` resolves to one of them (``"id-ID"``,
                ``"en_GB"``).
            tz: The recipient's IANA zone, e.g. ``"Asia/Hong_Kong"``.
            channel: ``"sms"`` (or another variant): uses ``key.sms`` when it exists.
            **values: The placeholder values.

        Raises:
            MissingMessageError: the locale or the message is missing (no fallback to
                another language).
            InvalidArgumentError: a placeholder has no value, or a value is out of range
                (a non-finite or huge number, a lone surrogate, an overlong text).
            WrongTypeError: an argument or a value has a type that cannot be rendered.
            NaiveDatetimeError: a datetime value has no time zone.
            DateOutOfRangeError: a datetime cannot be shown in ``tz`` (year 1 or 9999).
            UnknownTimezoneError: ``tz`` is not an IANA zone.
        """
        return self._render(key, locale, tz, channel, values, escape=None)

    def render_html(
        self,
        key: str,
        locale: str,
        *,
        tz: str | None = None,
        channel: str | None = None,
        **values: Any,
    ) -> str:
        """Like :meth:`render`, but every substituted value is HTML-escaped.

        The template's own text is trusted (it is the catalog's); values are not.
        """
        return self._render(key, locale, tz, channel, values, escape=html.escape)

    def _render(  # noqa: PLR0917 - private
        self,
        key: str,
        locale: str,
        tz: str | None,
        channel: str | None,
        values: Mapping[str, Any],
        escape: Callable[[str], str] | None,
    ) -> str:
        ctx = self._context(locale)
        if key.__class__ is not str:
            check_text(key, "message key", MAX_KEY_CHARS)
        entry = self._pick_entry(key, channel, ctx)
        zone_obj = self._zone(tz) if tz is not None else None
        compiled = _plural_form(entry, key, ctx, values) if entry.plural else entry.forms[0]
        return self._fill(compiled, values, key, ctx, zone_obj, escape)

    def _pick_entry(self, key: str, channel: str | None, ctx: _LocaleContext) -> _Entry:
        """The entry of ``key`` for ``channel`` (its variant if it has one, else its own)."""
        entries = ctx.entries
        entry = None
        if channel is not None:
            entry = entries.get(f"{key}.{check_text(channel, 'channel', 64)}")
        if entry is None:
            entry = entries.get(key)
            if entry is None:
                entry = self._entry(key, ctx)  # raises the clear error
        return entry

    def _fill(  # noqa: PLR0917 - private
        self,
        compiled: Compiled,
        values: Mapping[str, Any],
        key: str,
        ctx: _LocaleContext,
        zone_obj: _dt.tzinfo | None,
        escape: Callable[[str], str] | None,
    ) -> str:
        """The text of ``compiled`` with each placeholder's value rendered in."""
        out = []
        for literal, name in compiled:
            out.append(literal)
            if name is None:
                continue
            try:
                value = values[name]
            except KeyError:
                raise _missing_value(key, name, values) from None
            if value.__class__ is str:
                text = value
                if len(text) > MAX_VALUE_CHARS or not text.isascii():
                    check_text(text, f"{{{name}}} of message {quote(key)}")
            else:
                text = self._format(value, name, key, ctx, zone_obj, 0)
            out.append(escape(text) if escape is not None else text)
        return "".join(out)

    def _format(  # noqa: PLR0917 - one branch per value type
        self,
        value: Any,
        name: str,
        key: str,
        ctx: _LocaleContext,
        tz: _dt.tzinfo | None,
        depth: int,
    ) -> str:
        format_value = _FORMAT_BY_TYPE.get(type(value)) or _formatter_for(value)
        return format_value(value, _Placeholder(self, name, key, ctx, tz, depth))


def _plural_form(
    entry: _Entry, key: str, ctx: _LocaleContext, values: Mapping[str, Any]
) -> Compiled:
    """The form of the plural ``entry`` that the ``count`` among ``values`` selects."""
    count = values.get("count")
    if type(count) is not int:
        raise InvalidArgumentError(
            f"message {quote(key)} is a plural form: pass count=<int>, got {type(count).__name__}"
        )
    _finite_number(count, "count")
    return entry.forms[min(ctx.plural_index(count), len(entry.forms) - 1)]


def _missing_value(key: str, name: str, values: Mapping[str, Any]) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"message {quote(key)} needs a value for {{{name}}}; given: "
        f"{', '.join(sorted(values)) or 'none'}"
    )


def _format_text(value: str, at: _Placeholder) -> str:
    return check_text(value, at)


def _format_datetime(value: _dt.datetime, at: _Placeholder) -> str:
    if value.utcoffset() is None:
        raise NaiveDatetimeError(f"{at} is a naive datetime; pass an aware one")
    try:
        local = _to_zone(value, at.tz) if at.tz is not None else value
    except OverflowError:
        raise DateOutOfRangeError(
            f"{at}: the instant cannot be shown in the recipient's zone (too close "
            "to year 1 or 9999)"
        ) from None
    return f"{at.ctx.format_datetime(local)} {_zone_label(local)}"


def _format_date(value: _dt.date, at: _Placeholder) -> str:
    return at.ctx.format_date(value)


def _refuse_bool(_value: bool, at: _Placeholder) -> str:
    raise WrongTypeError(f"{at} is a bool; pass words from the catalog instead")


def _format_number(value: float | decimal.Decimal, at: _Placeholder) -> str:
    return str(format_decimal(_finite_number(value, at), locale=at.ctx.babel))


def _format_money(value: Money, at: _Placeholder) -> str:
    return str(format_currency(value.amount, value.currency, locale=at.ctx.babel))


def _format_plural(value: Plural, at: _Placeholder) -> str:
    return at.messages.render(value.key, at.ctx.name, count=value.count)


def _format_ref(value: MessageRef, at: _Placeholder) -> str:
    return at.messages.render(value.key, at.ctx.name)


def _format_label(value: Any, at: _Placeholder) -> str:
    """A Holiday's name, or the label of a Term or a State (anything with ``label``)."""
    lang = at.ctx.label_lang
    if lang is None:
        raise MissingMessageError(
            f"{at} is a {type(value).__name__}, whose labels exist in 'id' and 'en' "
            f"only, not in {quote(at.ctx.name)}; pass the text (or a MessageRef) "
            "instead"
        )
    if isinstance(value, Holiday):
        return value.name(lang)
    return str(value.label(lang))


def _format_list(value: list[Any] | tuple[Any, ...], at: _Placeholder) -> str:
    if at.depth:
        raise WrongTypeError(f"{at} is a list inside a list; pass a flat list")
    if len(value) > MAX_LIST_ITEMS:
        raise InvalidArgumentError(f"{at} has {len(value):,} items; at most {MAX_LIST_ITEMS:,}")
    items = [at.messages._format(v, at.name, at.key, at.ctx, at.tz, 1) for v in value]
    return str(format_list(items, locale=at.ctx.babel)) if items else ""


def _refuse_type(value: object, at: _Placeholder) -> str:
    raise WrongTypeError(
        f"{at}: cannot render a value of type {type(value).__name__}; pass str, "
        "numbers, dates, Money, Plural, MessageRef, lists, Holiday, Term or State"
    )


_Formatter = Callable[[Any, _Placeholder], str]

#: The value types a placeholder takes, in the order they are tried: the first that
#: ``value`` is an instance of decides (a datetime is a date, a bool an int).
_FORMATTERS: Final[tuple[tuple[Any, _Formatter], ...]] = (
    (str, _format_text),
    (_dt.datetime, _format_datetime),
    (_dt.date, _format_date),
    (bool, _refuse_bool),
    (int | float | decimal.Decimal, _format_number),
    (Money, _format_money),
    (Plural, _format_plural),
    (MessageRef, _format_ref),
    (Holiday | Term, _format_label),
)


def _formatter_for(value: object) -> _Formatter:
    """How to render ``value``, by the rules of :data:`_FORMATTERS` and then by shape."""
    for kind, format_value in _FORMATTERS:
        if isinstance(value, kind):
            return format_value
    if callable(getattr(value, "label", None)) and hasattr(value, "terminal"):
        return _format_label  # a State, or anything labelled like one
    if isinstance(value, list | tuple):
        return _format_list
    return _refuse_type


#: The same choice for the exact types, looked up at once (subclasses and other types
#: ask :func:`_formatter_for`).
_FORMAT_BY_TYPE: Final[Mapping[type, _Formatter]] = MappingProxyType(
    {
        str: _format_text,
        _dt.datetime: _format_datetime,
        pendulum.DateTime: _format_datetime,  # what the library's own records hold
        _dt.date: _format_date,
        pendulum.Date: _format_date,
        bool: _refuse_bool,
        int: _format_number,
        float: _format_number,
        decimal.Decimal: _format_number,
        Money: _format_money,
        Plural: _format_plural,
        MessageRef: _format_ref,
        Holiday: _format_label,
        Term: _format_label,
        list: _format_list,
        tuple: _format_list,
    }
)


def _unusable(fatal: list[CatalogProblem]) -> CatalogError:
    """The error for catalogs with ``fatal`` problems: the first ten, and how many more."""
    shown = "; ".join(str(p) for p in fatal[:10])
    more = f"; and {len(fatal) - 10} more" if len(fatal) > 10 else ""
    return CatalogError(shown + more)


def _known_locale(locale: str) -> str:
    """``locale`` as a catalog names it (``en_US``), refused unless Babel knows it."""
    name = check_tag(locale).replace("-", "_")
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        raise CatalogError(
            f"unknown locale {quote(locale)}: use a CLDR locale such as 'id', 'en', 'ms' "
            "or 'zh_Hant'"
        ) from None
    return name


def _override(locale: str, key: str, text: str) -> _Entry:
    """The entry that one template given in code makes, once checked and compiled.

    ``key`` and ``text`` come from a caller's mapping: their types are checked here.
    """
    check_text(key, "message key", MAX_KEY_CHARS)
    check_text(text, f"template of {quote(key)}", MAX_TEMPLATE_CHARS)
    where = f"{locale}:{quote(key)}"
    if key not in FORMAT_KEYS:
        return _Entry(key, (compile_template(text, where),), False, "override")
    # a date pattern is kept as one literal: Babel formats it, not the template engine
    why = _check_date_pattern(key, text, locale)
    if why:
        raise CatalogError(f"{where}: {why}")
    return _Entry(key, (((text, None),),), False, "override")


def _directories(directories: Sequence[object]) -> list[Path]:
    out = []
    for d in directories:
        if not isinstance(d, str | os.PathLike):
            raise WrongTypeError(
                f"a catalog directory must be a str or path, got {type(d).__name__}"
            )
        text = os.fspath(d)
        if not isinstance(text, str):
            raise WrongTypeError("a catalog directory must be a str path, not bytes")
        check_text(text, "catalog directory", 4096)
        out.append(Path(text))
    return out


def _load(
    directories: Sequence[object],
) -> tuple[dict[str, dict[str, _Entry]], dict[str, str | None], list[CatalogProblem]]:
    entries: dict[str, dict[str, _Entry]] = {}
    plurals: dict[str, str | None] = {}
    problems: list[CatalogProblem] = []
    for directory in _directories(directories):
        for locale, path in _po_files(directory).items():
            unknown = _unknown_locale(locale, path)
            if unknown is not None:
                problems.append(unknown)
                continue
            expr, found = _read(path, locale, problems)
            entries.setdefault(locale, {}).update(found)
            if expr is not None or locale not in plurals:
                plurals[locale] = expr
    return entries, plurals, problems


def _unknown_locale(locale: str, path: Path) -> CatalogProblem | None:
    """The problem of a catalog folder named for a locale Babel does not know, if so."""
    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError):
        return CatalogProblem("locale", locale, "", f"unknown locale {quote(locale)}", str(path))
    return None


def check_catalogs(
    *directories: str | os.PathLike[str], include_default: bool = True
) -> list[CatalogProblem]:
    """Check catalogs for every defect a translator or integrator can introduce.

    Reports malformed files (with file and line: unterminated strings, stray quotes,
    duplicate msgids… — what GNU ``msgfmt --check`` refuses), templates that do not
    parse or use refused placeholders, invalid date patterns, messages missing in a
    locale, placeholders that differ between locales, plural forms that do not match
    the locale's CLDR rules, and SMS variants longer than one GSM-7 segment before any
    value is substituted. It takes time proportional to the size of the catalogs.

    Args:
        *directories: Catalog folders layered over migrantcare's own.
        include_default: Layer them over migrantcare's catalogs (``True``) or check
            them alone.

    Returns:
        The problems found; empty when the catalogs are sound.

    Raises:
        WrongTypeError: a directory is not a str or path.
        MissingMessageError: a directory does not exist.
        CatalogError: a directory holds no catalog.
    """
    if not isinstance(include_default, bool):
        raise WrongTypeError(
            f"include_default must be True or False, got {type(include_default).__name__}"
        )
    dirs: list[object] = [default_directory()] if include_default else []
    dirs.extend(directories)
    entries, _plurals, problems = _load(dirs)
    all_keys: set[str] = set().union(*entries.values())
    reported = {(p.locale, p.key) for p in problems}
    reference = _Reference.of(entries)
    for locale in sorted(entries):
        have = entries[locale]
        problems.extend(_missing_problems(locale, have, all_keys, reported))
        problems.extend(_entry_problems(locale, have, reference))
    return problems


def _missing_problems(
    locale: str, have: Mapping[str, _Entry], all_keys: set[str], reported: set[tuple[str, str]]
) -> Iterator[CatalogProblem]:
    """The keys another locale has and ``locale`` lacks, unless a problem already names them."""
    return (
        CatalogProblem("missing", locale, key, "not in this locale")
        for key in sorted(all_keys - set(have))
        if (locale, key) not in reported
    )


def _entry_problems(
    locale: str, have: Mapping[str, _Entry], reference: _Reference
) -> Iterator[CatalogProblem]:
    """The problems of each message of ``locale``, by key: plural forms, placeholders, SMS."""
    expected = get_plural(locale).num_plurals
    for key, entry in sorted(have.items()):
        found = (
            _plural_forms_problem(locale, key, entry, expected),
            reference.placeholders_problem(locale, key, entry),
            _sms_length_problem(locale, key, entry),
        )
        yield from (p for p in found if p is not None)


def _source(entry: _Entry) -> str:
    """The file a problem of ``entry`` names (none for an override made in code)."""
    return entry.source if entry.source != "override" else ""


def _plural_forms_problem(
    locale: str, key: str, entry: _Entry, expected: int
) -> CatalogProblem | None:
    if not entry.plural or len(entry.forms) == expected:
        return None
    return CatalogProblem(
        "plural_forms",
        locale,
        key,
        f"{len(entry.forms)} plural forms; CLDR has {expected} for {locale!r}",
        _source(entry),
        entry.line,
    )


def _sms_length_problem(locale: str, key: str, entry: _Entry) -> CatalogProblem | None:
    if not key.endswith(".sms"):
        return None
    info = sms_info("".join(lit for lit, _ in entry.forms[0]))
    if info.segments <= 1:
        return None
    return CatalogProblem(
        "sms_length",
        locale,
        key,
        f"{info.units} {info.encoding} units before values: over one segment",
        _source(entry),
        entry.line,
    )


@attrs.frozen
class _Reference:
    """The locale whose placeholders the others must use (``id`` if present)."""

    locale: str | None
    names: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, entries: Mapping[str, Mapping[str, _Entry]]) -> _Reference:
        if not entries:
            return cls(None, {})
        locale = "id" if "id" in entries else sorted(entries)[0]
        return cls(locale, {k: e.names() for k, e in entries[locale].items()})

    def _holds(self, locale: str, key: str) -> bool:
        """Whether message ``key`` of ``locale`` must use the reference's placeholders.

        Not the reference itself, not a key it lacks, and not a date pattern (Babel's
        letters, not placeholders).
        """
        return locale != self.locale and key in self.names and key not in FORMAT_KEYS

    def placeholders_problem(self, locale: str, key: str, entry: _Entry) -> CatalogProblem | None:
        """A problem if ``entry`` uses other placeholders than the reference's ``key``."""
        if not self._holds(locale, key):
            return None
        ours, theirs = self.names[key], entry.names()
        if ours == theirs:
            return None
        return CatalogProblem(
            "placeholders",
            locale,
            key,
            f"uses {{{', '.join(sorted(theirs))}}} but {self.locale!r} uses "
            f"{{{', '.join(sorted(ours))}}}",
            _source(entry),
            entry.line,
        )


def format_problems(problems: Iterable[CatalogProblem]) -> str:
    """One line per problem, for a terminal."""
    return "\n".join(str(p) for p in problems)
