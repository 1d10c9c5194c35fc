"""Offices and the registry a host configures once: who handles cases, on which calendar.

An :class:`Office` carries what the core needs to compute and to write about a case:
its working calendar (whose zone follows the office's province), its names in
Indonesian and English, and the head's title and contact line for notices. An
:class:`Offices` registry is an immutable value built by the host, from code or from a
TOML/JSON file; bound to a workflow (``workflow.bind(offices)``) it resolves the
calendar of every case from ``case.office``.

No real office data ships with the package: ids, names and addresses come from the host.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import attrs

from migrantcare._locales import in_language
from migrantcare._validate import (
    MAX_DOCUMENT_DEPTH,
    check_text,
    decode_document,
    document_nesting,
    document_problem,
    quote,
)
from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.calendar._regions import PROVINCE_TIMEZONES, province_name
from migrantcare.exceptions import (
    InvalidArgumentError,
    MigrantCareError,
    OfficeConfigError,
    UnknownOfficeError,
    WrongTypeError,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

_ID: Final = re.compile(r"[a-z0-9][a-z0-9_.:-]{0,63}\Z")
_TEXT_LIMIT: Final = 500


def check_office_id(value: object, what: str = "office id") -> str:
    """Return ``value`` if it is a valid office id (lower-case, ``a-z 0-9 _ . : -``)."""
    if not isinstance(value, str):
        raise WrongTypeError(f"{what} must be a str, got {type(value).__name__}")
    if not _ID.match(value):
        raise InvalidArgumentError(
            f"{what} {value!r:.80} is not a valid office id; use lower-case letters, digits, "
            "'_', '.', ':' or '-' (at most 64 characters), e.g. 'bp3mi-ntb'"
        )
    return value


def _text(value: object, what: str, *, required: bool) -> None:
    if not isinstance(value, str):
        raise WrongTypeError(f"{what} must be a str, got {type(value).__name__}")
    # lone surrogates too: they would only fail far away, when a notice or report is written
    check_text(value, what, empty=not required, limit=_TEXT_LIMIT)


@attrs.frozen
class Office:
    """An office that handles cases (a BP3MI, a P4MI post, the national call centre).

    Attributes:
        id: The host's id of the office, e.g. ``"bp3mi-ntb"`` (stored on every case).
        name_id: The office's name in Indonesian.
        name_en: The office's name in English.
        province: The province it is in (canonical spelling; matched case-insensitively).
        calendar: The calendar it works on; its zone must be the province's zone.
        head_title_id: The head's title in Indonesian (signs notices), e.g. ``"Kepala BP3MI"``.
        head_title_en: The head's title in English.
        address: The address line for notices.
        contact: The contact line for notices (phone, e-mail, hours).
        parent: The office it reports to (a P4MI post under its BP3MI), or ``None``.

    Examples:
        >>> from migrantcare import WorkingCalendar
        >>> ntb = Office(
        ...     "bp3mi-ntb", "BP3MI Nusa Tenggara Barat", "BP3MI West Nusa Tenggara",
        ...     "nusa tenggara barat", WorkingCalendar.for_province("Nusa Tenggara Barat"),
        ...     "Kepala BP3MI NTB", "Head of BP3MI NTB",
        ... )
        >>> ntb.province, ntb.calendar.tz
        ('Nusa Tenggara Barat', 'Asia/Makassar')
    """

    id: str
    name_id: str
    name_en: str
    province: str
    calendar: WorkingCalendar
    head_title_id: str
    head_title_en: str
    address: str = ""
    contact: str = ""
    parent: str | None = None

    def __attrs_post_init__(self) -> None:
        check_office_id(self.id)
        where = f"office {self.id!r}"
        for field in ("name_id", "name_en", "head_title_id", "head_title_en"):
            _text(getattr(self, field), f"{where}: {field}", required=True)
        for field in ("address", "contact"):
            _text(getattr(self, field), f"{where}: {field}", required=False)
        object.__setattr__(self, "province", province_name(self.province))
        if not isinstance(self.calendar, WorkingCalendar):
            raise WrongTypeError(
                f"{where}: calendar must be a WorkingCalendar, got {type(self.calendar).__name__}"
            )
        expected = PROVINCE_TIMEZONES[self.province]
        if self.calendar.tz != expected:
            raise InvalidArgumentError(
                f"{where} is in {self.province}, which works in {expected}; its calendar is "
                f"in {self.calendar.tz} (use WorkingCalendar.for_province({self.province!r}) "
                "or .in_zone(...))"
            )
        if self.parent is not None:
            check_office_id(self.parent, f"{where}: parent")
            if self.parent == self.id:
                raise InvalidArgumentError(f"{where} cannot be its own parent")

    def name(self, lang: str) -> str:
        """The office's name in ``lang``: Indonesian (``"id"``, ``"in"``, ``"id-ID"``) or English.

        Raises:
            MissingMessageError: ``lang`` is neither (e.g. ``"fr"``): no silent English,
                as for state labels, terms and holidays.

        Examples:
            >>> from migrantcare import WorkingCalendar
            >>> office = Office(
            ...     "bp3mi-ntb", "BP3MI Nusa Tenggara Barat", "BP3MI West Nusa Tenggara",
            ...     "Nusa Tenggara Barat", WorkingCalendar.for_province("Nusa Tenggara Barat"),
            ...     "Kepala BP3MI NTB", "Head of BP3MI NTB",
            ... )
            >>> office.name("in"), office.name("en-GB")
            ('BP3MI Nusa Tenggara Barat', 'BP3MI West Nusa Tenggara')
        """
        return in_language(lang, self.name_id, self.name_en)

    def with_closures(
        self, dates: Iterable[_dt.date], name: str = "Kantor tutup", name_en: str | None = None
    ) -> Office:
        """Return this office with its calendar also closed on ``dates`` (a flood, a decree)."""
        return attrs.evolve(self, calendar=self.calendar.with_closures(dates, name, name_en))


def _offices_tuple(value: Iterable[Office]) -> tuple[Office, ...]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise WrongTypeError(f"Offices needs an iterable of Office, got {type(value).__name__}")
    out = tuple(value)
    for office in out:
        if not isinstance(office, Office):
            raise WrongTypeError(f"Offices holds Office values, got {type(office).__name__}")
    return out


@attrs.frozen(init=False, repr=False)
class Offices:
    """An immutable registry of offices, looked up by id.

    Build it once at start-up (``Offices([...])`` or :meth:`from_file`) and bind
    workflows to it. ``with_office`` / ``with_closures`` return new registries; the
    :attr:`version` changes whenever any office's calendar changes.

    Examples:
        >>> offices = Offices.from_file("examples/offices.toml")
        >>> offices.calendar("bp3mi-ntb").tz
        'Asia/Makassar'
        >>> offices["p4mi-lombok-timur"].parent
        'bp3mi-ntb'
    """

    _offices: tuple[Office, ...]
    _by_id: Mapping[str, Office] = attrs.field(eq=False)
    _version: str = attrs.field(eq=False)

    def __init__(self, offices: Iterable[Office]) -> None:
        """Validate and index ``offices``.

        Raises:
            WrongTypeError: an item is not an :class:`Office`.
            InvalidArgumentError: two offices share an id, or a parent is unknown or
                makes a cycle.
        """
        items = _offices_tuple(offices)
        by_id: dict[str, Office] = {}
        for office in items:
            if office.id in by_id:
                raise InvalidArgumentError(f"office id {office.id!r} is given twice")
            by_id[office.id] = office
        for office in items:
            seen = {office.id}
            parent = office.parent
            while parent is not None:
                if parent not in by_id:
                    raise InvalidArgumentError(
                        f"office {office.id!r} names parent {parent!r}, which is not in the "
                        "registry"
                    )
                if parent in seen:
                    raise InvalidArgumentError(
                        f"office {office.id!r}: parents form a cycle through {parent!r}"
                    )
                seen.add(parent)
                parent = by_id[parent].parent
        digest = hashlib.sha256()
        for office_id in sorted(by_id):
            digest.update(f"{office_id}={by_id[office_id].calendar.version};".encode())
        self.__attrs_init__(items, MappingProxyType(by_id), "offices-" + digest.hexdigest()[:16])

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt from its offices: the read-only index does not pickle, and hosts hand
        # registries (and workflows bound to them) to worker processes
        return (Offices, (self._offices,))

    # ------------------------------------------------------------------ look-up

    @property
    def version(self) -> str:
        """A fingerprint of every office's calendar: changes when any calendar changes."""
        return self._version

    @property
    def ids(self) -> tuple[str, ...]:
        """The office ids, in registry order."""
        return tuple(o.id for o in self._offices)

    def __getitem__(self, office_id: str) -> Office:
        office = self._by_id.get(office_id) if isinstance(office_id, str) else None
        if office is None:
            raise self._unknown(office_id)
        return office

    def _unknown(self, office_id: object) -> UnknownOfficeError:
        known = ", ".join(sorted(self._by_id)[:20]) or "none"
        return UnknownOfficeError(f"unknown office {office_id!r:.80}; known offices: {known}")

    def get(self, office_id: str) -> Office | None:
        """The office ``office_id``, or ``None``."""
        return self._by_id.get(office_id) if isinstance(office_id, str) else None

    def calendar(self, office_id: str) -> WorkingCalendar:
        """The calendar office ``office_id`` works on.

        Raises:
            UnknownOfficeError: no such office.
        """
        return self[office_id].calendar

    def __contains__(self, office_id: object) -> bool:
        return isinstance(office_id, str) and office_id in self._by_id

    def __iter__(self) -> Iterator[Office]:
        return iter(self._offices)

    def __len__(self) -> int:
        return len(self._offices)

    def __repr__(self) -> str:
        return f"Offices({len(self._offices)} offices, version={self._version!r})"

    # ------------------------------------------------------------------ changes

    def with_office(self, office: Office) -> Offices:
        """Return a registry with ``office`` added (or replacing the office with its id)."""
        if not isinstance(office, Office):
            raise WrongTypeError(f"expected an Office, got {type(office).__name__}")
        if office.id in self._by_id:
            return Offices(office if o.id == office.id else o for o in self._offices)
        return Offices((*self._offices, office))

    def with_closures(
        self,
        office_id: str,
        dates: Iterable[_dt.date],
        name: str = "Kantor tutup",
        name_en: str | None = None,
    ) -> Offices:
        """Return a registry in which office ``office_id`` is also closed on ``dates``.

        The office's calendar gets a new version, and so does the registry: the next
        operation on each of its cases recomputes that case's running clocks.
        """
        return self.with_office(self[office_id].with_closures(dates, name, name_en))

    # ------------------------------------------------------------------ files

    @classmethod
    def from_file(cls, path: str | Path, *, calendar: WorkingCalendar | None = None) -> Offices:
        """Load a registry from a TOML (``.toml``) or JSON (``.json``) file.

        The file holds a list ``office`` of tables with the :class:`Office` fields
        (except ``calendar``) and an optional list ``closures`` of
        ``{dates = [...], name = "...", name_en = "..."}``. See ``examples/offices.toml``.

        Args:
            path: The file.
            calendar: The calendar each office's is derived from (years, schedule,
                holiday data) — put in the office's zone; the national civil-service
                calendar when omitted.

        Raises:
            OfficeConfigError: the file cannot be read or parsed, or a value is wrong;
                the message names the file, the key path and the value.
        """
        if not isinstance(path, str | os.PathLike):
            raise WrongTypeError(f"path must be a str or a path, got {type(path).__name__}")
        where = str(path)
        file = Path(path)
        kind = file.suffix.lower()
        if kind not in (".json", ".toml"):
            raise OfficeConfigError(
                f"{where}: unknown file type {quote(file.suffix)}; use .toml or .json"
            )
        raw = _read_bytes(file, where)
        data = _parse_document(raw, kind[1:], where)
        return cls.from_mapping(data, source=where, calendar=calendar)

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, Any],
        *,
        source: str = "<mapping>",
        calendar: WorkingCalendar | None = None,
    ) -> Offices:
        """Build a registry from parsed TOML/JSON data (see :meth:`from_file`).

        Raises:
            OfficeConfigError: a key or value is wrong (named with ``source``).
        """
        if not isinstance(source, str):
            raise WrongTypeError(f"source must be a str, got {type(source).__name__}")
        if not isinstance(data, Mapping):
            raise OfficeConfigError(f"{source}: the top level must be a table/object")
        # what no document may hold, wherever it is (lone surrogates, huge numbers, deep
        # nesting): refused here, naming the key, rather than failing far away
        problem = document_problem(data)
        if problem is not None:
            raise OfficeConfigError(f"{source}: {problem[0] or '<top>'}: {problem[1]}")
        entries = _office_entries(data, source)
        base = _base_calendar(calendar)
        offices = [
            _office_from(entry, f"{source}: office[{i}]", base) for i, entry in enumerate(entries)
        ]
        try:
            return cls(offices)
        except MigrantCareError as exc:
            raise OfficeConfigError(f"{source}: {exc}") from None


