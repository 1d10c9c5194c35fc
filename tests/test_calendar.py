from __future__ import annotations

import datetime as dt
import pickle

import pendulum
import pytest

from migrantcare import PROVINCE_TIMEZONES, Holiday, WorkingCalendar, WorkSchedule
from migrantcare.exceptions import (
    CalendarCoverageError,
    DateOutOfRangeError,
    InvalidArgumentError,
    MigrantCareError,
    MissingMessageError,
    NaiveDatetimeError,
    UnknownProvinceError,
    UnknownTimezoneError,
    WrongTypeError,
)

D = dt.date
H = dt.timedelta


def at(*args: int, tz: str = "Asia/Jakarta") -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=tz)


def kinds_on(cal: WorkingCalendar, day: dt.date) -> set[str]:
    return {h.kind for h in cal.holidays_on(day)}


# --------------------------------------------------------------------------- working days


class TestWorkingDay:
    def test_weekdays_work_weekends_do_not(self, cal: WorkingCalendar) -> None:
        # 2026-11-02 (Mon) .. 2026-11-08 (Sun): no holiday that week.
        week = [D(2026, 11, 2) + H(days=k) for k in range(7)]
        assert [cal.is_working_day(d) for d in week] == [True] * 5 + [False] * 2

    def test_national_holiday_closes(self, cal: WorkingCalendar) -> None:
        assert not cal.is_working_day(D(2026, 8, 17))  # Hari Kemerdekaan, a Monday
        assert kinds_on(cal, D(2026, 8, 17)) == {"national"}

    def test_cuti_bersama_closes(self, cal: WorkingCalendar) -> None:
        assert not cal.is_working_day(D(2026, 3, 23))
        assert kinds_on(cal, D(2026, 3, 23)) == {"collective_leave"}

    def test_office_closure_closes(self, cal: WorkingCalendar) -> None:
        closed = cal.with_closures([D(2026, 11, 4)], name="Banjir", name_en="Flood")
        assert not closed.is_working_day(D(2026, 11, 4))
        assert closed.holidays_on(D(2026, 11, 4)) == (
            Holiday(D(2026, 11, 4), "Banjir", "Flood", "office"),
        )
        assert cal.is_working_day(D(2026, 11, 4))

    def test_aware_datetime_is_read_in_the_calendar_zone(self, cal: WorkingCalendar) -> None:
        # 23:30 on Sunday in Berlin is already Monday morning in Jakarta.
        sunday_night = at(2026, 11, 1, 23, 30, tz="Europe/Berlin")
        assert cal.is_working_day(sunday_night)
        assert not cal.in_zone("UTC").is_working_day(sunday_night)


# --------------------------------------------------------------------------- decree data


class TestDecreeRevisions:
    """The final state of each revised decree (shared/reference/indonesia-calendar.md)."""

    def collective(self, cal: WorkingCalendar, year: int) -> list[dt.date]:
        return [h.date for h in cal.holidays(year) if h.kind == "collective_leave"]

    def test_2020_fourth_revision(self, cal: WorkingCalendar) -> None:
        # SKB 744/2020: Lebaran leave moved to 31 Dec, 28-30 Dec removed again.
        assert self.collective(cal, 2020) == [
            D(2020, 8, 21),
            D(2020, 10, 28),
            D(2020, 10, 30),
            D(2020, 12, 24),
            D(2020, 12, 31),
        ]
        assert all(cal.is_working_day(D(2020, 12, d)) for d in (28, 29, 30))

    def test_2021_only_may_12(self, cal: WorkingCalendar) -> None:
        assert self.collective(cal, 2021) == [D(2021, 5, 12)]
        names = {h.date: h.name_en for h in cal.holidays(2021)}
        assert names[D(2021, 8, 11)] == "Islamic New Year"
        assert D(2021, 8, 10) not in names
        assert names[D(2021, 10, 20)] == "Prophet's Birthday"
        assert D(2021, 10, 19) not in names
        assert cal.is_working_day(D(2021, 12, 24))

    def test_2023_lebaran_leave_changed(self, cal: WorkingCalendar) -> None:
        lebaran = [d for d in self.collective(cal, 2023) if d.month == 4]
        assert lebaran == [D(2023, 4, d) for d in (19, 20, 21, 24, 25)]

    def test_2025_august_18_added_as_collective_leave(self, cal: WorkingCalendar) -> None:
        assert kinds_on(cal, D(2025, 8, 18)) == {"collective_leave"}
        assert not cal.is_working_day(D(2025, 8, 18))

    def test_2026_counts(self, cal: WorkingCalendar) -> None:
        hol = cal.holidays(2026)
        assert sum(h.kind == "national" for h in hol) == 17
        assert self.collective(cal, 2026) == [
            D(2026, 2, 16),
            D(2026, 3, 18),
            D(2026, 3, 20),
            D(2026, 3, 23),
            D(2026, 3, 24),
            D(2026, 5, 15),
            D(2026, 5, 28),
            D(2026, 12, 24),
        ]

    def test_names_in_both_languages(self, cal: WorkingCalendar) -> None:
        (idul_fitri,) = cal.holidays_on(D(2026, 3, 21))
        assert idul_fitri.name_id == "Hari Raya Idul Fitri"
        assert idul_fitri.name_en == "Eid al-Fitr"
        assert idul_fitri.name("id") == "Hari Raya Idul Fitri"
        assert idul_fitri.name("en_US") == "Eid al-Fitr"

    def test_two_holidays_on_one_date_are_split(self, cal: WorkingCalendar) -> None:
        both = cal.holidays_on(D(2021, 5, 13))
        assert {h.name_en for h in both} == {"Eid al-Fitr", "Ascension Day"}


