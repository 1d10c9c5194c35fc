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

from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.calendar._formats import BusdayCalendar, busday_arguments, ics_text

__all__ = ["BusdayCalendar", "calendar_to_ics", "calendar_to_numpy"]


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
    return ics_text(calendar, year, lang, name, uid_prefix, dtstamp)


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
    return busday_arguments(calendar)
