"""Bilingual message catalogs: gettext ``.po`` files, safe templates, Babel formatting.

Catalogs live in Babel-style locale folders (``<dir>/<locale>/LC_MESSAGES/migrantcare.po``).
They are read with Babel and compiled once when loaded: each template is parsed into
literal text and placeholder names, so rendering is a join, never ``str.format``.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import gettext
import html
import importlib.resources
import os
import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs
from babel import Locale, UnknownLocaleError
from babel.dates import parse_pattern
from babel.lists import format_list
from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po
from babel.numbers import format_currency, format_decimal

from migrantcare._holidays import Holiday
from migrantcare._time import zone
from migrantcare._vocab import Term
from migrantcare.exceptions import (
    CatalogError,
    InvalidArgumentError,
    MissingMessageError,
    NaiveDatetimeError,
    WrongTypeError,
)

DOMAIN = "migrantcare"
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
#: Catalog keys that hold Babel date patterns rather than text.
FORMAT_KEYS = ("_format.date", "_format.datetime")
_FORMATTER = string.Formatter()

#: One compiled template: (literal, placeholder name or None) pairs.
Compiled = tuple[tuple[str, str | None], ...]


def _decimal(value: object) -> decimal.Decimal:
    try:
        return decimal.Decimal(str(value))
    except decimal.InvalidOperation:
        raise InvalidArgumentError(f"an amount of money must be a number, got {value!r}") from None


@attrs.frozen
class Money:
    """An amount of money, formatted by Babel for the recipient's locale.

    Examples:
        >>> Money(18_500_000)
        Money(amount=Decimal('18500000'), currency='IDR')
    """

    amount: decimal.Decimal = attrs.field(converter=_decimal)
    currency: str = "IDR"


@attrs.frozen
class Plural:
    """A count rendered with the plural message ``key`` (``{count}`` in its forms).

    Examples:
        >>> Plural("unit.working_days", 3)
        Plural(key='unit.working_days', count=3)
    """

    key: str
    count: int


@attrs.frozen
class MessageRef:
    """Another message of the catalog, rendered in the same locale (e.g. a goal's name).

    Examples:
        >>> MessageRef("sla.goal.verification")
        MessageRef(key='sla.goal.verification')
    """

    key: str


def compile_template(text: str, where: str) -> Compiled:
    """Parse ``text`` into literal parts and placeholder names.

    Raises:
        CatalogError: the template does not parse or uses a refused form.
    """
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError as exc:
        raise CatalogError(f"{where}: template does not parse ({exc}): {text!r}") from None
    parts: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in parsed:
        if name is None:
            parts.append((literal, None))
            continue
        if conversion is not None or spec:
            raise CatalogError(
                f"{where}: placeholder {{{name}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}} uses a conversion or format spec; only plain "
                "names such as {due} are allowed"
            )
        if not _NAME.match(name):
            raise CatalogError(
                f"{where}: placeholder {{{name}}} is not a plain lower-case name; attribute "
                "access, indexing and positional fields are refused"
            )
        parts.append((literal, name))
    return tuple(parts)


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


@attrs.frozen
class CatalogProblem:
    """One defect found by :func:`check_catalogs`.

    Attributes:
        kind: ``"syntax"``, ``"missing"``, ``"placeholders"``, ``"plural_forms"``,
            ``"locale"`` or ``"sms_length"``.
        locale: The locale concerned.
        key: The message key concerned (empty for a whole-file problem).
        detail: What is wrong, in words.
    """

    kind: str
    locale: str
    key: str
    detail: str

    def __str__(self) -> str:
        where = f"{self.locale}:{self.key}" if self.key else self.locale
        return f"[{self.kind}] {where}: {self.detail}"


def _po_files(directory: Path) -> dict[str, Path]:
    out = {}
    if not directory.is_dir():
        raise MissingMessageError(f"catalog directory {str(directory)!r} does not exist")
    for child in sorted(directory.iterdir()):
        po = child / "LC_MESSAGES" / f"{DOMAIN}.po"
        if child.is_dir() and po.is_file():
            out[child.name] = po
    return out


def _read(
    path: Path, locale: str, problems: list[CatalogProblem]
) -> tuple[Catalog | None, dict[str, _Entry]]:
    try:
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale, domain=DOMAIN, abort_invalid=True)
    except (PoFileError, UnknownLocaleError, ValueError) as exc:
        problems.append(CatalogProblem("syntax", locale, "", f"{path}: cannot be read: {exc}"))
        return None, {}
    entries: dict[str, _Entry] = {}
    for message in catalog:
        if not message.id:
            continue  # the header
        key = message.id[0] if isinstance(message.id, tuple | list) else message.id
        raw = message.string if isinstance(message.string, tuple | list) else (message.string,)
        texts = [str(t) for t in raw if t]
        where = f"{locale}:{key}"
        if message.pluralizable and texts and len(texts) != len(raw):
            problems.append(
                CatalogProblem(
                    "plural_forms", locale, key, f"{len(texts)} of {len(raw)} plural forms given"
                )
            )
            continue
        if len(texts) != len(raw) or not texts:
            problems.append(CatalogProblem("missing", locale, key, "the message is not translated"))
            continue
        try:
            forms: tuple[Compiled, ...] = tuple(
                (((t, None),) if key in FORMAT_KEYS else compile_template(t, where)) for t in texts
            )
        except CatalogError as exc:
            problems.append(CatalogProblem("syntax", locale, key, str(exc)))
            continue
        entries[key] = _Entry(key, forms, bool(message.pluralizable), str(path))
    return catalog, entries


def default_directory() -> Path:
    """The folder of migrantcare's own catalogs (``id`` and ``en``)."""
    return Path(str(importlib.resources.files("migrantcare") / "locale"))


_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = frozenset("^{}\\[~]|€\f")


@attrs.frozen
class SmsInfo:
    """How a text travels as SMS.

    Attributes:
        encoding: ``"GSM-7"`` or ``"UCS-2"`` (any character outside GSM-7 forces UCS-2).
        units: Length in encoding units (GSM-7 extension characters count twice).
        segments: Number of SMS segments (160/153 units for GSM-7, 70/67 for UCS-2).
    """

    encoding: Literal["GSM-7", "UCS-2"]
    units: int
    segments: int


def sms_info(text: str) -> SmsInfo:
    """Return the encoding, length and segment count of ``text`` as an SMS.

    Examples:
        >>> sms_info("Pengaduan PGD-1 diterima.")
        SmsInfo(encoding='GSM-7', units=25, segments=1)
    """
    if all(c in _GSM7 or c in _GSM7_EXT for c in text):
        units = sum(2 if c in _GSM7_EXT else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else -(-units // multi)
    return SmsInfo(encoding, units, segments)  # type: ignore[arg-type]


class _LocaleContext:
    """What rendering in one locale needs, prepared once per catalog set."""

    __slots__ = ("babel", "date_pattern", "datetime_pattern", "lang", "plural_index")

    def __init__(self, name: str, entries: Mapping[str, _Entry], header: Catalog | None) -> None:
        self.babel = Locale.parse(name)
        self.lang = name.split("_", maxsplit=1)[0]
        date = entries.get("_format.date")
        stamp = entries.get("_format.datetime")
        self.date_pattern = parse_pattern(date.forms[0][0][0] if date else "EEEE, d MMMM y")
        self.datetime_pattern = parse_pattern(
            stamp.forms[0][0][0] if stamp else "EEEE, d MMMM y HH:mm"
        )
        expr = header.plural_expr if header is not None else Catalog(locale=name).plural_expr
        self.plural_index: Callable[[int], int] = gettext.c2py(expr)


def _zone_label(value: _dt.datetime) -> str:
    name = value.tzname() or ""
    if name[:1].isalpha():
        return name  # WIB, WITA, WIT, HKT, CET…
    offset = value.utcoffset() or _dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h}" + (f":{m:02d}" if m else "")


class Messages:
    """Layered message catalogs that render notices in any of their locales.

    A ``Messages`` value is immutable: :meth:`with_directory` and :meth:`with_messages`
    return new ones (theirs over ours). Build it once at start-up and share it.

    Examples:
        >>> import pendulum
        >>> messages = Messages.default()
        >>> messages.locales
        ('en', 'id')
        >>> messages.render("unit.working_days", "id", count=3)
        '3 hari kerja'
    """

    __slots__ = ("_contexts", "_entries", "_headers")

    def __init__(
        self,
        entries: Mapping[str, Mapping[str, _Entry]],
        headers: Mapping[str, Catalog | None],
    ) -> None:
        """Use :meth:`default`, :meth:`from_directories` or the ``with_*`` methods."""
        self._entries = {loc: dict(e) for loc, e in entries.items()}
        self._headers = dict(headers)
        self._contexts = {
            loc: _LocaleContext(loc, self._entries[loc], self._headers.get(loc))
            for loc in self._entries
        }

    # ------------------------------------------------------------------ building

    @classmethod
    def default(cls) -> Messages:
        """Return migrantcare's own catalogs: Indonesian (``id``) and English (``en``)."""
        return cls.from_directories(default_directory())

    @classmethod
    def from_directories(cls, *directories: str | os.PathLike[str]) -> Messages:
        """Load catalogs from locale folders; later directories override earlier ones.

        Raises:
            CatalogError: a template does not parse or uses a refused placeholder.
        """
        entries, headers, problems = _load(directories)
        syntax = [p for p in problems if p.kind in ("syntax", "locale")]
        if syntax:
            raise CatalogError("; ".join(str(p) for p in syntax))
        return cls(entries, headers)

    def with_directory(self, directory: str | os.PathLike[str]) -> Messages:
        """Return new messages with the catalogs in ``directory`` layered over these."""
        extra = Messages.from_directories(directory)
        entries = {loc: dict(e) for loc, e in self._entries.items()}
        headers = dict(self._headers)
        for loc, e in extra._entries.items():
            entries.setdefault(loc, {}).update(e)
            headers[loc] = extra._headers.get(loc) or headers.get(loc)
        return Messages(entries, headers)

    def with_messages(self, locale: str, messages: Mapping[str, str]) -> Messages:
        """Return new messages with single templates of ``locale`` overridden or added.

        Raises:
            CatalogError: a template does not parse or uses a refused placeholder.
        """
        entries = {loc: dict(e) for loc, e in self._entries.items()}
        target = entries.setdefault(locale, {})
        for key, text in messages.items():
            where = f"{locale}:{key}"
            form = ((text, None),) if key in FORMAT_KEYS else compile_template(text, where)
            target[key] = _Entry(key, (form,), False, "override")
        headers = dict(self._headers)
        headers.setdefault(locale, None)
        return Messages(entries, headers)

    # ------------------------------------------------------------------ reading

    @property
    def locales(self) -> tuple[str, ...]:
        """The locales available, sorted."""
        return tuple(sorted(self._entries))

    def keys(self, locale: str) -> frozenset[str]:
        """The message keys of ``locale``."""
        return frozenset(self._context_entries(locale))

    def placeholders(self, key: str, locale: str) -> frozenset[str]:
        """The placeholder names a message uses in ``locale``."""
        entry = self._entry(key, locale)
        return frozenset().union(*(placeholders(f) for f in entry.forms))

    def _context_entries(self, locale: str) -> dict[str, _Entry]:
        try:
            return self._entries[locale]
        except KeyError:
            raise MissingMessageError(
                f"no catalog for locale {locale!r}; available: {', '.join(self.locales)}"
                " (add one with with_directory())"
            ) from None

    def _entry(self, key: str, locale: str) -> _Entry:
        entries = self._context_entries(locale)
        try:
            return entries[key]
        except KeyError:
            raise MissingMessageError(
                f"message {key!r} is missing in locale {locale!r}; run "
                "'migrantcare catalog check' to list every gap"
            ) from None

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
            locale: ``"id"``, ``"en"``, or a locale you added.
            tz: The recipient's IANA zone, e.g. ``"Asia/Hong_Kong"``.
            channel: ``"sms"`` (or another variant): uses ``key.sms`` when it exists.
            **values: The placeholder values.

        Raises:
            MissingMessageError: the locale or the message is missing (no fallback).
            InvalidArgumentError: a placeholder has no value.
            WrongTypeError: a value has a type that cannot be rendered.
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
        entries = self._context_entries(locale)
        entry = entries.get(f"{key}.{channel}") if channel else None
        if entry is None:
            entry = entries.get(key)
            if entry is None:
                self._entry(key, locale)  # raises the clear error
        assert entry is not None
        ctx = self._contexts[locale]
        zone_obj = zone(tz) if tz is not None else None
        if entry.plural:
            count = values.get("count")
            if type(count) is not int:
                raise InvalidArgumentError(
                    f"message {key!r} is a plural form: pass count=<int>, got {count!r}"
                )
            compiled = entry.forms[min(ctx.plural_index(count), len(entry.forms) - 1)]
        else:
            compiled = entry.forms[0]
        out = []
        for literal, name in compiled:
            out.append(literal)
            if name is None:
                continue
            try:
                value = values[name]
            except KeyError:
                raise InvalidArgumentError(
                    f"message {key!r} needs a value for {{{name}}}; given: "
                    f"{', '.join(sorted(values)) or 'none'}"
                ) from None
            text = self._format(value, name, key, locale, ctx, zone_obj)
            out.append(escape(text) if escape is not None else text)
        return "".join(out)

    def _format(  # noqa: PLR0917 - private, recursive for lists
        self,
        value: Any,
        name: str,
        key: str,
        locale: str,
        ctx: _LocaleContext,
        tz: Any,
    ) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, _dt.datetime):
            if value.utcoffset() is None:
                raise NaiveDatetimeError(
                    f"message {key!r}: {{{name}}} is a naive datetime; pass an aware one"
                )
            local = value.astimezone(tz) if tz is not None else value
            return f"{ctx.datetime_pattern.apply(local, ctx.babel)} {_zone_label(local)}"
        if isinstance(value, _dt.date):
            return str(ctx.date_pattern.apply(value, ctx.babel))
        if isinstance(value, bool):
            raise WrongTypeError(
                f"message {key!r}: {{{name}}} is a bool; pass words from the catalog instead"
            )
        if isinstance(value, int | float | decimal.Decimal):
            return str(format_decimal(value, locale=ctx.babel))
        if isinstance(value, Money):
            return str(format_currency(value.amount, value.currency, locale=ctx.babel))
        if isinstance(value, Plural):
            return self.render(value.key, locale, count=value.count)
        if isinstance(value, MessageRef):
            return self.render(value.key, locale)
        if isinstance(value, Holiday):
            return value.name(ctx.lang)
        if isinstance(value, Term):
            return value.label(ctx.lang)
        label = getattr(value, "label", None)
        if callable(label) and hasattr(value, "terminal"):  # a workflow State
            return str(label(ctx.lang))
        if isinstance(value, list | tuple):
            items = [self._format(v, name, key, locale, ctx, tz) for v in value]
            return str(format_list(items, locale=ctx.babel)) if items else ""
        raise WrongTypeError(
            f"message {key!r}: cannot render {{{name}}} of type {type(value).__name__}; "
            "pass str, numbers, dates, Money, Plural, MessageRef, lists, Holiday, Term or State"
        )


def _load(
    directories: Sequence[str | os.PathLike[str]],
) -> tuple[dict[str, dict[str, _Entry]], dict[str, Catalog | None], list[CatalogProblem]]:
    entries: dict[str, dict[str, _Entry]] = {}
    headers: dict[str, Catalog | None] = {}
    problems: list[CatalogProblem] = []
    for directory in directories:
        for locale, path in _po_files(Path(directory)).items():
            try:
                Locale.parse(locale)
            except (UnknownLocaleError, ValueError):
                problems.append(CatalogProblem("locale", locale, "", f"unknown locale {locale!r}"))
                continue
            header, found = _read(path, locale, problems)
            entries.setdefault(locale, {}).update(found)
            if header is not None:
                headers[locale] = header
    return entries, headers, problems


def check_catalogs(
    *directories: str | os.PathLike[str], include_default: bool = True
) -> list[CatalogProblem]:
    """Check catalogs for every defect a translator or integrator can introduce.

    Reports templates that do not parse or use refused placeholders, messages missing
    in a locale, placeholders that differ between locales, plural forms that do not
    match the locale's CLDR rules, and SMS variants longer than one GSM-7 segment
    before any value is substituted.

    Args:
        *directories: Catalog folders layered over migrantcare's own.
        include_default: Layer them over migrantcare's catalogs (``True``) or check
            them alone.

    Returns:
        The problems found; empty when the catalogs are sound.
    """
    dirs: list[str | os.PathLike[str]] = [default_directory()] if include_default else []
    dirs.extend(directories)
    entries, _headers, problems = _load(dirs)
    all_keys = set().union(*(set(e) for e in entries.values())) if entries else set()
    reference = "id" if "id" in entries else (sorted(entries)[0] if entries else None)
    for locale in sorted(entries):
        have = entries[locale]
        for key in sorted(all_keys - set(have)):
            if not any(p.locale == locale and p.key == key for p in problems):
                problems.append(CatalogProblem("missing", locale, key, "not in this locale"))
        expected = Catalog(locale=locale).num_plurals
        for key, entry in sorted(have.items()):
            if entry.plural and len(entry.forms) != expected:
                problems.append(
                    CatalogProblem(
                        "plural_forms",
                        locale,
                        key,
                        f"{len(entry.forms)} plural forms; CLDR has {expected} for {locale!r}",
                    )
                )
            if reference and locale != reference and key in entries[reference]:
                ours = frozenset().union(*(placeholders(f) for f in entries[reference][key].forms))
                theirs = frozenset().union(*(placeholders(f) for f in entry.forms))
                if ours != theirs and key not in FORMAT_KEYS:
                    problems.append(
                        CatalogProblem(
                            "placeholders",
                            locale,
                            key,
                            f"uses {{{', '.join(sorted(theirs))}}} but {reference!r} uses "
                            f"{{{', '.join(sorted(ours))}}}",
                        )
                    )
            if key.endswith(".sms"):
                literal = "".join(lit for lit, _ in entry.forms[0])
                info = sms_info(literal)
                if info.segments > 1:
                    problems.append(
                        CatalogProblem(
                            "sms_length",
                            locale,
                            key,
                            f"{info.units} {info.encoding} units before values: over one segment",
                        )
                    )
    return problems


def format_problems(problems: Iterable[CatalogProblem]) -> str:
    """One line per problem, for a terminal."""
    return "\n".join(str(p) for p in problems)
