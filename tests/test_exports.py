"""Calendar exports: iCalendar files (checked with the ``icalendar`` parser) and numpy."""

from __future__ import annotations

import datetime as dt
import sys

import icalendar
import numpy as np
import pytest
from hypothesis import given

from migrantcare import (
    BusdayCalendar,
    WorkingCalendar,
    WorkSchedule,
    calendar_to_ics,
    calendar_to_numpy,
)
from migrantcare.calendar._formats import _escape, _fold
from migrantcare.cli._cli import main
from migrantcare.exceptions import (
    DateOutOfRangeError,
    InvalidArgumentError,
    MigrantCareError,
    NaiveDatetimeError,
    WrongTypeError,
)
from tests.strategies import ics_texts

CAL = WorkingCalendar.indonesia()


def parse(text: str) -> icalendar.Calendar:
    parsed = icalendar.Calendar.from_ical(text)
    assert isinstance(parsed, icalendar.Calendar)
    return parsed


def events(text: str) -> list[icalendar.Event]:
    return list(parse(text).walk("VEVENT"))


# ---------------------------------------------------------------------------- iCalendar


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_holiday_is_an_all_day_event_in_the_language(lang: str) -> None:
    text = calendar_to_ics(CAL, 2026, lang=lang)
    found = events(text)
    holidays = CAL.holidays(2026)
    assert len(found) == len(holidays) == 25
    for event, h in zip(found, holidays, strict=True):
        assert event.decoded("DTSTART") == h.date  # a date, not a datetime: all day
        assert type(event.decoded("DTSTART")) is dt.date
        assert event.decoded("DTEND") == h.date + dt.timedelta(days=1)
        assert "DTSTART;VALUE=DATE:" + h.date.strftime("%Y%m%d") in text
        assert h.name(lang) in str(event["SUMMARY"])
        assert event["SUMMARY"].params["LANGUAGE"] == lang
        assert f"{h.name_id} / {h.name_en}" in str(event["DESCRIPTION"])
        assert str(event["TRANSP"]) == "TRANSPARENT"
    calendar = parse(text)
    assert str(calendar["VERSION"]) == "2.0"
    assert "migrantcare" in str(calendar["PRODID"])


def test_cuti_bersama_is_marked() -> None:
    found = events(calendar_to_ics(CAL, 2026, lang="en"))
    leave = [e for e in found if str(e["X-MIGRANTCARE-KIND"]) == "collective_leave"]
    assert len(leave) == 8
    assert all(str(e["SUMMARY"]).startswith("Cuti bersama: ") for e in leave)
    others = [e for e in found if e not in leave]
    assert not any("Cuti bersama" in str(e["SUMMARY"]) for e in others)


def test_estimated_dates_are_flagged() -> None:
    text = calendar_to_ics(CAL, 2030, lang="id")
    found = events(text)
    estimated = {h.date for h in CAL.holidays(2030) if h.estimated}
    assert estimated  # 2030's Islamic holidays are computed, not decreed
    for event in found:
        flagged = event.decoded("DTSTART") in estimated
        assert (str(event["STATUS"]) == "TENTATIVE") is flagged
        assert str(event["SUMMARY"]).endswith(" (perkiraan)") is flagged
        assert str(event["X-MIGRANTCARE-ESTIMATED"]) == ("TRUE" if flagged else "FALSE")
    decreed = events(calendar_to_ics(CAL, 2026))
    assert all(str(e["STATUS"]) == "CONFIRMED" for e in decreed)


def test_lines_end_in_crlf_and_fit_in_75_octets() -> None:
    long_name = "Banjir besar di kantor — penutupan darurat, kantor dipindah; é😀 " * 4
    cal = CAL.with_closures([dt.date(2026, 1, 5)], long_name, "Flood closure, office moved")
    text = calendar_to_ics(cal, 2026)
    assert text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "\r" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    assert max(len(line.encode()) for line in lines) == 75  # some line really was folded
    assert any(line.startswith(" ") for line in lines)
    closure = next(e for e in events(text) if e.decoded("DTSTART") == dt.date(2026, 1, 5))
    assert str(closure["SUMMARY"]) == f"Kantor tutup: {long_name}"
    assert str(closure["X-MIGRANTCARE-KIND"]) == "office"


def test_text_values_are_escaped() -> None:
    name = 'Tutup; rapat, "darurat"\\ruang A\nlantai 2'
    cal = CAL.with_closures([dt.date(2026, 1, 6)], name, "Closed, meeting; room A")
    text = calendar_to_ics(cal, 2026)
    assert 'Tutup\\; rapat\\, "darurat"\\\\ruang A\\nlantai 2' in text
    event = next(e for e in events(text) if e.decoded("DTSTART") == dt.date(2026, 1, 6))
    assert str(event["SUMMARY"]) == f"Kantor tutup: {name}"
    assert str(event["DESCRIPTION"]).startswith(f"{name} / Closed, meeting; room A\n")