def _base_calendar(calendar: object) -> WorkingCalendar:
    """The calendar the offices' calendars derive from: ``calendar``, or the national one."""
    if calendar is None:
        return WorkingCalendar.indonesia()
    if not isinstance(calendar, WorkingCalendar):
        raise WrongTypeError(f"calendar must be a WorkingCalendar, got {type(calendar).__name__}")
    return calendar


def _read_bytes(file: Path, where: str) -> bytes:
    try:
        return file.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise OfficeConfigError(f"{where}: cannot read the office file ({reason})") from None


def _parse_document(raw: bytes, fmt: str, where: str) -> Any:
    """The parsed content of an office file in format ``fmt`` (``json`` or ``toml``)."""
    text, problem = decode_document(raw)
    if text is None:
        raise OfficeConfigError(f"{where}: {problem}")
    # both parsers recurse once per level: measure the nesting before they start
    if document_nesting(text, fmt) > MAX_DOCUMENT_DEPTH:
        raise OfficeConfigError(
            f"{where}: nests deeper than {MAX_DOCUMENT_DEPTH} levels; an office file needs four"
        )
    try:
        return json.loads(text) if fmt == "json" else tomllib.loads(text)
    except (ValueError, RecursionError) as exc:
        raise OfficeConfigError(
            f"{where}: not valid {fmt.upper()}: {quote(str(exc), 200)}"
        ) from None


