"""What the calendar exports are made of: iCalendar text and numpy's busday arguments.

The functions here read a calendar through :class:`ExportSource` (what an export needs
of it), so both the public functions of ``_exports`` and ``WorkingCalendar.to_ics`` /
``to_numpy`` can call them without the two modules importing each other.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from typing import Any, Protocol

import attrs

from migrantcare._locales import in_language
from migrantcare._version import __version__
from migrantcare.calendar._holidays import Holiday
from migrantcare.calendar._schedule import WorkSchedule
from migrantcare.exceptions import InvalidArgumentError, NaiveDatetimeError, WrongTypeError

_FOLD_AT = 75  # octets per content line, CRLF excluded (RFC 5545 §3.1)
_CRLF = "\r\n"


class ExportSource(Protocol):
    """What an export reads of a working calendar."""

    @property
    def tz(self) -> str: ...

    @property
    def first_year(self) -> int: ...

    @property
    def last_year(self) -> int: ...

    @property
    def schedule(self) -> WorkSchedule: ...

    @property
    def provisional_years(self) -> frozenset[int]: ...

    def holidays(self, year: int) -> tuple[Holiday, ...]: ...

    def is_working_day(self, day: _dt.date) -> bool: ...

    def provisional_reason(
        self, start: _dt.date, end: _dt.date | None = None, *, lang: str = "en"
    ) -> str: ...


# ---------------------------------------------------------------------------- iCalendar


def _escape(text: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11): backslash first, then ``;`` ``,`` newlines."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 sequence (RFC 5545 §3.1)."""
    if len(line.encode("utf-8")) <= _FOLD_AT:
        return line
    parts: list[str] = []
    current: list[str] = []
    size = 0
    limit = _FOLD_AT
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            # A continuation line starts with one space, which counts towards its 75 octets.
            current, size, limit = [], 0, _FOLD_AT - 1
        current.append(char)
        size += width
    parts.append("".join(current))
    return (_CRLF + " ").join(parts)


def _uid(prefix: str, holiday: Holiday) -> str:
    # Stable across exports and library versions: date, kind and the Indonesian name (the
    # official one) identify a holiday, so re-importing updates events instead of doubling
    # them, while a renamed or moved holiday becomes a new event.
    digest = hashlib.sha256(f"{holiday.kind}|{holiday.name_id}".encode()).hexdigest()[:12]
    return f"{prefix}-{holiday.date:%Y%m%d}-{digest}@migrantcare"


def _kind_label(kind: str, lang: str) -> str:
    if kind == "national":
        return in_language(lang, "Libur nasional", "National holiday")
    if kind == "collective_leave":
        return in_language(lang, "Cuti bersama", "Collective leave (cuti bersama)")
    return in_language(lang, "Kantor tutup", "Office closure")


def _check_dtstamp(dtstamp: _dt.datetime | None, year: int) -> _dt.datetime:
    if dtstamp is None:
        # Deterministic: the same calendar exports to the same bytes, run after run.
        return _dt.datetime(year, 1, 1, tzinfo=_dt.timezone.utc)
    if not isinstance(dtstamp, _dt.datetime):
        raise WrongTypeError(
            f"dtstamp must be an aware datetime.datetime, got {type(dtstamp).__name__}"
        )
    if dtstamp.utcoffset() is None:
        raise NaiveDatetimeError(
            f"dtstamp {dtstamp.isoformat()} is naive; pass an aware datetime (e.g. in UTC)"
        )
    return dtstamp.astimezone(_dt.timezone.utc)


