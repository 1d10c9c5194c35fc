"""The one-pass office performance figures, against small cases computed by hand.

Calendar: the civil-service schedule, Mon-Thu 07:30-12:00 and 13:00-16:00, Fri
07:30-11:30 and 13:00-16:30 (7.5 working hours a day); no holiday in November 2026.
"""

from __future__ import annotations

import datetime as dt

import attrs
import pendulum
import pytest

from migrantcare import (
    Actor,
    Case,
    Office,
    Offices,
    WorkingCalendar,
    complaint_workflow,
    outreach_workflow,
)
from migrantcare.exceptions import InvalidArgumentError, UnknownTermError, WrongTypeError
from migrantcare.offices._actors import acted_by_system
from migrantcare.reports._performance import (
    BacklogBucket,
    GoalCount,
    PerformanceFigures,
    performance_figures,
    spread,
    wilson_lower,
)
from migrantcare.reports._reports import office_report

JKT = WorkingCalendar.indonesia(first_year=2025, last_year=2027)
NTT = JKT.in_zone("Asia/Makassar")
CALS = {"bp3mi-jkt": JKT, "bp3mi-ntt": NTT}
OFFICES = Offices(
    [
        Office("bp3mi-jkt", "BP3MI DKI", "BP3MI Jakarta", "DKI Jakarta", JKT, "Kepala", "Head"),
        Office("bp3mi-ntt", "BP3MI NTT", "BP3MI NTT", "Nusa Tenggara Timur", NTT, "Kepala", "Head"),
    ]
)
WF = complaint_workflow().bind(OFFICES)
OUT = outreach_workflow()
CC = Actor("cc-1", roles={"call_centre"})
OFFICER = Actor("officer-1", roles={"officer"}, office="bp3mi-jkt")
NTT_OFFICER = Actor("officer-2", roles={"officer"}, office="bp3mi-ntt")
HQ = Actor("hq-1", roles={"ministry_hq"})
H = dt.timedelta(hours=1)


def wib(day: int, hour: int, minute: int = 0) -> pendulum.DateTime:
    return pendulum.datetime(2026, 11, day, hour, minute, tz="Asia/Jakarta")


def wita(day: int, hour: int, minute: int = 0) -> pendulum.DateTime:
    return pendulum.datetime(2026, 11, day, hour, minute, tz="Asia/Makassar")


def opened(case_id: str, at: pendulum.DateTime, office: str = "bp3mi-jkt") -> Case:
    return WF.open(
        case_id, at=at, by=CC, office=office, category="other", channel="sms"
    )  # fmt: skip


def fire(case: Case, trigger: str, at: pendulum.DateTime) -> Case:
    by = OFFICER if case.office == "bp3mi-jkt" else NTT_OFFICER
    return WF.fire(case, trigger, at=at, by=by)


def cases() -> list[Case]:
    # A: answered after 1 h, verified, resolved after 16 working hours
    a = opened("A", wib(2, 8))
    for trigger, at in (
        ("start_verification", wib(2, 9)),
        ("verify", wib(3, 9)),
        ("resolve", wib(4, 9)),
    ):
        a = fire(a, trigger, at)
    # B: never answered; still open at the end of the month (20 working days old)
    b = opened("B", wib(2, 13))
    # C: opened in Jakarta, transferred to Kupang two hours later, answered there
    c = opened("C", wib(2, 8))
    c = WF.transfer(c, to="bp3mi-ntt", at=wib(2, 10), by=HQ)
    c = fire(c, "start_verification", wita(3, 9))
    return [a, b, c]


AT = wib(30, 12)


def figures(items: list[Case], at: dt.datetime = AT) -> PerformanceFigures:
    return performance_figures(
        items,
        workflows=[WF, OUT],
        offices=OFFICES,
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
        at=at,
    )


def goals(office: object) -> dict[str, tuple[int, int, int]]:
    return {
        g.goal: (g.met, g.breached, g.pending)
        for g in office.goals
        if g.met or g.breached or g.pending
    }  # type: ignore[attr-defined]