def _office_entries(data: Mapping[str, Any], source: str) -> list[Any]:
    """The list ``office`` of a registry document, the only key it may have."""
    extra = sorted(set(data) - {"office"})
    if extra:
        raise OfficeConfigError(
            f"{source}: unknown top-level key {extra[0]!r}; the file holds a list 'office'"
        )
    entries = data.get("office")
    if not isinstance(entries, list):
        raise OfficeConfigError(
            f"{source}: 'office' must be a list of tables ([[office]] in TOML), "
            f"got {type(entries).__name__}"
        )
    return entries


_FIELDS: Final = frozenset(
    {
        "id",
        "name_id",
        "name_en",
        "province",
        "head_title_id",
        "head_title_en",
        "address",
        "contact",
        "parent",
        "closures",
    }
)
_REQUIRED: Final = ("id", "name_id", "name_en", "province", "head_title_id", "head_title_en")


def _office_from(entry: object, where: str, base: WorkingCalendar) -> Office:
    if not isinstance(entry, Mapping):
        raise OfficeConfigError(f"{where}: must be a table/object, got {type(entry).__name__}")
    _check_office_fields(entry, where)
    try:
        province = province_name(entry["province"])
    except MigrantCareError as exc:
        raise OfficeConfigError(f"{where}.province: {exc}") from None
    cal = _with_closures(base.in_zone(PROVINCE_TIMEZONES[province]), entry, where)
    fields = {k: v for k, v in entry.items() if k != "closures"}
    try:
        return Office(calendar=cal, **fields)
    except MigrantCareError as exc:
        raise OfficeConfigError(f"{where}: {exc}") from None


