"""The reference service (examples/service.py) on SQLite, driven by FastAPI's test client.

Marked ``system``: it needs the ``service`` extra (FastAPI), imported only when it runs.
The whole deployment on PostgreSQL (workers, sender, restarts) is tests/test_system.py.
"""

from __future__ import annotations

import datetime as dt
import itertools
import pathlib
import runpy
from typing import TYPE_CHECKING, Any

import pendulum
import pytest

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.system

SERVICE_PY = pathlib.Path(__file__).parent.parent / "examples" / "service.py"
AGENT = {"X-Actor-Id": "cc-01", "X-Actor-Roles": "call_centre", "X-Actor-Office": "call-centre"}
OFFICER = {"X-Actor-Id": "o-7", "X-Actor-Roles": "officer", "X-Actor-Office": "bp3mi-ntb"}
HEAD_NTB = {"X-Actor-Id": "h-1", "X-Actor-Roles": "head_of_office", "X-Actor-Office": "bp3mi-ntb"}
# an officer of the national desk, which holds a case until it is transferred
DESK = {"X-Actor-Id": "cc-desk", "X-Actor-Roles": "officer", "X-Actor-Office": "call-centre"}
KUPANG = {"X-Actor-Id": "o-9", "X-Actor-Roles": "officer", "X-Actor-Office": "bp3mi-ntt"}


class Clock:
    def __init__(self) -> None:
        self.now = pendulum.datetime(2026, 4, 6, 9, tz="Asia/Jakarta")

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(scope="module")
def service() -> dict[str, Any]:
    return runpy.run_path(str(SERVICE_PY))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(service: dict[str, Any], clock: Clock, tmp_path: pathlib.Path) -> TestClient:
    from fastapi.testclient import TestClient  # noqa: PLC0415 - the service extra

    return TestClient(service["create_app"](f"sqlite:///{tmp_path / 'cases.db'}", clock=clock))


