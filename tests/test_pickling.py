"""Hosts hand workflows, office registries and catalogs to worker processes.

A pickled or deep-copied ``Workflow`` (bound or not), ``Offices`` and ``Messages``
behave exactly like the original: the same case fires the same way, the calendars give
the same answers, the catalogs render the same text.
"""

from __future__ import annotations

import copy
import datetime as dt
import pickle
from collections.abc import Callable
from typing import Any, TypeVar

import pendulum
import pytest

from migrantcare import (
    Actor,
    Guard,
    Messages,
    Offices,
    Person,
    complaint_workflow,
    notices,
    outreach_workflow,
    repatriation_workflow,
)
from migrantcare.exceptions import GuardRejectedError

T = TypeVar("T")

OFFICES = Offices.from_file("examples/offices.toml")
AGENT = Actor("callcenter-01", roles={"call_centre"})
OFFICER = Actor("officer-7", roles={"officer"}, office="bp3mi-ntt")


def _pickled(value: T) -> T:
    copied: T = pickle.loads(pickle.dumps(value))
    return copied


COPIES: list[Callable[[Any], Any]] = [_pickled, copy.deepcopy, copy.copy]
IDS = ["pickle", "deepcopy", "copy"]


def _history(wf: Any) -> tuple[Any, Any]:
    received = pendulum.datetime(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong")
    case = wf.open(
        "PGD-2026-000123",
        at=received,
        by=AGENT,
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="whatsapp",
        complainant=Person("Ibu Siti Aminah", kind="pmi", passport_number="C1234567"),
    )
    case = wf.fire(case, "start_verification", at=received.add(days=6), by=OFFICER)
    case = wf.fire(case, "verify", at=received.add(days=7), by=OFFICER)
    case = wf.advance(case, at=received.add(days=40))
    return case, wf.status(case, at=received.add(days=40))


@pytest.mark.parametrize("dup", COPIES, ids=IDS)
def test_a_bound_workflow_copy_fires_the_same_case(dup: Callable[[Any], Any]) -> None:
    wf = complaint_workflow().bind(OFFICES)
    twin = dup(wf)
    assert twin.offices == wf.offices
    assert twin.spec == wf.spec
    case, status = _history(wf)
    twin_case, twin_status = _history(twin)
    assert twin_case == case
    assert twin_status == status
    assert [n.key for n in notices(twin, twin_case)] == [n.key for n in notices(wf, case)]
    # permissions survive: an officer of another office is refused by both
    stranger = Actor("officer-9", roles={"officer"}, office="bp3mi-ntb")
    refused = []
    for w in (wf, twin):
        try:
            w.fire(case, "escalate", at=pendulum.datetime(2026, 5, 1, tz="UTC"), by=stranger)
        except Exception as exc:  # compared below: the same type and text
            refused.append((type(exc), str(exc)))
    assert len(refused) == 2
    assert refused[0] == refused[1]


@pytest.mark.parametrize("dup", COPIES, ids=IDS)
@pytest.mark.parametrize("make", [complaint_workflow, repatriation_workflow, outreach_workflow])
def test_every_standard_workflow_copies(make: Callable[[], Any], dup: Callable[[Any], Any]) -> None:
    wf = make()
    twin = dup(wf)
    assert twin.spec == wf.spec
    assert twin.offices is None
    assert twin.mermaid(lang="id") == wf.mermaid(lang="id")


@pytest.mark.parametrize("dup", COPIES, ids=IDS)
def test_guards_copy_and_refuse_alike(dup: Callable[[Any], Any]) -> None:
    wf = complaint_workflow().bind(OFFICES)
    twin = dup(wf)
    case, _ = _history(wf)
    for w in (wf, twin):
        with pytest.raises(GuardRejectedError, match="reason"):
            w.fire(case, "close", at=pendulum.datetime(2026, 5, 1, tz="UTC"), by=OFFICER)
    guard = Guard.require_data("reason", allowed=["a", "b"])
    assert dup(guard) == guard
    assert dup(Guard.require_note()) == Guard.require_note()


@pytest.mark.parametrize("dup", COPIES, ids=IDS)
def test_an_offices_copy_gives_the_same_calendar_answers(dup: Callable[[Any], Any]) -> None:
    twin = dup(OFFICES)
    assert twin == OFFICES
    assert twin.version == OFFICES.version
    assert twin.ids == OFFICES.ids
    for office in OFFICES.ids:
        mine, theirs = OFFICES.calendar(office), twin.calendar(office)
        assert theirs.version == mine.version
        start = pendulum.datetime(2026, 3, 16, 9, tz=mine.tz)
        assert theirs.add_working_days(dt.date(2026, 3, 16), 5) == mine.add_working_days(
            dt.date(2026, 3, 16), 5
        )
        assert theirs.add_working_time(start, dt.timedelta(hours=30)) == mine.add_working_time(
            start, dt.timedelta(hours=30)
        )
        assert twin[office] == OFFICES[office]
    closed = twin.with_closures("bp3mi-ntt", [dt.date(2026, 3, 16)])
    assert closed.version != OFFICES.version


@pytest.mark.parametrize("dup", COPIES, ids=IDS)
def test_a_messages_copy_renders_the_same(dup: Callable[[Any], Any]) -> None:
    messages = Messages.default()
    messages.render("unit.working_days", "id-ID", count=3)  # fills the private memos
    twin = dup(messages)
    assert twin.locales == messages.locales
    wf = complaint_workflow().bind(OFFICES)
    case, _ = _history(wf)
    for notice in notices(wf, case):
        for locale in ("id", "en-GB"):
            assert notice.render(twin, locale, tz="Asia/Hong_Kong") == notice.render(
                messages, locale, tz="Asia/Hong_Kong"
            )
    assert twin.negotiate("id-ID,en;q=0.5") == messages.negotiate("id-ID,en;q=0.5")


@pytest.mark.parametrize("dup", COPIES, ids=IDS)
def test_a_calendar_copy_answers_alike(dup: Callable[[Any], Any]) -> None:
    from migrantcare import WorkingCalendar  # noqa: PLC0415 - only this test

    cal = WorkingCalendar.indonesia("Asia/Makassar", strict=True, first_year=2020, last_year=2026)
    twin = dup(cal)
    assert twin == cal
    assert (twin.version, twin.strict, twin.tz) == (cal.version, cal.strict, cal.tz)
    day = dt.date(2026, 1, 1)
    for _ in range(365):
        assert twin.is_working_day(day) == cal.is_working_day(day)
        day += dt.timedelta(days=1)
    noon = pendulum.datetime(2026, 3, 17, 12, tz="Asia/Makassar")
    assert twin.local(noon) == cal.local(noon)  # the zone's fixed offset, found afresh