class TestCoverage:
    def test_decreed_through_and_estimates(self, cal: WorkingCalendar) -> None:
        assert cal.decreed_through == 2027
        assert cal.collective_leave_years == range(2002, 2028)
        estimated = [h for h in cal.holidays(2027) if h.estimated]
        assert {h.date for h in estimated} == {D(2027, 3, 10), D(2027, 3, 11), D(2027, 5, 17)}
        assert all("(" not in h.name_id for h in estimated)  # the marker is a flag, not a name

    def test_provisional_years(self, cal: WorkingCalendar) -> None:
        assert not cal.is_provisional(D(2026, 6, 1))
        assert cal.is_provisional(D(2027, 6, 1))  # estimated Idul Fitri / Idul Adha
        assert cal.is_provisional(D(2028, 6, 1))  # no cuti bersama decreed
        assert cal.is_provisional(D(2000, 6, 1))  # no cuti bersama in the data

    def test_provisional_reason_names_what_is_unsettled_and_the_decree(
        self, cal: WorkingCalendar
    ) -> None:
        assert cal.provisional_reason(D(2026, 3, 1), D(2026, 12, 31)) == ""
        reason = cal.provisional_reason(D(2028, 3, 1))
        assert reason.startswith("2028: no cuti bersama decreed yet, 8 holiday dates estimated")
        assert "SKB on national holidays and cuti bersama 2028" in reason
        indonesian = cal.provisional_reason(D(2028, 3, 1), lang="id-ID")
        assert indonesian.startswith("2028: cuti bersama belum ditetapkan, 8 tanggal libur")
        assert "SKB hari libur nasional dan cuti bersama 2028" in indonesian
        # 2027's cuti bersama is decreed; three religious dates are still estimated
        assert cal.provisional_reason(D(2027, 6, 1)).startswith("2027: 3 holiday dates estimated")
        # a span names each unsettled year it touches, and only those
        span = cal.provisional_reason(D(2026, 12, 1), D(2028, 1, 10))
        assert span.startswith("2027: ")
        assert "; 2028: " in span
        assert "2026:" not in span
        # aware instants are read in the office's zone: 31 Dec 2027 20:00 UTC is 2028 in WIB
        assert cal.provisional_reason(at(2027, 12, 31, 20, tz="UTC")).startswith("2028: ")
        with pytest.raises(MissingMessageError):
            cal.provisional_reason(D(2028, 1, 1), lang="fr")
        with pytest.raises(MissingMessageError):
            cal.provisional_reason(D(2026, 1, 1), lang="fr")  # nothing to say, still refused
        assert cal.provisional_reason(D(2000, 6, 1)).startswith("2000: no cuti bersama in the data")
        with pytest.raises(DateOutOfRangeError):
            cal.provisional_reason(D(2050, 1, 1))

    @pytest.mark.parametrize(
        ("args", "kwargs", "error"),
        [
            (("2028-01-01",), {}, WrongTypeError),
            ((None,), {}, WrongTypeError),
            ((D(2028, 1, 1), 5), {}, WrongTypeError),
            ((dt.datetime(2028, 1, 1),), {}, NaiveDatetimeError),
            ((D(2028, 1, 1),), {"lang": 5}, WrongTypeError),
            ((D(2028, 1, 1),), {"lang": "x" * 2000}, InvalidArgumentError),
            ((D(1900, 1, 1),), {}, DateOutOfRangeError),
        ],
    )
    def test_provisional_reason_refuses_hostile_input(
        self, cal: WorkingCalendar, args: tuple[object, ...], kwargs: dict[str, object], error: type
    ) -> None:
        with pytest.raises(error):
            cal.provisional_reason(*args, **kwargs)  # type: ignore[arg-type]

    def test_strict_refuses_provisional_years(self, cal: WorkingCalendar) -> None:
        strict = cal.with_strict()
        assert strict.add_working_days(D(2026, 3, 17), 1) == D(2026, 3, 25)
        with pytest.raises(CalendarCoverageError, match="2027"):
            strict.add_working_days(D(2026, 12, 1), 60)
        with pytest.raises(CalendarCoverageError, match="2028"):
            strict.working_days_between(D(2026, 1, 1), D(2028, 1, 3))
        with pytest.raises(CalendarCoverageError):
            strict.add_working_time(at(2026, 12, 30, 9), H(hours=40))
        with pytest.raises(CalendarCoverageError):
            strict.working_time_between(at(2026, 12, 30, 9), at(2027, 1, 5, 9))
        # the default computes on the estimated data
        assert cal.add_working_days(D(2026, 12, 1), 60) > D(2027, 1, 1)

    def test_strict_flag_from_constructor(self) -> None:
        strict = WorkingCalendar.indonesia(strict=True, first_year=2025, last_year=2028)
        assert strict.strict
        with pytest.raises(CalendarCoverageError):
            strict.add_working_days(D(2028, 1, 3), 1)


