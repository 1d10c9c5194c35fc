"""Holiday records and the one-time copy of Indonesia's data out of ``holidays``.

The ``holidays`` package is imported lazily: it costs about 40 ms to import, which a host
that only renders messages should not pay.
"""

from __future__ import annotations

import datetime as _dt
from typing import Literal

import attrs

from migrantcare._locales import in_language

#: What closes the office on a holiday: a national public holiday (libur nasional),
#: collective leave for civil servants (cuti bersama), or a closure the integrator adds.
HolidayKind = Literal["national", "collective_leave", "office"]
HOLIDAY_KINDS: tuple[HolidayKind, ...] = ("national", "collective_leave", "office")

_ESTIMATED_SUFFIXES = (" (perkiraan)", " (estimated)")


@attrs.frozen(order=True)
class Holiday:
    """One day on which government offices are closed.

    Attributes:
        date: The local calendar date.
        name_id: The name in Indonesian, e.g. ``"Hari Raya Idul Fitri"``.
        name_en: The name in English, e.g. ``"Eid al-Fitr"``.
        kind: ``"national"`` (libur nasional), ``"collective_leave"`` (cuti bersama, set by
            joint ministerial decree) or ``"office"`` (a closure added by the integrator).
        estimated: ``True`` when the date is computed, not yet decreed (e.g. an Islamic
            holiday several years ahead); deadlines across it are provisional.
    """

    date: _dt.date
    name_id: str
    name_en: str
    kind: HolidayKind = attrs.field(default="national")
    estimated: bool = False

    def name(self, lang: str) -> str:
        """Return the name in ``lang``: ``"id"`` or ``"en"`` (``"en_US"``, ``"id-ID"`` work too).

        Raises:
            MissingMessageError: ``lang`` is neither Indonesian nor English (e.g. ``"fr"``).
        """
        return in_language(lang, self.name_id, self.name_en)


def holiday_sort_key(holiday: Holiday) -> tuple[_dt.date, str, str]:
    """Sort key for holidays: by date, then kind and name (attrs' ``__lt__`` is 10x slower)."""
    return holiday.date, holiday.kind, holiday.name_id


def _split(name: str) -> list[tuple[str, bool]]:
    # ``holidays`` joins several names on one date with "; ".
    out = []
    for part in name.split("; "):
        text, estimated = part, False
        for suffix in _ESTIMATED_SUFFIXES:
            if text.endswith(suffix):
                text, estimated = text[: -len(suffix)], True
        out.append((text, estimated))
    return out


def load_indonesia(first_year: int, last_year: int) -> tuple[tuple[Holiday, ...], range]:
    """Copy Indonesia's holidays for ``first_year..last_year`` out of the ``holidays`` package.

    Returns:
        The holidays sorted by date, and the range of years for which the data holds
        decreed cuti bersama.
    """
    import holidays as _holidays_pkg  # noqa: PLC0415 - lazy: see module docstring

    years = range(first_year, last_year + 1)
    result: list[Holiday] = []
    collective_years: set[int] = set()
    for category, kind in (("public", "national"), ("government", "collective_leave")):
        # expand=False: a later lookup outside ``years`` must not grow the object.
        names_id = _holidays_pkg.country_holidays(
            "ID", years=years, categories=(category,), language="id", expand=False
        )
        names_en = _holidays_pkg.country_holidays(
            "ID", years=years, categories=(category,), language="en_US", expand=False
        )
        for day, name_id in names_id.items():
            result += _holidays_of_day(day, name_id, names_en.get(day, name_id), kind)
            if kind == "collective_leave":
                collective_years.add(day.year)
    result.sort(key=holiday_sort_key)
    coverage = (
        range(min(collective_years), max(collective_years) + 1) if collective_years else range(0)
    )
    return tuple(result), coverage


def _holidays_of_day(day: _dt.date, name_id: str, name_en: str, kind: str) -> list[Holiday]:
    """The holidays one day's names hold (a day may hold two, joined by ``"; "``)."""
    parts_id = _split(name_id)
    parts_en = _split(name_en)
    if len(parts_en) != len(parts_id):
        parts_en = parts_id
    return [
        Holiday(day, nid, nen, kind, est_id or est_en)  # type: ignore[arg-type]
        for (nid, est_id), (nen, est_en) in zip(parts_id, parts_en, strict=True)
    ]


def unsettled_year(year: int, *, decreed: bool, earlier: bool, estimated: int, lang: str) -> str:
    """Why ``year``'s holiday data may still change, and what will settle it, in ``lang``.

    Args:
        year: The year.
        decreed: Whether its cuti bersama is decreed in the data.
        earlier: The year comes before the first year with cuti bersama in the data.
        estimated: How many of its holiday dates are estimated, not decreed.
        lang: ``"id"`` or ``"en"`` (tags and headers are negotiated).
    """
    if not decreed and earlier:
        return in_language(
            lang,
            f"{year}: data cuti bersama tidak ada (tambahkan dengan with_holidays() bila ada)",
            f"{year}: no cuti bersama in the data (add it with with_holidays() if there was any)",
        )
    dates = in_language(
        lang,
        f"{estimated} tanggal libur masih perkiraan",
        f"{estimated} holiday date{'' if estimated == 1 else 's'} estimated",
    )
    if not decreed:
        # The SKB of the three ministers for year Y sets both sets; it usually appears
        # around September-October of Y-1 (see docs/explanation/holiday-data.md).
        what = in_language(lang, "cuti bersama belum ditetapkan", "no cuti bersama decreed yet")
        if estimated:
            what += ", " + dates
        return in_language(
            lang,
            f"{year}: {what} (dipastikan oleh SKB hari libur nasional dan cuti bersama {year}, "
            f"biasanya terbit September-Oktober {year - 1})",
            f"{year}: {what} (settled by the SKB on national holidays and cuti bersama {year}, "
            f"usually published in September-October {year - 1})",
        )
    return in_language(
        lang,
        f"{year}: {dates} (dipastikan oleh revisi SKB {year} atau sidang isbat Kementerian "
        "Agama untuk hari raya Islam)",
        f"{year}: {dates} (settled by a revised SKB for {year}, or the Ministry of Religious "
        "Affairs' isbat for Islamic holidays)",
    )
