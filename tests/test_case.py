from __future__ import annotations

import datetime as dt
import json
import pickle

import attrs
import pendulum
import pytest

from migrantcare import CASE_SCHEMA, Case, Person, complaint_workflow, replay
from migrantcare.exceptions import IntegrityError, SchemaError
from migrantcare.records._case import make_event
from tests.actors import actor

T0 = pendulum.datetime(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong")


@pytest.fixture(scope="module")
def case() -> Case:
    wf = complaint_workflow(sla=False)
    c = wf.open(
        "PGD-9",
        at=T0,
        by=actor("cc-01"),
        office="bp3mi-ntt",
        category="trafficking",
        channel="call_center",
        priority="urgent",
        complainant=Person("Ibu Wati", kind="family", phone="+6281234567890"),
        worker=Person("Rina", kind="pmi", passport_number="X7654321"),
        attributes={"destination": "MY", "placement": "non_procedural"},
        note="called the hotline",
    )
    for k, trig in enumerate(["start_verification", "verify", "escalate", "refer"], 1):
        c = wf.fire(
            c, trig, at=T0.add(hours=k), by=actor("officer-3"), note=f"step {k}", data={"k": k}
        )
    return c


def test_round_trip_is_exact(case: Case) -> None:
    data = case.to_dict()
    assert data["schema"] == CASE_SCHEMA
    text = json.dumps(data)  # JSON-compatible all the way down
    back = Case.from_dict(json.loads(text))
    assert back == case
    assert back.to_dict() == data
    back.verify(head_hash=case.head_hash)


def test_pickle(case: Case) -> None:
    assert pickle.loads(pickle.dumps(case)) == case


def test_events_are_utc_whatever_the_input_zone(case: Case) -> None:
    assert all(e.at.tzinfo is dt.timezone.utc for e in case.events)
    assert case.events[0].at == T0


def test_event_data_is_a_copy(case: Case) -> None:
    data = case.events[-1].data
    data["k"] = 999
    assert case.events[-1].data == {"k": 4}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("schema"), "unknown case schema None"),
        (lambda d: d.update(schema="migrantcare.case/0"), "unknown case schema"),
        (lambda d: d.pop("office"), "lacks field 'office'"),
        (lambda d: d["events"][1].update(at="2026-03-20T10:00:00"), "no UTC offset"),
        (lambda d: d["events"][1].update(at="yesterday"), "not ISO 8601"),
        (lambda d: d["events"][1].pop("hash"), "lacks field .hash."),
        (lambda d: d["complainant"].update(shoe_size=42), "unexpected field"),
    ],
)
def test_schema_errors(case: Case, mutate: object, message: str) -> None:
    data = json.loads(json.dumps(case.to_dict()))
    mutate(data)  # type: ignore[operator]
    with pytest.raises(SchemaError, match=message):
        Case.from_dict(data)


def test_not_a_mapping() -> None:
    with pytest.raises(SchemaError, match="must be a mapping"):
        Case.from_dict([])  # type: ignore[arg-type]


class TestIntegrity:
    def test_genuine_history_verifies(self, case: Case) -> None:
        case.verify()
        case.verify(head_hash=case.head_hash)

    def test_edited_note(self, case: Case) -> None:
        events = list(case.events)
        events[2] = attrs.evolve(events[2], note="nothing happened")
        with pytest.raises(IntegrityError, match="event 2: content does not match its hash"):
            attrs.evolve(case, events=tuple(events)).verify()

    def test_edited_time_through_the_dict(self, case: Case) -> None:
        data = case.to_dict()
        data["events"][3]["at"] = "2026-03-19T15:00:00+00:00"
        with pytest.raises(IntegrityError, match="event 3"):
            Case.from_dict(data).verify()

    def test_removed_event(self, case: Case) -> None:
        events = case.events[:2] + case.events[3:]
        with pytest.raises(IntegrityError, match="event 2: sequence number 3"):
            attrs.evolve(case, events=events).verify()

    def test_reordered_events(self, case: Case) -> None:
        e = list(case.events)
        e[2], e[3] = e[3], e[2]
        with pytest.raises(IntegrityError, match="event 2"):
            attrs.evolve(case, events=tuple(e)).verify()

    def test_truncated_history_needs_the_head(self, case: Case) -> None:
        cut = attrs.evolve(case, events=case.events[:-1], state=case.events[-2].dest)
        cut.verify()  # a consistent prefix on its own...
        with pytest.raises(IntegrityError, match="newest hash differs"):
            cut.verify(head_hash=case.head_hash)  # ...but not the recorded head

    def test_state_disagrees_with_history(self, case: Case) -> None:
        with pytest.raises(IntegrityError, match="differs from the history"):
            attrs.evolve(case, state="resolved").verify()

    def test_replay_detects_a_forged_rehashed_event(self, case: Case) -> None:
        # a forger who recomputes the hashes still cannot make an illegal event replay
        forged = make_event(
            case.events[-1],
            "transition",
            "resolve",
            "referred",
            "closed",
            case.events[-1].at,
            "x",
            None,
            None,
            None,
            "{}",
        )
        tampered = attrs.evolve(case, events=(*case.events, forged), state="closed")
        tampered.verify()  # the chain is self-consistent
        with pytest.raises(IntegrityError, match=r"does not replay|hash differs"):
            replay(tampered, complaint_workflow(sla=False))

    def test_empty_history(self, case: Case) -> None:
        with pytest.raises(IntegrityError, match="no events"):
            attrs.evolve(case, events=()).verify()
