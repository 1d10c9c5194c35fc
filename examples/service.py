"""A web service over migrantcare that an integrator can copy (FastAPI, SQL store).

Run: ``pip install "migrantcare[sql]" fastapi uvicorn psycopg`` then
``MIGRANTCARE_DB=postgresql+psycopg://user@host/db uvicorn examples.service:app``
(SQLite, in ``migrantcare-example.db``, when ``MIGRANTCARE_DB`` is not set), beside
``migrantcare worker --db <the same URL> --offices examples/offices.toml`` for the SLA
sweep. ``python examples/service.py`` runs a scripted walk-through on a temporary
SQLite file with FastAPI's test client.

What it shows:

* cases live in ``migrantcare.sql``: an :class:`~migrantcare.sql.Outbox` on a
  :class:`~migrantcare.sql.SqlCaseStore` saves each case and the notices of its new
  events in one transaction; the bound offices are the one source of every calendar (no
  endpoint passes one);
* every request acts as an ``Actor`` read from ``X-Actor-*`` headers to keep the example
  short — **in production take it from your authentication** (a session, a verified
  token), never from what the client says;
* writes go through ``outbox.update`` (load, apply, save; again when another save came
  first); a client that sends ``expected_version`` gets 409 instead when the case moved
  on since it read it;
* reads are checked with ``workflow.check_read`` (the ``read_case`` rule, scoped by
  office); the overdue list of an office shows only what the actor may read;
* deadlines are shown in the zone of the office holding the case (``SlaStatus.to_dict``);
  notices in the requester's language (``Accept-Language``, ``?lang=`` overrides it) and
  in the zone of the office that held the case when the notice was written;
* every migrantcare error maps to its HTTP status in one handler (``exc.http_status``);
  a database that is briefly away (a restart, a failover) is waited for, then 503;
* the store is synchronous, so its calls run in the thread pool, never on the event
  loop: each endpoint hands all its database work to one function there (one hop a
  request, the largest fixed cost of the request path) and does the CPU-only rest on
  the loop; no ``Depends()``, no response models (``to_dict()`` is JSON already) - see
  "What a request costs" in ``docs/howto/web-service.md``;
* the SLA sweep runs in ``migrantcare worker`` processes; ``POST /sweep`` sweeps once for
  hosts without one, and :func:`send_pending` is the notice sender's loop body.
"""

import datetime as _dt
import functools
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
import pendulum
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from migrantcare import (
    SYSTEM,
    Actor,
    Case,
    CaseSummary,
    Messages,
    Offices,
    Person,
    audit_trail,
    complaint_workflow,
    notices,
)
from migrantcare.exceptions import InvalidArgumentError, MigrantCareError
from migrantcare.sql import Outbox, OutboxNotice, SqlCaseStore, create_all, create_outbox, sweep

Clock = Callable[[], _dt.datetime]
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
#: The database when ``MIGRANTCARE_DB`` is not set.
DEFAULT_DB = "sqlite:///migrantcare-example.db"
OFFICES = Path(__file__).with_name("offices.toml")


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
    # None: apply to the case as it is now (retried on a concurrent save); a number:
    # only if the case is still at that version (else 409)
    expected_version: int | None = None
    note: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class Transfer(BaseModel):
    to: str
    expected_version: int | None = None
    note: str | None = None


class Erase(BaseModel):
    expected_version: int | None = None
    note: str | None = None


async def body_of(model: type[M], request: Request) -> M:
    """The request's body as ``model``, refused (422) exactly as FastAPI refuses a body.

    For the endpoints that are plain Starlette routes (see ``create_app``): FastAPI's
    rules for a ``body: Model`` parameter - JSON only under a JSON content type, an empty
    body is missing, the errors located under ``"body"`` - answered by its own handler.
    """
    raw = await request.body()
    if not raw:
        missing = {"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}
        raise RequestValidationError([missing])
    data: Any = raw  # not JSON: validated as bytes, which a model refuses
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json")):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            error = {
                "type": "json_invalid",
                "loc": ("body", exc.pos),
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": exc.msg},
            }
            raise RequestValidationError([error], body=exc.doc) from None
    try:
        return model.model_validate(data, from_attributes=True)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors, body=data) from None


class _OfficeScope:
    """What ``check_read`` needs to decide whether an actor may list an office's cases."""

    def __init__(self, office: str) -> None:
        self.id = "(its cases)"
        self.office = office