# --------------------------------------------------------------------------- arithmetic


class TestAddWorkingDays:
    def test_over_lebaran_2026(self, cal: WorkingCalendar) -> None:
        # Tue 17 Mar; 18-24 Mar are Nyepi, Idul Fitri and cuti bersama.
        assert cal.add_working_days(D(2026, 3, 17), 1) == D(2026, 3, 25)
        assert cal.add_working_days(D(2026, 3, 17), 3) == D(2026, 3, 27)
        assert cal.add_working_days(D(2026, 3, 25), -1) == D(2026, 3, 17)

    def test_start_day_never_counts(self, cal: WorkingCalendar) -> None:
        assert cal.add_working_days(D(2026, 11, 2), 1) == D(2026, 11, 3)  # from a Monday
        assert cal.add_working_days(D(2026, 11, 7), 1) == D(2026, 11, 9)  # from a Saturday
        assert cal.add_working_days(D(2026, 11, 7), -1) == D(2026, 11, 6)

    def test_zero(self, cal: WorkingCalendar) -> None:
        assert cal.add_working_days(D(2026, 11, 4), 0) == D(2026, 11, 4)
        assert cal.add_working_days(D(2026, 11, 7), 0) == D(2026, 11, 9)
        assert cal.add_working_days(D(2026, 3, 19), 0) == D(2026, 3, 25)

    def test_constant_whatever_the_distance(self, cal: WorkingCalendar) -> None:
        far = cal.add_working_days(D(2026, 1, 2), 2500)
        assert cal.working_days_between(D(2026, 1, 3), far) == 2499
        assert cal.is_working_day(far)

    def test_beyond_the_calendar(self, cal: WorkingCalendar) -> None:
        with pytest.raises(DateOutOfRangeError, match=r"1990\.\.2040"):
            cal.add_working_days(D(2040, 12, 1), 100)
        with pytest.raises(DateOutOfRangeError, match="2041-01-01"):
            cal.add_working_days(D(2041, 1, 1), 1)

    @pytest.mark.parametrize("n", [1.0, "3", True, None, 2.5])
    def test_n_must_be_int(self, cal: WorkingCalendar, n: object) -> None:
        with pytest.raises(WrongTypeError, match="whole number"):
            cal.add_working_days(D(2026, 3, 17), n)  # type: ignore[arg-type]

    def test_index_like_ints_are_accepted(self, cal: WorkingCalendar) -> None:
        class Two:
            def __index__(self) -> int:
                return 2

        assert cal.add_working_days(D(2026, 11, 2), Two()) == D(2026, 11, 4)  # type: ignore[arg-type]

    @pytest.mark.parametrize("day", ["2026-03-17", 20260317, None])
    def test_day_must_be_a_date(self, cal: WorkingCalendar, day: object) -> None:
        with pytest.raises(WrongTypeError, match=r"datetime\.date"):
            cal.add_working_days(day, 1)  # type: ignore[arg-type]

    def test_naive_datetime_refused(self, cal: WorkingCalendar) -> None:
        with pytest.raises(NaiveDatetimeError, match="naive"):
            cal.add_working_days(dt.datetime(2026, 3, 17, 9), 1)