def test_hand_computed_office_figures() -> None:
    f = figures(cases())
    jkt, ntt, total = f.office("bp3mi-jkt"), f.office("bp3mi-ntt"), f.total
    # openings count for the office that opened the case
    assert (jkt.opened, ntt.opened, total.opened) == (3, 0, 3)
    # the backlog for the office holding the case at ``at``: B in Jakarta, C in Kupang
    assert (jkt.open_now, ntt.open_now, total.open_now) == (1, 1, 2)
    assert BacklogBucket("11-20", 11, 20, 1) in jkt.backlog
    assert sum(b.count for b in total.backlog) == 2
    # goals for the office holding the case when met or breached: C's first response
    # was met in Kupang, and its verification deadline (Thu 5 Nov) passed there too
    assert goals(jkt) == {
        "first_response": (1, 1, 0),
        "verification": (1, 1, 0),
        "documents": (1, 0, 1),  # B's 30 days run to 2 December
        "resolution": (1, 0, 0),
    }
    assert goals(ntt) == {
        "first_response": (1, 0, 0),
        "verification": (0, 1, 0),
        "documents": (0, 0, 1),
    }
    assert goals(total) == {
        "first_response": (2, 1, 0),
        "verification": (1, 2, 0),
        "documents": (1, 0, 2),
        "resolution": (1, 0, 0),
    }
    # working times on the credited office's calendar: A 1 h in Jakarta; C from Mon
    # 09:00 WITA to Tue 09:00 WITA is 3 + 3 + 1.5 = 7.5 h in Kupang
    assert (jkt.first_response.count, jkt.first_response.median) == (1, 1 * H)
    assert (ntt.first_response.count, ntt.first_response.median) == (1, 7.5 * H)
    assert total.first_response.median == (1 + 7.5) / 2 * H
    # A: Mon 08:00-16:00 (7 h) + Tue 7.5 h + Wed 07:30-09:00 (1.5 h)
    assert jkt.resolution.median == 16 * H
    assert (jkt.transfers_out, jkt.transfers_in, ntt.transfers_in) == (1, 0, 1)
    # service breaches by category and channel: B's first response and verification
    assert [(c.code, c.count) for c in jkt.breaches_by_category] == [("other", 2)]
    assert [(c.code, c.count) for c in total.breaches_by_channel] == [("sms", 3)]


def test_channels_and_months() -> None:
    f = figures(cases())
    (sms,) = f.office("bp3mi-jkt").channels
    assert (sms.channel, sms.opened, sms.responded, sms.unanswered) == ("sms", 3, 2, 1)
    assert (sms.met, sms.breached, sms.open_now) == (2, 1, 1)
    assert sms.clogged is False  # fewer than 5 cases: never flagged
    (november,) = f.total.months
    assert november.month == dt.date(2026, 11, 1)
    assert november.opened == 3
    by_goal = {g.goal: (g.met, g.breached) for g in november.goals}
    assert by_goal["verification"] == (1, 2)


def test_ranking_uses_the_wilson_lower_bound_of_service_goals() -> None:
    f = figures(cases())
    first, second = f.ranking
    # Jakarta: 3 met, 2 breached of its service goals; Kupang: 1 met, 1 breached
    assert (first.office, first.rank, first.met, first.breached) == ("bp3mi-jkt", 1, 3, 2)
    assert first.wilson_lower == pytest.approx(wilson_lower(3, 5))
    assert first.compliance == pytest.approx(60.0)
    assert first.breaches_per_100 == pytest.approx(200 / 3)
    assert (second.office, second.rank, second.breaches_per_100) == ("bp3mi-ntt", 2, None)
    assert f.service_goals == ("first_response", "verification", "resolution")


def test_wilson_lower_bound_favours_volume_over_luck() -> None:
    assert wilson_lower(0, 0) is None
    assert wilson_lower(9, 10) == pytest.approx(59.58, abs=0.01)
    # 90 % of 100 is surer than 100 % of 3
    assert wilson_lower(90, 100) > wilson_lower(3, 3)  # type: ignore[operator]
    assert GoalCount("x", 9, 1).wilson_lower == pytest.approx(wilson_lower(9, 10))


def test_spread_median_and_nearest_rank_p90() -> None:
    s = spread([4, 1, 3, 2])
    assert (s.count, s.median, s.p90) == (
        4,
        dt.timedelta(microseconds=2),
        dt.timedelta(microseconds=4),
    )
    s = spread(list(range(1, 11)))  # 10 values: the 9th is the 90th percentile
    assert s.p90 == dt.timedelta(microseconds=9)
    assert spread([]) == spread([])
    assert spread([]).median is None