def open_one(client: TestClient, case_id: str = "PGD-1", **headers: str) -> dict[str, Any]:
    response = client.post(
        "/complaints",
        json={
            "case_id": case_id,
            "office": "call-centre",
            "category": "unpaid_wages",
            "channel": "call_center",
            "complainant_name": "Ibu Siti",
        },
        headers={**AGENT, **headers},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_open_in_the_requesters_language(client: TestClient) -> None:
    english = open_one(client, **{"Accept-Language": "en-GB,en;q=0.9,id;q=0.5"})
    assert english["state_label"] == "Registered"
    assert english["office_name"].startswith("National call centre")
    assert english["next_due_at"].endswith("+07:00")  # in the office's zone (WIB)
    (ack,) = english["notices"]
    assert (ack["recipient"], ack["tz"]) == ("complainant", "Asia/Jakarta")
    assert ack["text"].startswith("Dear Ibu Siti")
    assert "WIB" in ack["text"]
    assert ack["values"]["verify_by"].endswith("+07:00")
    indonesian = client.get(
        "/complaints/PGD-1/notices", headers={**AGENT, "Accept-Language": "id-ID"}
    )
    assert indonesian.json()["locale"] == "id"
    assert indonesian.json()["notices"][0]["text"].startswith("Yth. Ibu Siti")
    # ?lang= wins over the header; an unknown language falls back to Indonesian
    english_again = client.get(
        "/complaints/PGD-1?lang=en", headers={**AGENT, "Accept-Language": "id"}
    )
    assert english_again.json()["state_label"] == "Registered"
    french = client.get("/complaints/PGD-1", headers={**AGENT, "Accept-Language": "fr"})
    assert french.json()["state_label"] == "Terdaftar"


def test_fire_status_and_optimistic_locking(client: TestClient, clock: Clock) -> None:
    opened = open_one(client)
    clock.now = clock.now.add(hours=1)
    refused = client.post(
        "/complaints/PGD-1/events",
        json={"trigger": "start_verification", "expected_version": opened["version"]},
        headers=AGENT,
    )
    assert (refused.status_code, refused.json()["error"]) == (403, "PermissionDeniedError")
    assert "allowed: officer, head_of_office of office 'call-centre'" in refused.json()["detail"]
    fired = client.post(
        "/complaints/PGD-1/events",
        json={"trigger": "start_verification", "expected_version": opened["version"]},
        headers=DESK,
    )
    assert fired.status_code == 200, fired.text
    assert fired.json()["state"] == "verification"
    stale = client.post(
        "/complaints/PGD-1/events",
        json={"trigger": "escalate", "expected_version": opened["version"]},
        headers=AGENT,
    )
    assert (stale.status_code, stale.json()["error"]) == (409, "StaleCaseError")
    # without expected_version the change applies to the case as it is now
    noted = client.post(
        "/complaints/PGD-1/events", json={"trigger": "escalate", "note": "n"}, headers=AGENT
    )
    assert (noted.status_code, noted.json()["version"]) == (200, 3)
    status = client.get("/complaints/PGD-1", headers=AGENT).json()
    assert {c["goal"]: c["state"] for c in status["sla"]} == {
        "first_response": "met",
        "verification": "running",
        "documents": "running",
    }


def test_transfer_moves_the_case_to_the_offices_calendar(client: TestClient, clock: Clock) -> None:
    opened = open_one(client)
    clock.now = clock.now.add(hours=2)
    stale = client.post(
        "/complaints/PGD-1/transfer",
        json={"to": "bp3mi-ntb", "expected_version": opened["version"] + 1},
        headers=AGENT,
    )
    assert (stale.status_code, stale.json()["error"]) == (409, "StaleCaseError")
    moved = client.post(
        "/complaints/PGD-1/transfer",
        json={"to": "bp3mi-ntb", "expected_version": opened["version"]},
        headers=AGENT,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["office"] == "bp3mi-ntb"
    sla = client.get("/complaints/PGD-1", headers=OFFICER).json()["sla"]
    due = {c["goal"]: c["due_at"] for c in sla}
    assert due["verification"] == "2026-04-09T16:00:00+08:00"  # Mataram's close of business
    # the officer of the new office acts on it; another office's officer may not even see it
    fired = client.post(
        "/complaints/PGD-1/events",
        json={"trigger": "start_verification", "expected_version": moved.json()["version"]},
        headers=OFFICER,
    )
    assert fired.status_code == 200, fired.text
    hidden = client.get("/complaints/PGD-1", headers=KUPANG)
    assert (hidden.status_code, hidden.json()["error"]) == (403, "PermissionDeniedError")
    assert "may not read case 'PGD-1'" in hidden.json()["detail"]
    assert client.get("/complaints/PGD-1/audit", headers=KUPANG).status_code == 403
    trail = client.get("/complaints/PGD-1/audit", headers=OFFICER).json()["entries"]
    assert [e["kind"] for e in trail] == ["opened", "transferred", "transition"]


def test_sweep_overdue_list_and_notices_in_the_offices_zone(
    client: TestClient, clock: Clock
) -> None:
    open_one(client)
    client.post("/complaints/PGD-1/transfer", json={"to": "bp3mi-ntb"}, headers=AGENT)
    assert client.post("/sweep").json()["claimed"] == 0
    assert client.get("/offices/bp3mi-ntb/overdue", headers=OFFICER).json()["cases"] == []
    clock.now = clock.now.add(days=10)
    swept = client.post("/sweep").json()
    assert (swept["claimed"], swept["advanced"], swept["failed"]) == (1, 1, [])
    assert client.post("/sweep").json()["claimed"] == 0  # idempotent
    overdue = client.get("/offices/bp3mi-ntb/overdue", headers=OFFICER).json()
    assert overdue["at"].endswith("+08:00")
    (late,) = overdue["cases"]
    assert late["id"] == "PGD-1"
    assert {s["goal"] for s in late["breached"]} >= {"verification"}
    assert all(s["remaining_seconds"] < 0 for s in late["breached"])
    assert client.get("/offices/bp3mi-ntb/overdue", headers=KUPANG).status_code == 403
    assert client.get("/offices/bp3mi-xx/overdue", headers=OFFICER).status_code == 404
    notices = client.get("/complaints/PGD-1/notices", headers=OFFICER).json()["notices"]
    assert notices
    for notice in notices:
        assert notice["tz"] == "Asia/Makassar"
        assert "WIB" not in notice["text"]


def test_erasure_checks_versions_and_blanks_the_outbox(
    client: TestClient, service: dict[str, Any], clock: Clock
) -> None:
    open_one(client)
    client.post("/complaints/PGD-1/transfer", json={"to": "bp3mi-ntb"}, headers=AGENT)
    refused = client.post("/complaints/PGD-1/erase", json={}, headers=OFFICER)
    assert (refused.status_code, refused.json()["error"]) == (403, "PermissionDeniedError")
    stale = client.post("/complaints/PGD-1/erase", json={"expected_version": 1}, headers=HEAD_NTB)
    assert (stale.status_code, stale.json()["error"]) == (409, "StaleCaseError")
    erased = client.post("/complaints/PGD-1/erase", json={"expected_version": 2}, headers=HEAD_NTB)
    assert (erased.status_code, erased.json()["version"]) == (200, 3)
    outbox = client.app.state.outbox  # type: ignore[attr-defined]
    sent: list[str] = []
    assert service["send_pending"](outbox, lambda n: sent.append(n.text), at=clock.now) == 0
    notices = client.get("/complaints/PGD-1/audit", headers=OFFICER).json()["entries"]
    assert notices[-1]["kind"] == "erased"
    assert "Siti" not in client.get("/complaints/PGD-1/notices", headers=OFFICER).text


def test_the_sender_delivers_each_notice_once(
    client: TestClient, service: dict[str, Any], clock: Clock
) -> None:
    open_one(client)
    open_one(client, "PGD-2")
    outbox = client.app.state.outbox  # type: ignore[attr-defined]
    sent: list[tuple[str, str]] = []
    send = service["send_pending"]
    assert send(outbox, lambda n: sent.append((n.case_id, n.tz)), at=clock.now) == 2
    assert send(outbox, lambda n: sent.append((n.case_id, n.tz)), at=clock.now) == 0
    assert sorted(sent) == [("PGD-1", "Asia/Jakarta"), ("PGD-2", "Asia/Jakarta")]

    def refuse(notice: object) -> None:
        raise ConnectionError("gateway down")

    open_one(client, "PGD-3")
    assert send(outbox, refuse, at=clock.now) == 0
    assert outbox.counts().retrying == 1


def test_errors_are_mapped_in_one_place_and_name_no_personal_data(client: TestClient) -> None:
    open_one(client)
    missing = client.get("/complaints/PGD-404", headers=AGENT)
    assert (missing.status_code, missing.json()["error"]) == (404, "CaseNotFoundError")
    refused = client.post(
        "/complaints/PGD-1/events", json={"trigger": "verify", "expected_version": 1},
        headers=AGENT,
    )  # fmt: skip
    assert (refused.status_code, refused.json()["error"]) == (409, "InvalidTransitionError")
    assert "Siti" not in refused.text
    unknown = client.post(
        "/complaints",
        json={"case_id": "X", "office": "bp3mi-xx", "category": "other", "channel": "sms"},
        headers=AGENT,
    )
    assert (unknown.status_code, unknown.json()["error"]) == (404, "UnknownOfficeError")
    bad = client.post(
        "/complaints",
        json={"case_id": "Y", "office": "call-centre", "category": "weather", "channel": "sms"},
        headers=AGENT,
    )
    assert (bad.status_code, bad.json()["error"]) == (422, "UnknownTermError")
    no_actor = client.post("/complaints/PGD-1/events", json={"trigger": "x", "expected_version": 1})
    assert no_actor.status_code == 422
    again = client.post(
        "/complaints",
        json={"case_id": "PGD-1", "office": "call-centre", "category": "other", "channel": "sms"},
        headers=AGENT,
    )
    assert again.status_code == 409  # the id is taken


def test_a_bad_fire_body_is_refused_as_fastapi_refuses_a_body_parameter(
    client: TestClient, service: dict[str, Any]
) -> None:
    # fire is a plain Starlette route reading its body with body_of: its 422s are those of
    # a FastAPI route declaring `body: FireEvent` (kept so across FastAPI upgrades)
    from fastapi import FastAPI  # noqa: PLC0415 - the service extra
    from fastapi.testclient import TestClient  # noqa: PLC0415

    def fire(case_id: str, body: Any) -> dict[str, Any]:
        return {}

    # set here, not written: this module's annotations are strings (from __future__)
    fire.__annotations__.update(case_id=str, body=service["FireEvent"])
    reference = FastAPI()
    reference.post("/complaints/{case_id}/events")(fire)
    declared = TestClient(reference)
    open_one(client)
    bodies = [
        b"",
        b"{bad",
        b"[]",
        b"null",
        b"{}",
        b'{"trigger": 3}',
        b'{"trigger": "x", "data": 1}',
    ]
    kinds = [None, "application/json", "application/json; charset=utf-8", "text/plain"]
    for body, kind in itertools.product(bodies, kinds):
        headers = {**OFFICER, **({} if kind is None else {"content-type": kind})}
        ours = client.post("/complaints/PGD-1/events", content=body, headers=headers)
        theirs = declared.post("/complaints/PGD-1/events", content=body, headers=headers)
        assert (ours.status_code, ours.json()) == (theirs.status_code, theirs.json()), (body, kind)
        assert ours.status_code == 422