def _check_office_fields(entry: Mapping[str, Any], where: str) -> None:
    """Refuse an unknown key, a missing one, and a value that is not text."""
    unknown = sorted(set(entry) - _FIELDS)
    if unknown:
        raise OfficeConfigError(
            f"{where}.{unknown[0]}: unknown key; allowed: {', '.join(sorted(_FIELDS))}"
        )
    for key in _REQUIRED:
        if key not in entry:
            raise OfficeConfigError(f"{where}.{key}: missing (required)")
    for key, value in entry.items():
        if key == "closures":
            continue
        if not (isinstance(value, str) or (key == "parent" and value is None)):
            raise OfficeConfigError(
                f"{where}.{key}: must be a string, got {type(value).__name__} {quote(value)}"
            )


def _with_closures(cal: WorkingCalendar, entry: Mapping[str, Any], where: str) -> WorkingCalendar:
    """``cal`` with the office's ``closures`` (its extra closed days) added."""
    closures = entry.get("closures", [])
    if not isinstance(closures, list):
        raise OfficeConfigError(
            f"{where}.closures: must be a list of tables ([[office.closures]] in TOML), "
            f"got {type(closures).__name__} {quote(closures)}"
        )
    for j, closure in enumerate(closures):
        cal = _closure(cal, closure, f"{where}.closures[{j}]")
    return cal


def _closure(cal: WorkingCalendar, closure: object, where: str) -> WorkingCalendar:
    if not isinstance(closure, Mapping):
        raise OfficeConfigError(f"{where}: must be a table/object with dates and name")
    unknown = sorted(set(closure) - {"dates", "name", "name_en"})
    if unknown:
        raise OfficeConfigError(f"{where}.{unknown[0]}: unknown key; allowed: dates, name, name_en")
    parsed = _closure_dates(closure.get("dates"), f"{where}.dates")
    name = closure.get("name")
    name_en = closure.get("name_en")
    if not isinstance(name, str) or (name_en is not None and not isinstance(name_en, str)):
        raise OfficeConfigError(f"{where}.name: must be a string, got {quote(name)}")
    try:
        return cal.with_closures(parsed, name, name_en)
    except MigrantCareError as exc:
        raise OfficeConfigError(f"{where}: {exc}") from None


def _closure_dates(dates: object, where: str) -> list[_dt.date]:
    """The dates of a closure: a non-empty list of dates."""
    if not isinstance(dates, list) or not dates:
        raise OfficeConfigError(f"{where}: must be a non-empty list of dates, got {quote(dates)}")
    return [_closure_date(value, f"{where}[{k}]") for k, value in enumerate(dates)]


def _closure_date(value: object, where: str) -> _dt.date:
    """A closure's date: a TOML date, or a ``YYYY-MM-DD`` text."""
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return value
    try:
        return _dt.date.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise OfficeConfigError(f"{where}: not a date (YYYY-MM-DD): {quote(value)}") from None
