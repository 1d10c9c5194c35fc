"""The FastAPI example service (examples/service.py), driven by FastAPI's test client."""

from __future__ import annotations

import datetime as dt
import pathlib
import runpy
from typing import Any

import pendulum
import pytest
from fastapi.testclient import TestClient

SERVICE = runpy.run_path(str(pathlib.Path(__file__).parent.parent / "examples" / "service.py"))
AGENT = {"X-Actor-Id": "cc-01", "X-Actor-Roles": "call_centre", "X-Actor-Office": "call-centre"}
OFFICER = {"X-Actor-Id": "o-7", "X-Actor-Roles": "officer", "X-Actor-Office": "bp3mi-ntb"}
# an officer of the national desk, which holds a case until it is transferred
DESK = {"X-Actor-Id": "cc-desk", "X-Actor-Roles": "officer", "X-Actor-Office": "call-centre"}


class Clock:
    def __init__(self) -> None:
        self.now = pendulum.datetime(2026, 4, 6, 9, tz="Asia/Jakarta")

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(clock: Clock) -> TestClient:
    return TestClient(SERVICE["create_app"](clock=clock))


def open_one(client: TestClient, **headers: str) -> dict[str, Any]:
    response = client.post(
        "/complaints",
        json={
            "case_id": "PGD-1",
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
    assert english["next_due_at"] is not None
    (ack,) = english["notices"]
    assert ack["recipient"] == "complainant"
    assert ack["text"].startswith("Dear Ibu Siti")
    assert "WIB" in ack["text"]
    indonesian = client.get("/complaints/PGD-1/notices", headers={"Accept-Language": "id-ID"})
    assert indonesian.json()["locale"] == "id"
    assert indonesian.json()["notices"][0]["text"].startswith("Yth. Ibu Siti")
    # ?lang= wins over the header; an unknown language falls back to Indonesian
    assert (
        client.get("/complaints/PGD-1?lang=en", headers={"Accept-Language": "id"}).json()[
            "state_label"
        ]
        == "Registered"
    )
    assert (
        client.get("/complaints/PGD-1", headers={"Accept-Language": "fr"}).json()["state_label"]
        == "Terdaftar"
    )


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
    status = client.get("/complaints/PGD-1").json()
    assert {c["goal"]: c["state"] for c in status["sla"]} == {
        "first_response": "met",
        "verification": "running",
        "documents": "running",
    }


def test_transfer_moves_the_case_to_the_offices_calendar(client: TestClient, clock: Clock) -> None:
    opened = open_one(client)
    clock.now = clock.now.add(hours=2)
    moved = client.post(
        "/complaints/PGD-1/transfer",
        json={"to": "bp3mi-ntb", "expected_version": opened["version"]},
        headers=AGENT,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["office"] == "bp3mi-ntb"
    due = {c["goal"]: c["due_at"] for c in client.get("/complaints/PGD-1").json()["sla"]}
    assert due["verification"] == "2026-04-09T16:00:00+08:00"  # Mataram's close of business
    # the officer of the new office acts on it
    fired = client.post(
        "/complaints/PGD-1/events",
        json={"trigger": "start_verification", "expected_version": moved.json()["version"]},
        headers=OFFICER,
    )
    assert fired.status_code == 200, fired.text


def test_sweep_records_what_is_due(client: TestClient, clock: Clock) -> None:
    open_one(client)
    assert client.post("/sweep").json()["advanced"] == []
    clock.now = clock.now.add(days=10)
    advanced = client.post("/sweep").json()["advanced"]
    assert advanced[0]["id"] == "PGD-1"
    assert "breach" in advanced[0]["events"]
    assert client.post("/sweep").json()["advanced"] == []  # idempotent


def test_errors_are_mapped_and_name_no_personal_data(client: TestClient) -> None:
    open_one(client)
    missing = client.get("/complaints/PGD-404")
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
