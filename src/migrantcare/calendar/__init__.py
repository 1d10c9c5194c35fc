"""The Indonesian working calendar: holidays and cuti bersama, schedules, zones, exports.

Every name here is also importable from :mod:`migrantcare`.
"""

from migrantcare.calendar._calendar import ScheduleRange, WorkingCalendar
from migrantcare.calendar._exports import BusdayCalendar, calendar_to_ics, calendar_to_numpy
from migrantcare.calendar._holidays import Holiday, HolidayKind
from migrantcare.calendar._regions import PROVINCE_TIMEZONES, ZONE_ABBREVIATIONS
from migrantcare.calendar._schedule import WorkSchedule

__all__ = [
    "PROVINCE_TIMEZONES",
    "ZONE_ABBREVIATIONS",
    "BusdayCalendar",
    "Holiday",
    "HolidayKind",
    "ScheduleRange",
    "WorkSchedule",
    "WorkingCalendar",
    "calendar_to_ics",
    "calendar_to_numpy",
]