def office_at(case: Case, seq: int) -> str:
    """The office that held ``case`` right after its event ``seq``."""
    for event in case.events[seq + 1 :]:
        if event.kind == "transferred":
            return str(event.data["from_office"])
    return case.office


def send_pending(
    outbox: Outbox,
    deliver: Callable[[OutboxNotice], None],
    *,
    at: _dt.datetime,
    limit: int = 100,
) -> int:
    """Send the notices due at ``at`` with ``deliver``; return how many were sent.

    ``deliver`` hands one notice to the gateway (pass ``notice.idempotency_key`` along so
    that a repeat is dropped there) and raises when the gateway refuses: the notice is
    then retried after the outbox's backoff. A sender process calls this in a loop.
    """
    sent = 0
    with outbox.claim(limit, at=at) as batch:
        for notice in batch:
            try:
                deliver(notice)
            except Exception as exc:  # a gateway's failure: retried after the backoff
                batch.failed(notice, type(exc).__name__)
            else:
                batch.sent(notice)
                sent += 1
    return sent


def create_app(  # noqa: PLR0915 - the endpoints are its inner functions
    database_url: str | None = None,
    *,
    offices: Offices | None = None,
    clock: Clock | None = None,
    messages: Messages | None = None,
    retries: int = 10,
    database_wait: float = 15.0,
) -> FastAPI:
    """Build the service.

    Args:
        database_url: A SQLAlchemy URL (``MIGRANTCARE_DB``, else a SQLite file).
        offices: The office directory (``examples/offices.toml`` by default).
        clock: Returns now (aware); the tests pass a fixed one.
        messages: The catalogs.
        retries: How often a write is applied again after a concurrent save.
        database_wait: How long a request waits for a database that is away.
    """
    url = database_url or os.environ.get("MIGRANTCARE_DB", DEFAULT_DB)
    # pool_pre_ping: a connection the server dropped (restart, failover) is replaced at
    # checkout instead of failing the request that drew it
    engine = sa.create_engine(url, pool_pre_ping=True)
    directory = offices or Offices.from_file(OFFICES)
    workflow = complaint_workflow().bind(directory)
    catalogs = messages or Messages.default()
    # no calendar=: the bound offices are the one source of every case's calendar
    store = SqlCaseStore(engine, workflow)
    create_all(engine, store.tables)  # production: your migrations
    create_outbox(engine, store.tables)
    outbox = Outbox(store, messages=catalogs)
    now: Clock = clock or (lambda: _dt.datetime.now(_dt.timezone.utc))
    dbapi = engine.dialect.dbapi
    away: tuple[type[BaseException], ...] = (sa.exc.OperationalError, sa.exc.InterfaceError)
    if dbapi is not None:
        away += (dbapi.OperationalError, dbapi.InterfaceError)

    app = FastAPI(title="migrantcare example service")
    app.state.outbox = outbox
    app.state.workflow = workflow

    @app.exception_handler(MigrantCareError)
    async def refused(request: Request, exc: MigrantCareError) -> JSONResponse:
        # the one mapping of errors to statuses; messages never carry personal data
        body = {"error": type(exc).__name__, "detail": str(exc)}
        return JSONResponse(body, status_code=exc.http_status)

    @app.exception_handler(sa.exc.DBAPIError)
    async def unavailable(request: Request, exc: sa.exc.DBAPIError) -> JSONResponse:
        # still away after database_wait: the client may try again later
        body = {"error": "DatabaseUnavailable", "detail": type(exc.orig).__name__}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})

    def waiting(work: Callable[..., T], *args: Any) -> T:
        """``work(*args)``, waiting for a database that is briefly away (restart, failover)."""
        deadline = time.monotonic() + database_wait
        delay = 0.05
        while True:
            try:
                return work(*args)
            except away:
                if time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def database(work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` in the thread pool (``waiting`` for the database): one hop.

        The store is synchronous (SQLAlchemy): its calls must not run on the event loop,
        which would stop serving every other request while one waits for the database.
        Each endpoint hands all its database work to one function here - one hop to a
        worker thread and back, the request's largest fixed cost (two thread wake-ups) -
        and does the rest (permission checks, deadlines, rendering, JSON: CPU only, tens
        of microseconds) on the loop.
        """
        return await anyio.to_thread.run_sync(waiting, work, *args)

    # Plain functions an endpoint calls with its Request, not FastAPI dependencies: each
    # Depends() is a dependency graph solved per request (its path, query, header and
    # cookie parameters looked up) - ~35 µs for these two, for reading three headers.
    def actor(request: Request) -> Actor:
        # DEMO ONLY: a real service takes the actor from its authentication
        headers = request.headers
        actor_id, roles = headers.get("x-actor-id"), headers.get("x-actor-roles")
        if actor_id is None or roles is None:
            raise InvalidArgumentError("the X-Actor-Id and X-Actor-Roles headers are required")
        held = {r.strip() for r in roles.split(",") if r.strip()}
        return Actor(actor_id, roles=held, office=headers.get("x-actor-office"))

    def language(request: Request) -> str:
        asked = request.query_params.get("lang") or request.headers.get("accept-language")
        return catalogs.negotiate(asked or "id", default="id")

    def zone_of(office: str) -> str:
        return workflow.calendar_of(office).tz

    def view(case: Case, locale: str, by: Actor) -> dict[str, Any]:
        office = directory[case.office]
        return {
            **CaseSummary.of(case).to_dict(tz=zone_of(case.office)),
            "state_label": workflow.state(case.state).label(locale),
            "office_name": office.name(locale),
            "allowed": list(workflow.allowed_events(case, by=by)),
        }

    def rendered(case: Case, locale: str, since: int) -> list[dict[str, Any]]:
        out = []
        for event in case.events[since:]:
            # the zone of the office that held the case when the notice was written
            tz = zone_of(office_at(case, event.seq))
            for notice in notices(workflow, case, event):
                out.append(
                    {
                        **notice.to_dict(tz=tz),
                        "tz": tz,
                        "text": notice.render(catalogs, locale, tz=tz),
                    }
                )
        return out

    async def readable(case_id: str, by: Actor) -> Case:
        case = await database(store.get, case_id)
        workflow.check_read(case, by=by)
        return case

    def write(case_id: str, change: Callable[[Case, _dt.datetime], Case]) -> tuple[Case, int]:
        """``outbox.update`` with ``change`` (given the case and now); the case, old version."""
        before = [0]

        def apply(case: Case) -> Case:
            before[0] = case.version
            # now is read per attempt: a retry after a concurrent save comes later
            return change(case, now())

        saved = outbox.update(case_id, apply, retries=retries)
        return saved, before[0]

    def answer(data: dict[str, Any], status: int = 200) -> JSONResponse:
        # what to_dict() returns is JSON already: handed to json.dumps as it is, without
        # FastAPI's encoder (jsonable_encoder walks every value again)
        return JSONResponse(data, status_code=status)

    # The endpoints are `async def`: FastAPI runs a sync endpoint whole in its thread pool,
    # which costs one hop as well but ~50-100 µs more a request (its wrapping of the call)
    # and puts CPU-only work in the thread for no gain.
    @app.post("/complaints", status_code=201)
    async def open_complaint(body: OpenComplaint, request: Request) -> JSONResponse:
        by, locale = actor(request), language(request)
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
        await database(outbox.add, case)
        return answer({**view(case, locale, by), "notices": rendered(case, locale, 0)}, 201)

    # The two requests clients make most, status and fire, are plain Starlette routes
    # (added below): FastAPI's handler of a route solves its parameters as a dependency
    # graph per request, ~50 µs (more on a busy machine) for a path parameter and a body
    # that body_of reads alike. They are not in FastAPI's OpenAPI schema; declared with
    # @app.get / @app.post (case_id: str, body: FireEvent) they would be, at that cost.
    async def status(request: Request) -> JSONResponse:
        case_id = request.path_params["case_id"]
        by, locale = actor(request), language(request)
        case = await readable(case_id, by)
        # deadlines in the zone of the office holding the case
        sla = [s.to_dict() for s in workflow.status(case, at=now())]
        return answer({**view(case, locale, by), "sla": sla})

    async def fire(request: Request) -> JSONResponse:
        body = await body_of(FireEvent, request)  # first, as FastAPI checks a body first
        case_id = request.path_params["case_id"]
        by, locale = actor(request), language(request)

        def change(case: Case, at: _dt.datetime) -> Case:
            return workflow.fire(
                case,
                body.trigger,
                at=at,
                by=by,
                note=body.note,
                data=body.data,
                expected_version=body.expected_version,
            )

        new, before = await database(write, case_id, change)
        return answer({**view(new, locale, by), "notices": rendered(new, locale, before)})

    app.add_route("/complaints/{case_id}", status, methods=["GET"])
    app.add_route("/complaints/{case_id}/events", fire, methods=["POST"])

    @app.post("/complaints/{case_id}/transfer")
    async def transfer(case_id: str, body: Transfer, request: Request) -> JSONResponse:
        by, locale = actor(request), language(request)

        def change(case: Case, at: _dt.datetime) -> Case:
            return workflow.transfer(
                case,
                to=body.to,
                at=at,
                by=by,
                note=body.note,
                expected_version=body.expected_version,
            )

        new, before = await database(write, case_id, change)
        return answer({**view(new, locale, by), "notices": rendered(new, locale, before)})

    @app.post("/complaints/{case_id}/erase")
    async def erase(case_id: str, body: Erase, request: Request) -> JSONResponse:
        by, locale = actor(request), language(request)

        def erased() -> Case:
            for _ in range(retries):
                at = now()
                try:
                    # the person rows and the texts of the case's notices, in one transaction
                    return waiting(
                        functools.partial(
                            outbox.erase_person,
                            case_id,
                            at=at,
                            by=by,
                            note=body.note,
                            expected_version=body.expected_version,
                        )
                    )
                except InvalidArgumentError:
                    # a save that read the clock after us committed first: erase at a later now
                    if waiting(store.get, case_id).events[-1].at <= at:
                        raise
            raise InvalidArgumentError(f"case {case_id!r} kept changing; try the erasure again")

        # one hop for the whole retry loop (each call in it waits for the database itself)
        return answer(view(await anyio.to_thread.run_sync(erased), locale, by))

    @app.get("/complaints/{case_id}/notices")
    async def latest_notices(case_id: str, request: Request) -> JSONResponse:
        by, locale = actor(request), language(request)
        case = await readable(case_id, by)
        return answer({"locale": locale, "notices": rendered(case, locale, case.version - 1)})

    @app.get("/complaints/{case_id}/audit")
    async def audit(case_id: str, request: Request) -> JSONResponse:
        case = await readable(case_id, actor(request))
        return answer({"id": case.id, "entries": [entry.to_dict() for entry in audit_trail(case)]})

    @app.get("/offices/{office}/overdue")
    async def overdue(office: str, request: Request) -> JSONResponse:
        by, locale = actor(request), language(request)
        directory[office]  # an unknown office is a 404
        workflow.check_read(_OfficeScope(office), by=by)
        at = now()

        def late() -> list[dict[str, Any]]:
            # in the thread as a whole: the deadlines of every case of the office would
            # hold the event loop for as long as they take
            out = []
            for case in waiting(lambda: list(outbox.store.iter_cases(office=office))):
                if workflow.state(case.state).terminal or not workflow.can_read(case, by=by):
                    continue
                breached = [
                    s.to_dict() for s in workflow.status(case, at=at) if s.state == "breached"
                ]
                if breached:
                    out.append({**view(case, locale, by), "breached": breached})
            return out

        cases = await anyio.to_thread.run_sync(late)
        local = pendulum.instance(at).in_tz(zone_of(office))
        return answer({"office": office, "at": local.isoformat(), "cases": cases})

    @app.post("/sweep")
    async def sweep_once() -> JSONResponse:
        # hosts without `migrantcare worker`; the worker runs this in a loop
        result = await database(lambda: sweep(outbox, at=now(), by=SYSTEM))
        return answer(
            {
                "at": result.at.isoformat(),
                "claimed": result.claimed,
                "advanced": result.advanced,
                "failed": list(result.failed),
            }
        )

    return app


def __getattr__(name: str) -> Any:
    # `uvicorn examples.service:app` builds the app on first use, not at import (the
    # tests import this module with their own databases)
    if name == "app":
        return create_app()
    raise AttributeError(name)


def main() -> None:
    import tempfile  # noqa: PLC0415 - the walk-through only

    from fastapi.testclient import TestClient  # noqa: PLC0415

    instant = [pendulum.datetime(2026, 4, 6, 9, tz="Asia/Jakarta")]
    with tempfile.TemporaryDirectory() as tmp:
        client = TestClient(create_app(f"sqlite:///{tmp}/cases.db", clock=lambda: instant[0]))
        agent = {"X-Actor-Id": "cc-01", "X-Actor-Roles": "call_centre",
                 "X-Actor-Office": "call-centre"}  # fmt: skip
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
        print("sweep:", client.post("/sweep").json())
        status = client.get("/complaints/PGD-1?lang=en", headers=agent).json()
        print("status:", {c["goal"]: (c["state"], c["due_at"]) for c in status["sla"]})


if __name__ == "__main__":
    main()
