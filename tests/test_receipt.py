"""The complainant's receipt: carried by the acknowledgement, checked later (#24)."""

from __future__ import annotations

import datetime as dt

import pytest

from migrantcare import Case, NoticeSpec, Person, Workflow, complaint_spec, notices
from migrantcare.definitions._standard import COMPLAINT_NOTICES
from migrantcare.exceptions import IntegrityError
from migrantcare.records._receipt import check_receipt, receipt_of
from tests.actors import actor

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)


def opened(at: dt.datetime, note: str | None = None) -> tuple[Workflow, Case]:
    ack = COMPLAINT_NOTICES[0]
    assert (ack.on, ack.key) == ("open", "complaint.registered.ack")
    wf = (
        complaint_spec(sla=False)
        .with_notice(
            NoticeSpec(
                "open",
                ack.key,
                ack.recipient,
                {**dict(ack.values), "receipt": "receipt"},
                channels=ack.channels,
            )
        )
        .build()
    )
    case = wf.open(
        "PGD-2026-000123",
        at=at,
        by=actor("cc-01"),
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="whatsapp",
        complainant=Person("Siti Aminah"),
        note=note,
    )
    return wf, case


def test_the_acknowledgement_carries_a_short_receipt_without_personal_data() -> None:
    wf, case = opened(T0)
    (ack,) = [n for n in notices(wf, case) if n.key == "complaint.registered.ack"]
    receipt = ack.values["receipt"]
    assert receipt == receipt_of(case)
    case_id, digits, day = receipt.split()
    assert case_id == "PGD-2026-000123"
    assert digits == case.events[0].hash[:16]
    assert day == "2026-03-02"
    assert "Siti" not in receipt
    check_receipt(receipt, case)


def test_a_receipt_does_not_match_a_history_rebuilt_since() -> None:
    _, case = opened(T0)
    receipt = receipt_of(case)
    # the same id and day, rebuilt with another opening: its hash differs
    _, forged = opened(T0 + dt.timedelta(minutes=1), note="rebuilt")
    with pytest.raises(IntegrityError, match="PGD-2026-000123"):
        check_receipt(receipt, forged)