class TestWorkingDaysBetween:
    def test_half_open(self, cal: WorkingCalendar) -> None:
        assert cal.working_days_between(D(2026, 11, 2), D(2026, 11, 2)) == 0
        assert cal.working_days_between(D(2026, 11, 2), D(2026, 11, 3)) == 1
        assert cal.working_days_between(D(2026, 11, 2), D(2026, 11, 9)) == 5

    def test_antisymmetric_unlike_numpy(self, cal: WorkingCalendar) -> None:
        # numpy.busday_count(b, a) counts (b, a]; we return -count([a, b)).
        a, b = D(2026, 11, 2), D(2026, 11, 9)  # Monday .. next Monday
        assert cal.working_days_between(b, a) == -5

    def test_end_may_be_the_day_after_the_last(self, cal: WorkingCalendar) -> None:
        assert cal.working_days_between(D(2040, 12, 31), D(2041, 1, 1)) == 1


class TestAddWorkingTime:
    def test_within_a_morning(self, cal: WorkingCalendar) -> None:
        assert cal.add_working_time(at(2026, 11, 2, 8), H(hours=2)) == at(2026, 11, 2, 10)

    def test_lands_on_the_end_of_an_interval(self, cal: WorkingCalendar) -> None:
        # 12:00, not 13:00 after the lunch break
        result = cal.add_working_time(at(2026, 11, 2, 7, 30), H(hours=4, minutes=30))
        assert result == at(2026, 11, 2, 12)
        assert cal.add_working_time(at(2026, 11, 2, 13), H(hours=3)) == at(2026, 11, 2, 16)

    def test_skips_the_break_and_the_night(self, cal: WorkingCalendar) -> None:
        assert cal.add_working_time(at(2026, 11, 2, 11), H(hours=2)) == at(2026, 11, 2, 14)
        assert cal.add_working_time(at(2026, 11, 2, 15), H(hours=2)) == at(2026, 11, 3, 8, 30)

    def test_friday_hours(self, cal: WorkingCalendar) -> None:
        assert cal.add_working_time(at(2026, 11, 6, 11), H(hours=1)) == at(2026, 11, 6, 13, 30)
        assert cal.add_working_time(at(2026, 11, 6, 16), H(hours=1)) == at(2026, 11, 9, 8)

    def test_start_outside_working_time(self, cal: WorkingCalendar) -> None:
        assert cal.add_working_time(at(2026, 11, 2, 5), H(hours=1)) == at(2026, 11, 2, 8, 30)
        assert cal.add_working_time(at(2026, 11, 2, 12, 30), H(minutes=1)) == at(2026, 11, 2, 13, 1)
        assert cal.add_working_time(at(2026, 11, 7, 10), H(hours=1)) == at(2026, 11, 9, 8, 30)

    def test_over_lebaran_from_hong_kong(self, cal: WorkingCalendar) -> None:
        start = at(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong")  # Nyepi, 21:15 WIB
        result = cal.add_working_time(start, H(hours=8))
        assert result == at(2026, 3, 26, 8)
        assert result.timezone_name == "Asia/Jakarta"

    def test_from_riyadh(self, cal: WorkingCalendar) -> None:
        # 05:00 in Riyadh (UTC+3) = 09:00 in Jakarta
        assert cal.add_working_time(at(2026, 11, 2, 5, tz="Asia/Riyadh"), H(hours=1)) == at(
            2026, 11, 2, 10
        )

    def test_from_berlin_on_the_dst_change_day(self, cal: WorkingCalendar) -> None:
        # 29 Mar 2026: Berlin jumps from +01:00 to +02:00 at 02:00.
        before = at(2026, 3, 29, 1, 30, tz="Europe/Berlin")  # 07:30 WIB, a Sunday
        after = at(2026, 3, 29, 3, 30, tz="Europe/Berlin")  # 08:30 WIB
        assert before.utcoffset() == H(hours=1)
        assert after.utcoffset() == H(hours=2)
        assert cal.add_working_time(before, H(hours=1)) == at(2026, 3, 30, 8, 30)
        monday = at(2026, 3, 30, 3, 30, tz="Europe/Berlin")  # 08:30 WIB Monday
        assert cal.add_working_time(monday, H(hours=1)) == at(2026, 3, 30, 9, 30)

    def test_offices_in_other_zones(self, cal: WorkingCalendar) -> None:
        # 07:30 WIT (Jayapura) is 05:30 WIB
        wit = cal.in_zone("Asia/Jayapura")
        result = wit.add_working_time(at(2026, 11, 2, 5, 30), H(hours=1))
        assert result == at(2026, 11, 2, 8, 30, tz="Asia/Jayapura")
        assert result.timezone_name == "Asia/Jayapura"
        wita = WorkingCalendar.for_province("Nusa Tenggara Timur")
        assert wita.add_working_time(at(2026, 11, 2, 6, 30), H(0)) == at(
            2026, 11, 2, 7, 30, tz="Asia/Makassar"
        )

    def test_zero_delta_returns_start_in_the_zone(self, cal: WorkingCalendar) -> None:
        start = at(2026, 11, 7, 10, tz="Asia/Taipei")
        result = cal.add_working_time(start, H(0))
        assert result == start
        assert result.timezone_name == "Asia/Jakarta"

    def test_microsecond_exact(self, cal: WorkingCalendar) -> None:
        start = at(2026, 11, 2, 11, 59, 59)
        result = cal.add_working_time(start, H(seconds=1, microseconds=1))
        assert result == pendulum.datetime(2026, 11, 2, 13, 0, 0, 1, tz="Asia/Jakarta")

    def test_naive_refused(self, cal: WorkingCalendar) -> None:
        with pytest.raises(NaiveDatetimeError, match=r"2026-11-02T08:00:00 is naive"):
            cal.add_working_time(dt.datetime(2026, 11, 2, 8), H(hours=1))
        with pytest.raises(ValueError, match="naive"):
            cal.working_time_between(at(2026, 11, 2, 8), dt.datetime(2026, 11, 2, 9))

    def test_bad_delta(self, cal: WorkingCalendar) -> None:
        with pytest.raises(WrongTypeError, match="timedelta"):
            cal.add_working_time(at(2026, 11, 2, 8), 3600)  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError, match="negative"):
            cal.add_working_time(at(2026, 11, 2, 8), H(hours=-1))

    def test_beyond_the_calendar(self, cal: WorkingCalendar) -> None:
        with pytest.raises(DateOutOfRangeError):
            cal.add_working_time(at(2040, 12, 20, 8), H(days=30))


