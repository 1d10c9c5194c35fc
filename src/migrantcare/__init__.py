"""migrantcare: the domain core for Indonesian migrant-worker protection cases.

The public surface is re-exported here; everything in ``migrantcare._*`` modules is
private and may change without notice. Errors live in :mod:`migrantcare.exceptions`.
"""

from migrantcare._calendar import ScheduleRange, WorkingCalendar
from migrantcare._holidays import Holiday, HolidayKind
from migrantcare._regions import PROVINCE_TIMEZONES, ZONE_ABBREVIATIONS
from migrantcare._schedule import WorkSchedule
from migrantcare._version import __version__

__all__ = [
    "PROVINCE_TIMEZONES",
    "ZONE_ABBREVIATIONS",
    "Holiday",
    "HolidayKind",
    "ScheduleRange",
    "WorkSchedule",
    "WorkingCalendar",
    "__version__",
]