@given(ics_texts)
def test_folding_and_escaping_round_trip(text: str) -> None:
    line = f"SUMMARY:{_escape(text)}"
    folded = _fold(line)
    physical = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert "".join([physical[0], *(p[1:] for p in physical[1:])]) == line
    vevent = icalendar.Event.from_ical(f"BEGIN:VEVENT\r\n{folded}\r\nEND:VEVENT\r\n")
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    assert str(vevent["SUMMARY"]) == expected


def test_uids_are_unique_and_stable() -> None:
    first = events(calendar_to_ics(CAL, 2026, lang="id"))
    again = events(calendar_to_ics(CAL.in_zone("Asia/Makassar"), 2026, lang="en"))
    uids = [str(e["UID"]) for e in first]
    assert len(set(uids)) == len(uids)
    assert uids == [str(e["UID"]) for e in again]  # language and zone do not change a UID
    other = events(calendar_to_ics(CAL, 2026, uid_prefix="bp3mi-ntt"))
    assert all(str(e["UID"]).startswith("bp3mi-ntt-2026") for e in other)
    assert not set(uids) & {str(e["UID"]) for e in other}


def test_output_is_deterministic_and_dtstamp_is_utc() -> None:
    assert calendar_to_ics(CAL, 2026) == calendar_to_ics(CAL, 2026)
    default = events(calendar_to_ics(CAL, 2026))[0]
    assert default.decoded("DTSTAMP") == dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    wib = dt.timezone(dt.timedelta(hours=7))
    stamp = dt.datetime(2026, 11, 27, 9, 30, tzinfo=wib)
    text = calendar_to_ics(CAL, 2026, dtstamp=stamp)
    assert "DTSTAMP:20261127T023000Z\r\n" in text
    assert events(text)[0].decoded("DTSTAMP") == stamp


def test_method_is_the_function() -> None:
    assert CAL.to_ics(2027, lang="en", name="BP3MI Bali") == calendar_to_ics(
        CAL, 2027, lang="en", name="BP3MI Bali"
    )
    assert str(parse(CAL.to_ics(2027, name="BP3MI Bali"))["X-WR-CALNAME"]) == "BP3MI Bali"


def test_refusals() -> None:
    with pytest.raises(NaiveDatetimeError, match="naive"):
        calendar_to_ics(CAL, 2026, dtstamp=dt.datetime(2026, 1, 1))
    with pytest.raises(WrongTypeError, match="dtstamp must be an aware datetime"):
        calendar_to_ics(CAL, 2026, dtstamp="2026-01-01")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="uid_prefix"):
        calendar_to_ics(CAL, 2026, uid_prefix="bp3mi ntt")
    with pytest.raises(DateOutOfRangeError, match="year 2041"):
        calendar_to_ics(CAL, 2041)
    for error in (NaiveDatetimeError, WrongTypeError, InvalidArgumentError):
        assert issubclass(error, MigrantCareError)


# ---------------------------------------------------------------------------- numpy