class TestWorkingTimeBetween:
    def test_counts_only_working_time(self, cal: WorkingCalendar) -> None:
        # Tue 17 Mar 15:00 .. Wed 25 Mar 09:00 over Lebaran: 1 h + 1.5 h
        assert cal.working_time_between(at(2026, 3, 17, 15), at(2026, 3, 25, 9)) == H(
            hours=2, minutes=30
        )

    def test_antisymmetric(self, cal: WorkingCalendar) -> None:
        a, b = at(2026, 11, 2, 9), at(2026, 11, 4, 9)
        assert cal.working_time_between(b, a) == -cal.working_time_between(a, b)

    def test_outside_hours_is_zero(self, cal: WorkingCalendar) -> None:
        assert cal.working_time_between(at(2026, 11, 2, 12, 10), at(2026, 11, 2, 12, 50)) == H(0)
        assert cal.working_time_between(at(2026, 11, 7, 8), at(2026, 11, 8, 20)) == H(0)


class TestCloseOfBusiness:
    def test_per_weekday(self, cal: WorkingCalendar) -> None:
        assert cal.close_of_business(D(2026, 11, 2)) == at(2026, 11, 2, 16)
        assert cal.close_of_business(D(2026, 11, 6)) == at(2026, 11, 6, 16, 30)

    def test_not_a_working_day(self, cal: WorkingCalendar) -> None:
        with pytest.raises(InvalidArgumentError, match="2026-03-23 is not a working day"):
            cal.close_of_business(D(2026, 3, 23))

    def test_is_working_time(self, cal: WorkingCalendar) -> None:
        assert cal.is_working_time(at(2026, 11, 2, 7, 30))
        assert not cal.is_working_time(at(2026, 11, 2, 12))
        assert not cal.is_working_time(at(2026, 11, 2, 16))
        assert not cal.is_working_time(at(2026, 3, 23, 9))