def test_events_after_at_are_ignored() -> None:
    f = figures(cases(), at=wib(2, 12))
    jkt = f.office("bp3mi-jkt")
    # at noon on Monday: A answered (1 h) but not resolved; B (13:00) not yet opened
    assert (jkt.first_response.count, jkt.resolution.count) == (1, 0)
    assert (f.total.opened, f.total.open_now) == (2, 2)
    assert f.office("bp3mi-ntt").open_now == 1  # C was transferred at 10:00


def test_period_filters_outcomes_and_openings() -> None:
    f = performance_figures(
        cases(),
        workflows=WF,
        offices=CALS,
        period_start=dt.date(2026, 11, 4),
        period_end=dt.date(2026, 11, 30),
        at=AT,
    )
    # nothing opened from 4 November; A's resolution (Wed 4 Nov) is in, its first
    # response (2 Nov) is not; the backlog is a snapshot and does not depend on it
    assert f.total.opened == 0
    assert goals(f.total)["resolution"] == (1, 0, 0)
    assert "first_response" not in goals(f.total)
    assert f.total.open_now == 2


def test_outreach_per_province() -> None:
    act = OUT.open(
        "SOS-1",
        at=wita(2, 9),
        by=NTT_OFFICER,
        office="bp3mi-ntt",
        category="desa_migran_emas",
        channel="in_person",
        attributes={"province": "Nusa Tenggara Timur", "village": "Desa Oelbiteno"},
    )
    for trigger, day in (("coordinate", 3), ("hold", 10)):
        data = {"participants": 85} if trigger == "hold" else None
        act = OUT.fire(act, trigger, at=wita(day, 9), by=NTT_OFFICER, data=data)
    f = figures([*cases(), act])
    (row,) = f.outreach
    assert (row.province, row.category, row.planned, row.held) == (
        "Nusa Tenggara Timur",
        "desa_migran_emas",
        1,
        1,
    )
    assert (row.cancelled, row.participants, row.villages) == (0, 85, 1)
    assert f.total.opened == 3  # activities are not complaints
    assert f.cases_read == 4


def test_errors_name_the_value() -> None:
    with pytest.raises(InvalidArgumentError, match="before it starts"):
        performance_figures(
            [], workflows=WF, offices=JKT, period_start=dt.date(2026, 2, 1),
            period_end=dt.date(2026, 1, 1), at=AT,
        )  # fmt: skip
    with pytest.raises(WrongTypeError, match=r"period_start must be a datetime\.date"):
        performance_figures(
            [], workflows=WF, offices=JKT, period_start=AT, period_end=dt.date(2026, 1, 1),  # type: ignore[arg-type]
            at=AT,
        )  # fmt: skip
    with pytest.raises(UnknownTermError, match="'outreach' v1, which was not given"):
        performance_figures(
            [OUT.open("S", at=AT, by=OFFICER, office="bp3mi-jkt", category="job_fair",
                      channel="in_person")],
            workflows=WF, offices=JKT, period_start=dt.date(2026, 11, 1),
            period_end=dt.date(2026, 11, 30), at=AT,
        )  # fmt: skip
    with pytest.raises(UnknownTermError, match="no calendar given for office 'bp3mi-x'"):
        performance_figures(
            [_moved("bp3mi-x")], workflows=WF, offices=CALS, period_start=dt.date(2026, 11, 1),
            period_end=dt.date(2026, 11, 30), at=AT,
        )  # fmt: skip
    with pytest.raises(WrongTypeError, match="offices must be"):
        performance_figures(
            [], workflows=WF, offices=42, period_start=dt.date(2026, 11, 1),
            period_end=dt.date(2026, 11, 30), at=AT,
        )  # fmt: skip
    with pytest.raises(UnknownTermError, match="no figures for office 'nope'"):
        figures(cases()).office("nope")


def _moved(office: str) -> Case:
    return attrs.evolve(opened("Y", wib(2, 8)), office=office)


def test_one_calendar_for_every_office_and_office_records() -> None:
    f = performance_figures(
        cases(), workflows=WF, offices=JKT, period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30), at=AT,
    )  # fmt: skip
    assert [o.office for o in f.offices] == ["bp3mi-jkt", "bp3mi-ntt"]
    assert f.office("bp3mi-ntt").tz == "Asia/Jakarta"
    assert f.calendar_versions == (("bp3mi-jkt", JKT.version), ("bp3mi-ntt", JKT.version))


