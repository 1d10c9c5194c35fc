"""JSON for services: deadline statuses, case summaries and notices, with their schemas."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import pathlib
import re

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrantcare import (
    Case,
    CaseSummary,
    Messages,
    Notice,
    Offices,
    Person,
    SlaStatus,
    Workflow,
    complaint_workflow,
    json_schema,
    notices,
)
from migrantcare._vocab import Term
from migrantcare.calendar._holidays import Holiday
from migrantcare.exceptions import InvalidArgumentError, WrongTypeError
from migrantcare.messages._messages import MessageRef, Money, Plural
from tests import strategies
from tests.actors import actor

SLA_STATUS = jsonschema.Draft202012Validator(json_schema("sla_status"))
SUMMARY = jsonschema.Draft202012Validator(json_schema("case_summary"))
NOTICE = jsonschema.Draft202012Validator(json_schema("notice"))
OFFICES = Offices.from_file(pathlib.Path(__file__).parent.parent / "examples" / "offices.toml")
WF: Workflow = complaint_workflow().bind(OFFICES)
ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "UTC", "Asia/Hong_Kong")
T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)
OFFSET = re.compile(r"[+-]\d\d:\d\d$")


def offset_of(zone: str, instant: str) -> str:
    """The offset ``zone`` has at ``instant`` (as ``+08:00``)."""
    moved = dt.datetime.fromisoformat(instant).astimezone(dt.timezone.utc)
    import zoneinfo  # noqa: PLC0415

    text = moved.astimezone(zoneinfo.ZoneInfo(zone)).isoformat()
    return text[-6:]


@st.composite
def lived_cases(draw: st.DrawFn) -> tuple[Case, dt.datetime]:
    """A complaint of one of the example offices, walked, maybe transferred; and a later now."""
    office = draw(st.sampled_from(["call-centre", "bp3mi-ntb", "p4mi-lombok-timur", "bp3mi-ntt"]))
    when = T0 + dt.timedelta(minutes=draw(st.integers(0, 60 * 24 * 60)))
    case = WF.open(
        "PGD-1",
        at=when,
        by=actor("cc-1", "call_centre", office="call-centre"),
        office=office,
        category="unpaid_wages",
        channel="call_center",
        complainant=Person("Siti Aminah"),
    )
    for _ in range(draw(st.integers(0, 6))):
        when += dt.timedelta(minutes=draw(st.integers(0, 60 * 24 * 5)))
        head = actor("head-1", "head_of_office", "officer", office=case.office)
        if draw(st.booleans()):
            case = WF.advance(case, at=when)
        elif draw(st.integers(0, 4)) == 0 and not WF.state(case.state).terminal:
            to = draw(st.sampled_from([o.id for o in OFFICES if o.id != case.office]))
            case = WF.transfer(case, to=to, at=when, by=head)
        else:
            allowed = WF.allowed_events(case, by=head)
            if allowed:
                trigger = draw(st.sampled_from(allowed))
                case = WF.fire(
                    case,
                    trigger,
                    at=when,
                    by=head,
                    note="catatan",
                    data=strategies.satisfying_data(trigger),
                )
    now = when + dt.timedelta(minutes=draw(st.integers(0, 60 * 24 * 40)))
    return case, now


@given(lived_cases(), st.none() | st.sampled_from(ZONES))
def test_sla_statuses_round_trip_through_json(
    lived: tuple[Case, dt.datetime], tz: str | None
) -> None:
    case, now = lived
    for status in WF.status(case, at=now):
        data = status.to_dict(tz=tz)
        SLA_STATUS.validate(data)
        assert json.loads(json.dumps(data)) == data  # plain JSON types only
        back = SlaStatus.from_dict(json.loads(json.dumps(data)))
        assert back == status
        if status.state == "breached":
            assert data["remaining_seconds"] <= 0  # overdue: no time left
        zone = tz or WF.calendar_of(case.office).tz
        for key in ("started_at", "due_at", "next_alert_at"):
            if data[key] is not None:
                assert data[key][-6:] == offset_of(zone, data[key])


@given(strategies.cases(), st.none() | st.sampled_from(ZONES))
def test_case_summaries_round_trip_through_json(case: Case, tz: str | None) -> None:
    summary = CaseSummary.of(case)
    data = summary.to_dict(tz=tz)
    SUMMARY.validate(data)
    assert json.loads(json.dumps(data)) == data
    assert CaseSummary.from_dict(json.loads(json.dumps(data))) == summary


@given(lived_cases())
def test_summaries_of_clocked_cases_say_when_next_due(lived: tuple[Case, dt.datetime]) -> None:
    case, _ = lived
    summary = CaseSummary.of(case)
    data = summary.to_dict(tz="Asia/Jayapura")
    SUMMARY.validate(data)
    if summary.next_due_at is None:
        assert data["next_due_at"] is None
    else:
        assert data["next_due_at"].endswith("+09:00")
        assert CaseSummary.from_dict(data).next_due_at == summary.next_due_at


@given(lived_cases())
def test_notices_validate_in_their_offices_zone(lived: tuple[Case, dt.datetime]) -> None:
    case, _ = lived
    tz = WF.calendar_of(case.office).tz
    messages = Messages.default()
    for event in case.events:
        for notice in notices(WF, case, event):
            data = notice.to_dict(tz=tz)
            NOTICE.validate(data)
            assert json.loads(json.dumps(data)) == data
            assert (data["key"], data["case_id"], data["event_seq"]) == (
                notice.key,
                "PGD-1",
                event.seq,
            )
            for value in data["values"].values():
                if isinstance(value, str) and OFFSET.search(value) and "T" in value:
                    assert value[-6:] == offset_of(tz, value)
            assert notice.render(messages, "en", tz=tz)  # still renders as before


def test_notice_values_of_every_renderable_type() -> None:
    when = dt.datetime(2026, 4, 9, 8, tzinfo=dt.timezone.utc)
    notice = Notice(
        "x.key",
        "officer",
        {
            "text": "teks",
            "count": 3,
            "ratio": 0.5,
            "exact": decimal.Decimal("1.50"),
            "due": when,
            "day": dt.date(2026, 4, 9),
            "goal": MessageRef("sla.goal.verification"),
            "days": Plural("unit.working_days", 3),
            "wage": Money(18_500_000),
            "category": Term("unpaid_wages", "Gaji tidak dibayar", "Unpaid wages"),
            "state": WF.state("verification"),
            "holiday": Holiday(dt.date(2026, 3, 20), "Idul Fitri", "Eid al-Fitr", "national"),
            "list": [when, "a"],
        },
        "PGD-1",
        2,
    )
    data = notice.to_dict(tz="Asia/Makassar")
    NOTICE.validate(data)
    assert data["values"] == {
        "text": "teks",
        "count": 3,
        "ratio": 0.5,
        "exact": "1.50",
        "due": "2026-04-09T16:00:00+08:00",
        "day": "2026-04-09",
        "goal": {"message": "sla.goal.verification"},
        "days": {"message": "unit.working_days", "count": 3},
        "wage": {"amount": "18500000", "currency": "IDR"},
        "category": {
            "code": "unpaid_wages",
            "label_id": "Gaji tidak dibayar",
            "label_en": "Unpaid wages",
        },
        "state": {"code": "verification", "label_id": "Verifikasi", "label_en": "Verification"},
        "holiday": {"date": "2026-03-20", "name_id": "Idul Fitri", "name_en": "Eid al-Fitr"},
        "list": ["2026-04-09T16:00:00+08:00", "a"],
    }
    assert notice.to_dict()["values"]["due"] == "2026-04-09T08:00:00+00:00"


def test_what_has_no_json_form_is_refused() -> None:
    with pytest.raises(WrongTypeError, match="notice value of type object"):
        Notice("x.key", "officer", {"v": object()}, "PGD-1", 0).to_dict()
    with pytest.raises(InvalidArgumentError, match="JSON cannot carry"):
        Notice("x.key", "officer", {"v": float("nan")}, "PGD-1", 0).to_dict()
    with pytest.raises(InvalidArgumentError, match="no UTC offset"):
        CaseSummary.from_dict({**summary_data(), "next_due_at": "2026-03-05T09:00:00"})
    with pytest.raises(InvalidArgumentError, match="needs head_hash"):
        CaseSummary.from_dict({k: v for k, v in summary_data().items() if k != "head_hash"})
    with pytest.raises(WrongTypeError):
        SlaStatus.from_dict([])  # type: ignore[arg-type]


def summary_data() -> dict[str, object]:
    due = dt.datetime(2026, 3, 5, 9, tzinfo=dt.timezone.utc)
    return CaseSummary("C-1", "complaint", 1, 2, "verification", "o", None, due, "a" * 64).to_dict()


def test_spoiled_status_does_not_validate() -> None:
    case = WF.open(
        "PGD-1",
        at=T0,
        by=actor("cc-1", "call_centre", office="call-centre"),
        office="bp3mi-ntb",
        category="unpaid_wages",
        channel="call_center",
    )
    data = WF.status(case, at=T0)[0].to_dict()
    SLA_STATUS.validate(data)
    for spoil in (
        {"due_at": "2026-03-05 09:00"},
        {"state": "late"},
        {"remaining_seconds": "1h"},
        {"surprise": 1},
    ):
        with pytest.raises(jsonschema.ValidationError):
            SLA_STATUS.validate({**data, **spoil})