def _random_pairs(cal: WorkingCalendar, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    lo = np.datetime64(dt.date(cal.first_year, 1, 1), "D").astype(np.int64)
    hi = np.datetime64(dt.date(cal.last_year, 12, 31), "D").astype(np.int64)
    rng = np.random.default_rng(seed)
    starts = rng.integers(lo, hi + 1, size=n).astype("datetime64[D]")
    # Half the pairs close together (days to months), half anywhere in the covered years.
    near = starts + rng.integers(-120, 121, size=n).astype("timedelta64[D]")
    far = rng.integers(lo, hi + 1, size=n).astype("datetime64[D]")
    ends = np.where(np.arange(n) % 2 == 0, near, far)
    ends = np.clip(
        ends,
        np.datetime64(dt.date(cal.first_year, 1, 1)),
        np.datetime64(dt.date(cal.last_year, 12, 31)),
    )
    return starts, ends


def _library_counts(cal: WorkingCalendar, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    return np.array(
        [
            cal.working_days_between(s, e)
            for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
        ]
    )


def _numpy_counts(args: BusdayCalendar, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    # numpy counts (end, start] when end < start; the library is antisymmetric, so count
    # the reversed pairs the other way round and negate.
    bdc = args.busdaycalendar()
    forward = np.busday_count(starts, ends, busdaycal=bdc)
    backward = -np.busday_count(ends, starts, busdaycal=bdc)
    return np.where(starts <= ends, forward, backward)


def test_numpy_agrees_on_100000_random_pairs() -> None:
    args = CAL.to_numpy()
    assert args.weekmask == "1111100"
    starts, ends = _random_pairs(CAL, 100_000, seed=20261127)
    library = _library_counts(CAL, starts, ends)
    assert (library != 0).mean() > 0.9  # the pairs really span working days
    assert np.array_equal(library, _numpy_counts(args, starts, ends))


def test_numpy_agrees_on_every_day_with_closures_and_other_schedules() -> None:
    cal = (
        CAL.with_closures([dt.date(2026, 1, 7), dt.date(2026, 1, 10)], "Banjir", "Flood")
        .with_schedule(  # a ramadan schedule: different hours, same days
            WorkSchedule.ramadan(), start=dt.date(2026, 2, 18), end=dt.date(2026, 3, 19)
        )
        .with_schedule(  # a week with no Friday hours at all (a local arrangement)
            WorkSchedule.weekly(monday=[("08:00", "16:00")], tuesday=[("08:00", "16:00")]),
            start=dt.date(2027, 6, 7),
            end=dt.date(2027, 6, 13),
        )
    )
    args = cal.to_numpy()
    bdc = args.busdaycalendar()
    days = np.arange(
        np.datetime64(args.first_day), np.datetime64(args.last_day) + 1, dtype="datetime64[D]"
    )
    expected = np.array([cal.is_working_day(d) for d in days.tolist()])
    assert np.array_equal(np.is_busday(days, busdaycal=bdc), expected)
    assert dt.date(2027, 6, 9) in args.holidays  # Wednesday without hours that week
    assert dt.date(2026, 1, 10) not in args.holidays  # a Saturday closure: already off
    starts, ends = _random_pairs(cal, 20_000, seed=7)
    assert np.array_equal(_library_counts(cal, starts, ends), _numpy_counts(args, starts, ends))


def test_seven_day_offices_and_unexportable_calendars() -> None:
    always = WorkingCalendar.indonesia(schedule=WorkSchedule.always())
    assert always.to_numpy().weekmask == "1111111"
    saturday = CAL.with_schedule(
        WorkSchedule.weekly(saturday=[("08:00", "12:00")]),
        start=dt.date(2026, 5, 2),
        end=dt.date(2026, 5, 2),
    )
    with pytest.raises(InvalidArgumentError, match=r"2026-05-02 \(Saturday\) is a working day"):
        calendar_to_numpy(saturday)


def test_busdaycalendar_names_numpy_when_it_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(ImportError, match="pip install numpy"):
        CAL.to_numpy().busdaycalendar()


def test_command_line_prints_the_ics(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "2026", "--ics", "--lang", "en", "--province", "Bali"]) == 0
    text = capsys.readouterr().out
    assert text == CAL.in_zone("Asia/Makassar").to_ics(2026, lang="en", uid_prefix="bali")
    assert str(parse(text)["X-WR-TIMEZONE"]) == "Asia/Makassar"
    assert main(["calendar", "1900", "--ics"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "outside this calendar's years" in captured.err


def test_ics_of_a_year_without_decreed_cuti_bersama_says_so() -> None:
    for lang, words in (("id", "cuti bersama belum ditetapkan"), ("en", "no cuti bersama decreed")):
        text = calendar_to_ics(CAL, 2028, lang=lang)
        calendar = parse(text)
        assert str(calendar["X-MIGRANTCARE-PROVISIONAL"]) == "TRUE"
        assert words in str(calendar["X-WR-CALDESC"])
        assert "2028" in str(calendar["X-WR-CALDESC"])
        assert "SKB" in str(calendar["X-WR-CALDESC"])
        assert str(calendar["X-WR-CALNAME"]).endswith(
            " (sementara)" if lang == "id" else " (provisional)"
        )
    settled = parse(calendar_to_ics(CAL, 2026))
    assert str(settled["X-MIGRANTCARE-PROVISIONAL"]) == "FALSE"
    assert "X-WR-CALDESC" not in settled
    # a name of the caller's own is kept as it is
    named = parse(calendar_to_ics(CAL, 2028, name="Kantor X"))
    assert str(named["X-WR-CALNAME"]) == "Kantor X"


def test_indonesian_ics_does_not_say_cuti_bersama_twice() -> None:
    found = events(calendar_to_ics(CAL, 2026, lang="id"))
    leave = [e for e in found if str(e["X-MIGRANTCARE-KIND"]) == "collective_leave"]
    assert len(leave) == 8
    for event in leave:
        summary = str(event["SUMMARY"])
        assert summary.lower().count("cuti bersama") == 1, summary
        assert summary.lower().startswith("cuti bersama")
    assert "Cuti Bersama Tahun Baru Imlek" in {str(e["SUMMARY"]) for e in leave}


def test_numpy_export_flags_the_provisional_years() -> None:
    args = calendar_to_numpy(CAL)
    assert args.provisional_years == tuple(sorted(CAL.provisional_years))
    assert 2028 in args.provisional_years
    assert 2026 not in args.provisional_years
    assert args.settled(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert not args.settled(dt.date(2026, 1, 1), dt.date(2028, 1, 1))
    assert not args.settled(dt.date(2028, 1, 1), dt.date(2026, 1, 1))  # either order
    # the flag agrees with the calendar's own, day by day
    for day in (dt.date(2026, 6, 1), dt.date(2027, 6, 1), dt.date(2028, 6, 1)):
        assert args.settled(day, day) is not CAL.is_provisional(day)


@pytest.mark.parametrize("bad", ["2026-01-01", None, 2026, 1.5])
def test_settled_refuses_what_is_not_a_date(bad: object) -> None:
    args = calendar_to_numpy(CAL)
    with pytest.raises(WrongTypeError, match=r"must be a datetime\.date"):
        args.settled(bad, dt.date(2026, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(WrongTypeError, match=r"must be a datetime\.date"):
        args.settled(dt.date(2026, 1, 1), bad)  # type: ignore[arg-type]