def test_goal_sources_say_regulation_or_default() -> None:
    f = figures([])
    sources = {(s.goal, s.variant): s for s in f.goal_sources}
    assert sources[("verification", "default")].confirmed is True
    assert "SP4N-LAPOR" in sources[("verification", "default")].source
    assert sources[("first_response", "urgent")].confirmed is False
    assert f.goals[0] == "first_response"
    assert f.total.opened == 0
    assert f.ranking == ()


def test_both_reports_take_the_same_first_response_rule() -> None:
    # A system-role actor whose id does not start with "system:" (an escalation bot):
    # its escalation is no response, in either report; the officer's action is.
    bot = Actor("escalation-bot", roles={"system"})
    case = opened("FR", wib(2, 8))
    case = WF.fire(case, "escalate", at=wib(2, 9), by=bot)
    case = fire(case, "start_verification", wib(2, 11))
    perf = figures([case]).office("bp3mi-jkt")
    (old,) = office_report(
        [case],
        at=AT,
        workflows=[WF],
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
    )
    assert perf.first_response.count == old.responded == 1
    assert perf.first_response.median_hours == 3.0
    assert old.median_first_response == 3 * H


def test_the_recorded_role_decides_not_the_actor_id() -> None:
    # An officer account whose id happens to start with "system:" acts as a person.
    person = Actor("system:ops-7", roles={"officer"}, office="bp3mi-jkt")
    case = opened("RR", wib(2, 8))
    case = WF.fire(case, "start_verification", at=wib(2, 10), by=person)
    (old,) = office_report(
        [case],
        at=AT,
        workflows=[WF],
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
    )
    perf = figures([case]).office("bp3mi-jkt")
    assert old.median_first_response == perf.first_response.median == 2 * H


@pytest.mark.parametrize(
    ("by", "role", "system"),
    [
        ("system:sla", "system", True),
        ("escalation-bot", "system", True),
        ("system:ops-7", "officer", False),
        ("system:sla", None, True),  # unrecorded role: the id's prefix decides
        ("u-1", None, False),
    ],
)
def test_acted_by_system(by: str, role: str | None, system: bool) -> None:
    assert acted_by_system(by, role) is system


def test_the_figures_count_the_deadlines_that_rest_on_estimates() -> None:
    # A: opened and verified in November 2026, resolved in time: every deadline in 2026.
    a = opened("A", wib(2, 8))
    for trigger, at in (("start_verification", wib(2, 9)), ("verify", wib(3, 9))):
        a = fire(a, trigger, at)
    a = fire(a, "resolve", wib(4, 9))
    # D: verified on 14 December 2026; its resolution deadline (14 working days) runs
    # into 2027, whose Islamic holidays are still estimated
    dec = pendulum.datetime(2026, 12, 14, 9, tz="Asia/Jakarta")
    d = opened("D", dec)
    d = fire(d, "start_verification", dec.add(hours=1))
    d = fire(d, "verify", dec.add(hours=2))
    at = pendulum.datetime(2026, 12, 31, 12, tz="Asia/Jakarta")
    f = performance_figures(
        [a, d],
        workflows=[WF, OUT],
        offices=OFFICES,
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 12, 31),
        at=at,
    )
    by_goal = {g.goal: g for g in f.total.goals}
    assert by_goal["resolution"].provisional == 1  # D's, pending
    assert by_goal["resolution"].pending == 1
    assert by_goal["verification"].provisional == 0
    assert by_goal["documents"].provisional == 0  # elapsed time never rests on holidays
    deadlines = sum(g.met + g.breached + g.pending for g in f.total.goals)
    assert (f.total.provisional, f.total.deadlines) == (1, deadlines)
    assert f.office("bp3mi-jkt").provisional == 1
    reason_id, reason_en = f.provisional_reason
    assert reason_en == JKT.provisional_reason(dt.date(2026, 12, 14), dt.date(2027, 1, 5))
    assert reason_en.startswith("2027: 3 holiday dates estimated")
    assert reason_id.startswith("2027: 3 tanggal libur masih perkiraan")
    # a period whose deadlines are all settled says nothing
    settled = figures([a], at=wib(30, 12))
    assert settled.total.provisional == 0
    assert settled.provisional_reason == ("", "")
