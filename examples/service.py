"""A small web service over migrantcare that an integrator can copy (FastAPI).

Run: ``pip install fastapi uvicorn`` then ``uvicorn examples.service:app`` (or
``python examples/service.py`` for a scripted walk-through with FastAPI's test client).

What it shows:

* the office directory is loaded once and the workflow bound to it: no endpoint passes
  a calendar, each case is computed on its office's;
* every request acts as an ``Actor``; here the actor is read from ``X-Actor-*``
  headers to keep the example short — **in production take it from your
  authentication** (a session, a verified token), never from what the client says;
* notices are rendered in the requester's language, negotiated from
  ``Accept-Language`` (``?lang=`` overrides it);
* the sweep advances every due case (call it from your scheduler, as ``SYSTEM``);
* a transfer hands a case to another office; its clocks continue on that office's
  calendar;
* errors are migrantcare's own, mapped to HTTP statuses; messages never carry
  personal data.

Cases are kept in an ``InMemoryCaseStore``; swap in ``migrantcare.sql.SqlCaseStore``
(same ``get`` / ``add`` / ``save`` contract) for a database.

(No ``from __future__ import annotations`` here: FastAPI reads the ``Annotated``
dependencies of the endpoints at run time, and they name functions local to
``create_app``.)
"""

import datetime as _dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pendulum
from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from migrantcare import (
    SYSTEM,
    Actor,
    Case,
    InMemoryCaseStore,
    Messages,
    Offices,
    Person,
    complaint_workflow,
    notices,
)
from migrantcare.exceptions import (
    CaseNotFoundError,
    GuardRejectedError,
    InvalidTransitionError,
    MigrantCareError,
    MissingMessageError,
    PermissionDeniedError,
    StaleCaseError,
    UnknownOfficeError,
)

Clock = Callable[[], _dt.datetime]


class OpenComplaint(BaseModel):
    case_id: str
    office: str
    category: str
    channel: str
    priority: str = "normal"
    complainant_name: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class FireEvent(BaseModel):
    trigger: str
    expected_version: int
    note: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class Transfer(BaseModel):
    to: str
    expected_version: int
    note: str | None = None


def _status_code(exc: MigrantCareError) -> int:
    if isinstance(exc, PermissionDeniedError):
        return 403  # the actor's role or office may not do this; nothing was recorded
    if isinstance(exc, (CaseNotFoundError, UnknownOfficeError)):
        return 404
    if isinstance(exc, StaleCaseError):
        return 409
    if isinstance(exc, (InvalidTransitionError, GuardRejectedError)):
        return 409
    if isinstance(exc, MissingMessageError):
        return 406
    return 422