# --------------------------------------------------------------------------- schedules


class TestSchedules:
    def test_ramadan_range(self, cal: WorkingCalendar) -> None:
        ramadan = cal.with_schedule(
            WorkSchedule.ramadan(), start=D(2026, 2, 18), end=D(2026, 3, 19)
        )
        # Mon 2 Mar 2026 is in Ramadan: start 08:00, break 12:00-12:30
        assert ramadan.add_working_time(at(2026, 3, 2, 7), H(hours=4)) == at(2026, 3, 2, 12)
        assert ramadan.add_working_time(at(2026, 3, 2, 7), H(hours=5)) == at(2026, 3, 2, 13, 30)
        assert ramadan.close_of_business(D(2026, 3, 6)) == at(2026, 3, 6, 15, 30)
        # outside the range: the civil-service schedule
        assert ramadan.close_of_business(D(2026, 3, 27)) == at(2026, 3, 27, 16, 30)
        assert cal.close_of_business(D(2026, 3, 6)) == at(2026, 3, 6, 16, 30)
        assert ramadan.version != cal.version

    def test_six_day_unit(self, cal: WorkingCalendar) -> None:
        hours = [("08:00", "14:00")]
        six = WorkingCalendar.indonesia(
            schedule=WorkSchedule.weekly(
                "six_day",
                monday=hours,
                tuesday=hours,
                wednesday=hours,
                thursday=hours,
                friday=hours,
                saturday=[("08:00", "12:00")],
            ),
            first_year=2026,
            last_year=2026,
        )
        assert six.is_working_day(D(2026, 11, 7))
        assert not six.is_working_day(D(2026, 11, 8))
        assert not six.is_working_day(D(2026, 8, 17))

    def test_always_still_observes_holidays(self) -> None:
        hotline = WorkingCalendar.indonesia(
            schedule=WorkSchedule.always(), first_year=2026, last_year=2026
        )
        assert hotline.add_working_time(at(2026, 11, 7, 23), H(hours=2)) == at(2026, 11, 8, 1)
        assert not hotline.is_working_day(D(2026, 8, 17))

    def test_range_must_not_be_inverted(self, cal: WorkingCalendar) -> None:
        with pytest.raises(InvalidArgumentError, match="before it starts"):
            cal.with_schedule(WorkSchedule.ramadan(), start=D(2026, 3, 19), end=D(2026, 2, 18))
        with pytest.raises(WrongTypeError, match="WorkSchedule"):
            cal.with_schedule("ramadan", start=D(2026, 2, 18), end=D(2026, 3, 19))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- overrides