def ics_text(  # noqa: PLR0917 - calendar_to_ics's arguments, checked there
    calendar: ExportSource,
    year: int,
    lang: str,
    name: str | None,
    uid_prefix: str,
    dtstamp: _dt.datetime | None,
) -> str:
    """:func:`migrantcare.calendar_to_ics` (see there)."""
    if not uid_prefix or any(c.isspace() or c == "@" for c in uid_prefix):
        raise InvalidArgumentError(
            f"uid_prefix must be a non-empty id without spaces or '@', got {uid_prefix!r}"
        )
    holidays = calendar.holidays(year)  # validates year before anything is built
    stamp = f"{_check_dtstamp(dtstamp, year):%Y%m%dT%H%M%SZ}"
    lines = _header_lines(calendar, year, lang, name)
    language = "id" if in_language(lang, "id", "en") == "id" else "en"
    for h in holidays:
        lines += _event_lines(h, lang, language, uid_prefix, stamp)
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + _CRLF for line in lines)


def _header_lines(calendar: ExportSource, year: int, lang: str, name: str | None) -> list[str]:
    """The calendar's own lines: its name, zone, and whether its year is provisional."""
    # a year whose cuti bersama is not decreed or whose holidays are estimated says so
    # where every calendar application shows it: in its name and description
    reason = calendar.provisional_reason(_dt.date(year, 1, 1), lang=lang)
    title = name or in_language(
        lang,
        f"Hari libur kantor {year} ({calendar.tz})" + (" (sementara)" if reason else ""),
        f"Office non-working days {year} ({calendar.tz})" + (" (provisional)" if reason else ""),
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//migrantcare//migrantcare {__version__}//{'ID' if lang == 'id' else 'EN'}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(title)}",
        f"X-WR-TIMEZONE:{calendar.tz}",
        f"X-MIGRANTCARE-PROVISIONAL:{'TRUE' if reason else 'FALSE'}",
    ]
    if reason:
        lines.append(
            "X-WR-CALDESC:"
            + _escape(
                in_language(
                    lang,
                    f"Data sementara, dapat berubah. {reason}.",
                    f"Provisional data; it may change. {reason}.",
                )
            )
        )
    return lines


def _summary(h: Holiday, lang: str) -> str:
    """The event's title: the holiday's name, marked as leave, closure or estimate."""
    summary = h.name(lang)
    if h.kind == "collective_leave" and "cuti bersama" not in summary.lower():
        # the Indonesian names already say it ("Cuti Bersama Tahun Baru Imlek")
        summary = f"Cuti bersama: {summary}"
    elif h.kind == "office":
        summary = f"{in_language(lang, 'Kantor tutup', 'Office closed')}: {summary}"
    if h.estimated:
        summary += in_language(lang, " (perkiraan)", " (estimated)")
    return summary


def _event_lines(h: Holiday, lang: str, language: str, uid_prefix: str, stamp: str) -> list[str]:
    """The VEVENT of one holiday."""
    description = f"{h.name_id} / {h.name_en}\n{_kind_label(h.kind, lang)}"
    if h.estimated:
        description += "\n" + in_language(
            lang,
            "Tanggal perkiraan, belum ditetapkan; dapat berubah.",
            "Estimated date, not yet decreed; it may change.",
        )
    return [
        "BEGIN:VEVENT",
        f"UID:{_uid(uid_prefix, h)}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{h.date:%Y%m%d}",
        f"DTEND;VALUE=DATE:{h.date + _dt.timedelta(days=1):%Y%m%d}",
        f"SUMMARY;LANGUAGE={language}:{_escape(_summary(h, lang))}",
        f"DESCRIPTION:{_escape(description)}",
        f"CATEGORIES:{_escape(_kind_label(h.kind, lang))}",
        f"STATUS:{'TENTATIVE' if h.estimated else 'CONFIRMED'}",
        "TRANSP:TRANSPARENT",
        f"X-MIGRANTCARE-KIND:{h.kind}",
        f"X-MIGRANTCARE-ESTIMATED:{'TRUE' if h.estimated else 'FALSE'}",
        "END:VEVENT",
    ]


# ---------------------------------------------------------------------------- numpy