def create_app(
    offices: Offices | None = None,
    *,
    clock: Clock | None = None,
    messages: Messages | None = None,
) -> FastAPI:
    """Build the service (the tests build one with a fixed clock)."""
    directory = offices or Offices.from_file(Path(__file__).with_name("offices.toml"))
    workflow = complaint_workflow().bind(directory)
    catalogs = messages or Messages.default()
    store = InMemoryCaseStore()
    now: Clock = clock or (lambda: _dt.datetime.now(_dt.timezone.utc))
    app = FastAPI(title="migrantcare example service")

    @app.exception_handler(MigrantCareError)
    async def refused(request: Request, exc: MigrantCareError) -> JSONResponse:
        # migrantcare's messages name the value and what is allowed, never personal data
        return JSONResponse(
            {"error": type(exc).__name__, "detail": str(exc)}, status_code=_status_code(exc)
        )

    def actor(
        x_actor_id: Annotated[str, Header()],
        x_actor_roles: Annotated[str, Header()],
        x_actor_office: Annotated[str | None, Header()] = None,
    ) -> Actor:
        # DEMO ONLY: a real service takes the actor from its authentication
        roles = {r.strip() for r in x_actor_roles.split(",") if r.strip()}
        return Actor(x_actor_id, roles=roles, office=x_actor_office)

    def language(lang: str | None = None, accept_language: str | None = Header(None)) -> str:
        return catalogs.negotiate(lang or accept_language or "id", default="id")

    def summary(case: Case, locale: str) -> dict[str, Any]:
        office = directory[case.office]
        return {
            "id": case.id,
            "state": case.state,
            "state_label": workflow.state(case.state).label(locale),
            "office": case.office,
            "office_name": office.name(locale),
            "version": case.version,
            "next_due_at": _iso(workflow.next_due_at(case)),
            "allowed": list(workflow.allowed_events(case)),
        }

    def rendered(case: Case, locale: str, since: int) -> list[dict[str, str]]:
        tz = directory.calendar(case.office).tz
        out = []
        for event in case.events[since:]:
            for notice in notices(workflow, case, event):
                out.append(
                    {
                        "recipient": notice.recipient,
                        "key": notice.key,
                        "text": notice.render(catalogs, locale, tz=tz),
                    }
                )
        return out

    @app.post("/complaints", status_code=201)
    def open_complaint(
        body: OpenComplaint,
        by: Annotated[Actor, Depends(actor)],
        locale: Annotated[str, Depends(language)],
    ) -> dict[str, Any]:
        person = None if body.complainant_name is None else Person(body.complainant_name)
        case = workflow.open(
            body.case_id,
            at=now(),
            by=by,
            office=body.office,
            category=body.category,
            channel=body.channel,
            priority=body.priority,
            complainant=person,
            attributes=body.attributes,
        )
        store.add(case)
        return {**summary(case, locale), "notices": rendered(case, locale, 0)}

    @app.post("/complaints/{case_id}/events")
    def fire(
        case_id: str,
        body: FireEvent,
        by: Annotated[Actor, Depends(actor)],
        locale: Annotated[str, Depends(language)],
    ) -> dict[str, Any]:
        case = store.get(case_id)
        new = workflow.fire(
            case,
            body.trigger,
            at=now(),
            by=by,
            note=body.note,
            data=body.data,
            expected_version=body.expected_version,
        )
        store.save(new, expected_version=case.version)
        return {**summary(new, locale), "notices": rendered(new, locale, case.version)}

    @app.post("/complaints/{case_id}/transfer")
    def transfer(
        case_id: str,
        body: Transfer,
        by: Annotated[Actor, Depends(actor)],
        locale: Annotated[str, Depends(language)],
    ) -> dict[str, Any]:
        case = store.get(case_id)
        if case.version != body.expected_version:
            store.save(case, expected_version=body.expected_version)  # raises StaleCaseError
        new = workflow.transfer(case, to=body.to, at=now(), by=by, note=body.note)
        store.save(new, expected_version=case.version)
        return summary(new, locale)

    @app.get("/complaints/{case_id}")
    def status(case_id: str, locale: Annotated[str, Depends(language)]) -> dict[str, Any]:
        case = store.get(case_id)
        clocks = [
            {
                "goal": s.goal,
                "state": s.state,
                "due_at": s.due_at.isoformat(),
                "percent_used": round(s.percent_used, 1),
                "target": s.target,
            }
            for s in workflow.status(case, at=now())
        ]
        return {**summary(case, locale), "sla": clocks}

    @app.get("/complaints/{case_id}/notices")
    def latest_notices(case_id: str, locale: Annotated[str, Depends(language)]) -> dict[str, Any]:
        case = store.get(case_id)
        return {"locale": locale, "notices": rendered(case, locale, case.version - 1)}

    @app.post("/sweep")
    def sweep() -> dict[str, Any]:
        at = now()
        advanced = []
        for case in workflow.due_cases(list(store), at=at):
            new = workflow.advance(case, at=at, by=SYSTEM)
            if new.version != case.version:
                store.save(new, expected_version=case.version)
                advanced.append(
                    {"id": new.id, "events": [e.name for e in new.events[case.version :]]}
                )
        return {"at": at.isoformat(), "advanced": advanced}

    return app


def _iso(value: _dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


app = create_app()


def main() -> None:
    from fastapi.testclient import TestClient  # noqa: PLC0415 - the walk-through only

    instant = [pendulum.datetime(2026, 4, 6, 9, tz="Asia/Jakarta")]
    client = TestClient(create_app(clock=lambda: instant[0]))
    agent = {"X-Actor-Id": "cc-01", "X-Actor-Roles": "call_centre", "X-Actor-Office": "call-centre"}
    opened = client.post(
        "/complaints",
        json={"case_id": "PGD-1", "office": "call-centre", "category": "unpaid_wages",
              "channel": "call_center", "complainant_name": "Ibu Siti"},
        headers={**agent, "Accept-Language": "en-GB,en;q=0.9"},
    ).json()  # fmt: skip
    print("opened:", opened["state_label"], "at", opened["office_name"])
    instant[0] = instant[0].add(hours=2)
    moved = client.post(
        "/complaints/PGD-1/transfer",
        json={"to": "bp3mi-ntb", "expected_version": opened["version"]},
        headers={**agent, "Accept-Language": "id-ID"},
    ).json()
    print("transferred to:", moved["office_name"])
    instant[0] = instant[0].add(days=10)
    print("sweep:", client.post("/sweep").json()["advanced"])
    status = client.get("/complaints/PGD-1?lang=en").json()
    print("status:", {c["goal"]: c["state"] for c in status["sla"]})


if __name__ == "__main__":
    main()
