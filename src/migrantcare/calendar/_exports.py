"""Calendar exports for the people and tools around the system.

* :func:`calendar_to_ics` writes an office's non-working days of a year as an iCalendar
  file (RFC 5545) that Outlook, Google Calendar or Thunderbird import as all-day events.
* :func:`calendar_to_numpy` gives the weekmask and holidays for ``numpy.busdaycalendar``,
  so analysts counting working days over millions of rows get the library's answers.

Both are pure: the same calendar gives the same bytes (no clock is read; ``DTSTAMP`` is
an argument with a deterministic default) and numpy is only imported when asked for.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from typing import TYPE_CHECKING, Any

import attrs

from migrantcare._locales import in_language
from migrantcare._version import __version__
from migrantcare.exceptions import InvalidArgumentError, NaiveDatetimeError, WrongTypeError

if TYPE_CHECKING:
    from migrantcare.calendar._calendar import WorkingCalendar
    from migrantcare.calendar._holidays import Holiday

_FOLD_AT = 75  # octets per content line, CRLF excluded (RFC 5545 §3.1)
_CRLF = "\r\n"


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


def calendar_to_ics(
    calendar: WorkingCalendar,
    year: int,
    *,
    lang: str = "id",
    name: str | None = None,
    uid_prefix: str = "indonesia",
    dtstamp: _dt.datetime | None = None,
) -> str:
    """Return the non-working days of ``year`` as an iCalendar (``.ics``) document.

    Each holiday of the calendar (libur nasional, cuti bersama, office closures; those
    on a weekend too) becomes an all-day event (``DTSTART;VALUE=DATE``). The summary is in
    ``lang``; the description gives both names. Cuti bersama is marked in the summary and
    in ``CATEGORIES``; a date that is estimated rather than decreed says so in the
    summary, is ``STATUS:TENTATIVE`` and carries ``X-MIGRANTCARE-ESTIMATED:TRUE``. A
    provisional year (cuti bersama not decreed yet, or estimated dates) says so in the
    calendar's name ("(sementara)" / "(provisional)"), in ``X-WR-CALDESC`` (what is
    unsettled and the decree that settles it, as
    :meth:`WorkingCalendar.provisional_reason` words it) and in
    ``X-MIGRANTCARE-PROVISIONAL:TRUE``: a year with no cuti bersama yet is not a year
    without cuti bersama. Events
    are ``TRANSP:TRANSPARENT`` (they do not mark anyone busy). Weekly rest days are not
    listed: they are the office's schedule, not events.

    The text follows RFC 5545: CRLF line ends, lines folded at 75 octets, TEXT values
    escaped, UIDs stable across exports (re-importing updates events instead of doubling
    them). Write it with ``open(path, "w", newline="")`` (or as UTF-8 bytes) so the CRLFs
    survive.

    Args:
        calendar: The office's working calendar.
        year: The year to export; it must be covered by the calendar.
        lang: ``"id"`` or ``"en"`` (``"id-ID"``, ``"en_US"`` work too) for summaries.
        name: The calendar's display name (``X-WR-CALNAME``); a default names the zone.
        uid_prefix: Starts every UID; use the office id so that two offices' exports
            imported side by side stay apart.
        dtstamp: When the export was made (aware); the default, 1 January of ``year``
            00:00 UTC, keeps the output deterministic (the library reads no clock).

    Returns:
        The iCalendar text with CRLF line ends.

    Raises:
        WrongTypeError: ``dtstamp`` is not a datetime.
        NaiveDatetimeError: ``dtstamp`` is naive.
        InvalidArgumentError: ``uid_prefix`` is empty or has spaces or ``@``.
        DateOutOfRangeError: ``year`` is outside the calendar's years.

    Examples:
        >>> from migrantcare import WorkingCalendar
        >>> ics = calendar_to_ics(WorkingCalendar.indonesia(), 2026, lang="en")
        >>> ics.count("BEGIN:VEVENT")
        25
        >>> ics.count("SUMMARY;LANGUAGE=en:Cuti bersama: ")
        8
    """
    if not uid_prefix or any(c.isspace() or c == "@" for c in uid_prefix):
        raise InvalidArgumentError(
            f"uid_prefix must be a non-empty id without spaces or '@', got {uid_prefix!r}"
        )
    holidays = calendar.holidays(year)  # validates year before anything is built
    stamp = _check_dtstamp(dtstamp, year)
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
    stamp_text = f"{stamp:%Y%m%dT%H%M%SZ}"
    language = "id" if in_language(lang, "id", "en") == "id" else "en"
    for h in holidays:
        summary = h.name(lang)
        if h.kind == "collective_leave" and "cuti bersama" not in summary.lower():
            # the Indonesian names already say it ("Cuti Bersama Tahun Baru Imlek")
            summary = f"Cuti bersama: {summary}"
        elif h.kind == "office":
            summary = f"{in_language(lang, 'Kantor tutup', 'Office closed')}: {summary}"
        if h.estimated:
            summary += in_language(lang, " (perkiraan)", " (estimated)")
        description = f"{h.name_id} / {h.name_en}\n{_kind_label(h.kind, lang)}"
        if h.estimated:
            description += "\n" + in_language(
                lang,
                "Tanggal perkiraan, belum ditetapkan; dapat berubah.",
                "Estimated date, not yet decreed; it may change.",
            )
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_uid(uid_prefix, h)}",
            f"DTSTAMP:{stamp_text}",
            f"DTSTART;VALUE=DATE:{h.date:%Y%m%d}",
            f"DTEND;VALUE=DATE:{h.date + _dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY;LANGUAGE={language}:{_escape(summary)}",
            f"DESCRIPTION:{_escape(description)}",
            f"CATEGORIES:{_escape(_kind_label(h.kind, lang))}",
            f"STATUS:{'TENTATIVE' if h.estimated else 'CONFIRMED'}",
            "TRANSP:TRANSPARENT",
            f"X-MIGRANTCARE-KIND:{h.kind}",
            f"X-MIGRANTCARE-ESTIMATED:{'TRUE' if h.estimated else 'FALSE'}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + _CRLF for line in lines)


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
            >>> from migrantcare import WorkingCalendar
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


def calendar_to_numpy(calendar: WorkingCalendar) -> BusdayCalendar:
    """Return the weekmask and holidays that make numpy count working days like ``calendar``.

    The weekmask is the default schedule's working weekdays. A day the weekmask rests on
    but the calendar works (a date-range schedule opening on Saturdays, say) cannot be
    said to numpy, so such a calendar is refused rather than exported wrong.

    Args:
        calendar: The working calendar.

    Returns:
        The weekmask and holidays, as plain values (no numpy needed to build them),
        and the provisional years: numpy counts over them without knowing that their
        holidays are estimated or their cuti bersama not decreed; ask
        :meth:`BusdayCalendar.settled` before reporting a count as final.

    Raises:
        InvalidArgumentError: the calendar works on a day the weekmask rests on.

    Examples:
        >>> import datetime as dt
        >>> from migrantcare import WorkingCalendar
        >>> args = calendar_to_numpy(WorkingCalendar.indonesia())
        >>> args.weekmask
        '1111100'
        >>> dt.date(2026, 3, 23) in args.holidays  # cuti bersama Idul Fitri
        True
    """
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