@attrs.frozen
class BusdayCalendar:
    """The arguments of ``numpy.busdaycalendar`` that reproduce a working calendar.

    ``numpy.busday_count``, ``busday_offset`` and ``is_busday`` with this weekmask and
    these holidays give the library's answers for every date from :attr:`first_day` to
    :attr:`last_day` (numpy knows nothing beyond them: outside, only the weekmask counts).
    Working *days* only: hours, breaks and time zones stay with the library.

    Attributes:
        weekmask: Seven ``"0"``/``"1"`` characters, Monday first (``"1111100"``).
        holidays: Every date in the covered years that the weekmask calls a working day
            but the calendar does not (holidays on weekdays, cuti bersama, closures,
            days a date-range schedule leaves without hours), sorted.
        first_day: The first day the agreement holds (1 January of the first year).
        last_day: The last day the agreement holds (31 December of the last year).
        provisional_years: The years whose holidays are estimated or whose cuti
            bersama is not decreed yet (``WorkingCalendar.provisional_years``): counts
            over them are the library's answers on the data it has, and may move when
            the decree appears. :meth:`settled` tests a span.
    """

    weekmask: str
    holidays: tuple[_dt.date, ...]
    first_day: _dt.date
    last_day: _dt.date
    provisional_years: tuple[int, ...] = ()

    def settled(self, start: _dt.date, end: _dt.date) -> bool:
        """Whether a count over ``start``..``end`` rests only on decreed holiday data.

        Raises:
            WrongTypeError: ``start`` or ``end`` is not a date.

        Examples:
            >>> import datetime as dt
            >>> from migrantcare import WorkingCalendar, calendar_to_numpy
            >>> args = calendar_to_numpy(WorkingCalendar.indonesia())
            >>> args.settled(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
            True
            >>> args.settled(dt.date(2026, 1, 1), dt.date(2028, 6, 30))  # no SKB for 2028
            False
        """
        for name, value in (("start", start), ("end", end)):
            if not isinstance(value, _dt.date):
                raise WrongTypeError(f"{name} must be a datetime.date, got {type(value).__name__}")
        first, last = sorted((start.year, end.year))
        return not any(first <= year <= last for year in self.provisional_years)

    def busdaycalendar(self) -> Any:
        """Return a ``numpy.busdaycalendar`` (numpy is imported only here).

        Raises:
            ImportError: numpy is not installed (``pip install numpy``).
        """
        try:
            import numpy as np  # noqa: PLC0415 - numpy is optional, never imported eagerly
        except ImportError as exc:
            raise ImportError(
                "BusdayCalendar.busdaycalendar() needs numpy, which migrantcare does not "
                "install; run 'pip install numpy' (or use .weekmask and .holidays directly)"
            ) from exc
        return np.busdaycalendar(
            weekmask=self.weekmask, holidays=np.array(self.holidays, dtype="datetime64[D]")
        )


def busday_arguments(calendar: ExportSource) -> BusdayCalendar:
    """:func:`migrantcare.calendar_to_numpy` (see there)."""
    week = tuple(calendar.schedule.working_minutes(d) > 0 for d in range(7))
    weekmask = "".join("1" if w else "0" for w in week)
    first = _dt.date(calendar.first_year, 1, 1)
    last = _dt.date(calendar.last_year, 12, 31)
    holidays: list[_dt.date] = []
    day, one = first, _dt.timedelta(days=1)
    while day <= last:
        working = calendar.is_working_day(day)
        if week[day.weekday()]:
            if not working:
                holidays.append(day)
        elif working:
            raise InvalidArgumentError(
                f"{day.isoformat()} ({day:%A}) is a working day of this calendar but the "
                f"weekmask {weekmask} rests on {day:%A}s; numpy.busdaycalendar has one "
                "weekmask, so only calendars whose extra working days fall on weekmask days "
                "can be exported"
            )
        day += one
    return BusdayCalendar(
        weekmask=weekmask,
        holidays=tuple(holidays),
        first_day=first,
        last_day=last,
        provisional_years=tuple(sorted(calendar.provisional_years)),
    )