class TestOverrides:
    def test_late_decree(self, cal: WorkingCalendar) -> None:
        decree = {D(2026, 11, 30): ("Cuti Bersama Contoh", "Example Joint Holiday")}
        new = cal.with_holidays(decree, kind="collective_leave")
        assert not new.is_working_day(D(2026, 11, 30))
        assert cal.is_working_day(D(2026, 11, 30))
        assert new.add_working_days(D(2026, 11, 27), 1) == D(2026, 12, 1)
        assert cal.add_working_days(D(2026, 11, 27), 1) == D(2026, 11, 30)
        assert new.version != cal.version

    def test_revoking_decree(self, cal: WorkingCalendar) -> None:
        new = cal.without_holidays([D(2026, 12, 24)])
        assert new.is_working_day(D(2026, 12, 24))
        assert not cal.is_working_day(D(2026, 12, 24))
        assert D(2026, 12, 24) not in {h.date for h in new.holidays(2026)}

    def test_revoking_nothing_is_an_error(self, cal: WorkingCalendar) -> None:
        with pytest.raises(InvalidArgumentError, match="no holiday to remove on 2026-11-04"):
            cal.without_holidays([D(2026, 11, 4)])

    def test_order_of_overrides_matters(self, cal: WorkingCalendar) -> None:
        day = D(2026, 11, 4)
        added_then_removed = cal.with_closures([day]).without_holidays([day])
        assert added_then_removed.is_working_day(day)
        assert added_then_removed.version == cal.version

    def test_in_zone_keeps_days_and_hours(self, cal: WorkingCalendar) -> None:
        wit = cal.in_zone("Asia/Jayapura")
        assert wit.holiday_list == cal.holiday_list
        assert wit.version != cal.version
        assert wit.close_of_business(D(2026, 11, 2)) == at(2026, 11, 2, 16, tz="Asia/Jayapura")
        assert cal.tz == "Asia/Jakarta"

    def test_bad_override_input(self, cal: WorkingCalendar) -> None:
        with pytest.raises(InvalidArgumentError, match="kind must be one of"):
            cal.with_holidays({D(2026, 11, 30): ("a", "b")}, kind="festival")  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError, match="two non-empty strings"):
            cal.with_holidays({D(2026, 11, 30): ("only one",)})  # type: ignore[dict-item]
        with pytest.raises(DateOutOfRangeError):
            cal.with_closures([D(2050, 1, 3)])
        with pytest.raises(WrongTypeError):
            cal.with_closures([dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)])
        with pytest.raises(InvalidArgumentError, match="non-empty name"):
            cal.with_closures([D(2026, 1, 5)], name=" ")

    def test_lookup_never_mutates(self, cal: WorkingCalendar) -> None:
        before = (cal.version, len(cal.holiday_list))
        for year in (1990, 2040):
            cal.holidays(year)
        with pytest.raises(DateOutOfRangeError):
            cal.holidays(2041)
        assert (cal.version, len(cal.holiday_list)) == before


# --------------------------------------------------------------------------- construction


class TestConstruction:
    def test_default_zone(self, cal: WorkingCalendar) -> None:
        assert cal.tz == "Asia/Jakarta"
        assert cal.schedule == WorkSchedule.civil_service()

    @pytest.mark.parametrize(("province", "tz"), sorted(PROVINCE_TIMEZONES.items()))
    def test_every_province(self, province: str, tz: str) -> None:
        cal = WorkingCalendar.for_province(province.upper(), first_year=2026, last_year=2026)
        assert cal.tz == tz

    def test_thirty_eight_provinces_in_four_zones(self) -> None:
        assert len(PROVINCE_TIMEZONES) == 38
        assert set(PROVINCE_TIMEZONES.values()) == {
            "Asia/Jakarta",
            "Asia/Pontianak",
            "Asia/Makassar",
            "Asia/Jayapura",
        }

    def test_unknown_province_suggests(self) -> None:
        with pytest.raises(UnknownProvinceError, match="did you mean 'Nusa Tenggara Timur'"):
            WorkingCalendar.for_province("Nusa Tengara Timur")
        with pytest.raises(LookupError, match="PROVINCE_TIMEZONES"):
            WorkingCalendar.for_province("Atlantis")

    @pytest.mark.parametrize("tz", ["Asia/Atlantis", "WIB", "+07:00"])
    def test_unknown_zone(self, tz: str) -> None:
        with pytest.raises(UnknownTimezoneError, match="IANA"):
            WorkingCalendar.indonesia(tz=tz)

    def test_bad_year_range(self) -> None:
        with pytest.raises(InvalidArgumentError, match=r"2030\.\.2020"):
            WorkingCalendar.indonesia(first_year=2030, last_year=2020)
        with pytest.raises(WrongTypeError):
            WorkingCalendar.indonesia(first_year="2020")  # type: ignore[arg-type]

    def test_version_is_stable_and_pickles(self, cal: WorkingCalendar) -> None:
        again = WorkingCalendar.indonesia()
        assert again.version == cal.version
        assert again == cal
        restored = pickle.loads(pickle.dumps(cal))
        assert restored == cal
        assert restored.add_working_days(D(2026, 3, 17), 1) == D(2026, 3, 25)

    def test_repr_is_short(self, cal: WorkingCalendar) -> None:
        text = repr(cal)
        assert text.startswith("WorkingCalendar(tz='Asia/Jakarta', years=1990..2040")
        assert cal.version in text
        assert len(text) < 250

    def test_every_error_is_a_migrantcare_error(self, cal: WorkingCalendar) -> None:
        with pytest.raises(MigrantCareError):
            cal.add_working_days(D(2026, 1, 1), 1.5)  # type: ignore[arg-type]
