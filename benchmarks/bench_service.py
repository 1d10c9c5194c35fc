"""The reference service's request path beside the library calls it makes.

Run: ``python benchmarks/bench_service.py [--quick]`` (needs the ``service`` extra).

The service is ``examples/service.py`` on a SQLite file, called as an ASGI application
in this process (no HTTP client, no socket: what is measured is the service's own path,
from the ASGI call to the last byte of the JSON answer: routing, the actor from the
headers, the language, the thread hop of a sync endpoint, the database wrapper, the JSON
encoding). The anchor, measured in the same run and interleaved with it, is the same
library calls made directly: for ``GET /complaints/{id}`` the load, the read check, the
deadlines in the office's zone and the summary; for ``POST /complaints/{id}/events`` the
load-apply-save of one escalation (``outbox.update``, which writes the case
and its notices in one transaction), the summary and the rendered notices. Budget: the
service adds < 1 ms per request over its anchor.

Fair sides: the anchor, the service and the service without the thread hop each work on
their own cases, opened alike (a fire appends an event, and loading a case replays all
of them: shared cases gave each later side a longer history); each round runs the three
sides in another order, and what the service adds is the median of the per-round
differences.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import runpy
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import fastapi.routing
import starlette.concurrency
from _util import load_average, quick, table

from migrantcare import Actor, CaseSummary, notices

ROOT = Path(__file__).parent.parent
OFFICER = {"x-actor-id": "o-7", "x-actor-roles": "officer", "x-actor-office": "bp3mi-ntb"}
AGENT = {"x-actor-id": "cc-1", "x-actor-roles": "call_centre", "x-actor-office": "call-centre"}


async def asgi(app: Any, method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    """One request through the ASGI application; its body (asserting a 2xx status)."""
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    raw += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw,
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
    }
    delivered = asyncio.Event()
    status: list[int] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        if not delivered.is_set():
            delivered.set()
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # no disconnect while the answer is written
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    assert status, "no answer"
    assert 200 <= status[0] < 300, (status, b"".join(chunks)[:300])
    return b"".join(chunks)


async def _inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


async def _bare_hops(n: int) -> tuple[float, float]:
    """Wall and CPU µs of one no-op through the thread pool sync endpoints run in."""
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        await starlette.concurrency.run_in_threadpool(_noop)
    return (time.perf_counter() - t0) / n * 1e6, (time.process_time() - c0) / n * 1e6


def _noop() -> None:
    pass


def main() -> None:
    service = runpy.run_path(str(ROOT / "examples" / "service.py"))
    tmp = tempfile.TemporaryDirectory()
    now = [dt.datetime(2026, 4, 6, 2, tzinfo=dt.timezone.utc)]

    def clock() -> dt.datetime:
        # a millisecond a call: events stay in time order however fast the loop runs
        now[0] += dt.timedelta(milliseconds=1)
        return now[0]

    app = service["create_app"](f"sqlite:///{tmp.name}/cases.db", clock=clock)
    outbox, workflow = app.state.outbox, app.state.workflow
    store = outbox.store
    catalogs = outbox.messages
    officer = Actor("o-7", roles={"officer"}, office="bp3mi-ntb")
    cases = 40 if quick() else 200
    # Each side (the direct calls, the service, the service without the thread hop) has
    # its own cases, opened alike: every fire appends an event and a load replays them
    # all, so sides sharing cases would each find one more event than the side before.
    sides = ("direct", "served", "inline")
    ids = {side: [f"PGD-{side}-{i}" for i in range(cases)] for side in sides}
    loop = asyncio.new_event_loop()
    for case_id in (c for side in sides for c in ids[side]):
        loop.run_until_complete(
            asgi(
                app,
                "POST",
                "/complaints",
                AGENT,
                json.dumps(
                    {
                        "case_id": case_id,
                        "office": "bp3mi-ntb",
                        "category": "unpaid_wages",
                        "channel": "call_center",
                        "complainant_name": "Siti Aminah",
                    }
                ).encode(),
            )
        )
    tz = workflow.calendar_of("bp3mi-ntb").tz

    def view(case: Any, locale: str) -> dict[str, Any]:
        return {
            **CaseSummary.of(case).to_dict(tz=tz),
            "state_label": workflow.state(case.state).label(locale),
            "office_name": workflow.offices[case.office].name(locale),
            "allowed": list(workflow.allowed_events(case, by=officer)),
        }

    def status_direct(case_id: str) -> None:
        locale = catalogs.negotiate("id", default="id")
        case = store.get(case_id)
        workflow.check_read(case, by=officer)
        sla = [s.to_dict() for s in workflow.status(case, at=clock())]
        assert {**view(case, locale), "sla": sla}

    def fire_direct(case_id: str) -> None:
        locale = catalogs.negotiate("id", default="id")
        before = [0]

        def change(case: Any) -> Any:
            before[0] = case.version
            return workflow.fire(case, "escalate", at=clock(), by=officer, note="catatan")

        new = outbox.update(case_id, change)
        rendered = [
            {**n.to_dict(tz=tz), "text": n.render(catalogs, locale, tz=tz)}
            for event in new.events[before[0] :]
            for n in notices(workflow, new, event)
        ]
        assert {**view(new, locale), "notices": rendered}

    status_body = b""
    fire_body = json.dumps({"trigger": "escalate", "note": "catatan"}).encode()

    def timed_direct(fn: Callable[[str], None]) -> tuple[float, float]:
        t0, c0 = time.perf_counter(), time.process_time()
        for case_id in ids["direct"]:
            fn(case_id)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        return wall / cases * 1e6, cpu / cases * 1e6

    def timed_service(
        method: str, suffix: str, body: bytes, *, inline: bool = False
    ) -> tuple[float, float]:
        # inline: the sync endpoint runs on the event loop's thread instead of hopping to
        # the thread pool (what an async endpoint would do); separates FastAPI's own cost
        # from the hop's
        hop = fastapi.routing.run_in_threadpool
        if inline:
            fastapi.routing.run_in_threadpool = _inline  # type: ignore[assignment]
        try:
            side = ids["inline" if inline else "served"]
            return loop.run_until_complete(_service_run(method, suffix, body, side))
        finally:
            fastapi.routing.run_in_threadpool = hop

    async def _service_run(
        method: str, suffix: str, body: bytes, side: list[str]
    ) -> tuple[float, float]:
        t0, c0 = time.perf_counter(), time.process_time()
        for case_id in side:
            await asgi(app, method, f"/complaints/{case_id}{suffix}", OFFICER, body)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        return wall / cases * 1e6, cpu / cases * 1e6

    rounds = 3 if quick() else 7
    kinds = ("status", "status served", "status inline", "fire", "fire served", "fire inline")
    got: dict[str, list[tuple[float, float]]] = {k: [] for k in kinds}
    runs: dict[str, Callable[[], tuple[float, float]]] = {
        "status": lambda: timed_direct(status_direct),
        "status served": lambda: timed_service("GET", "", status_body),
        "status inline": lambda: timed_service("GET", "", status_body, inline=True),
        "fire": lambda: timed_direct(fire_direct),
        "fire served": lambda: timed_service("POST", "/events", fire_body),
        "fire inline": lambda: timed_service("POST", "/events", fire_body, inline=True),
    }
    for run in runs.values():  # warm every path (one fire on each side's cases)
        run()
    for i in range(rounds):
        # interleaved, each round in another order: a disturbance or a drift hits every
        # side alike, and no side always runs right after another
        for request in ("status", "fire"):
            order = [request, f"{request} served", f"{request} inline"]
            for kind in order[i % 3 :] + order[: i % 3]:
                got[kind].append(runs[kind]())
    bare_hop = loop.run_until_complete(_bare_hops(2000))
    loop.close()
    rows = []
    for request, key in (
        ("GET /complaints/{id} (status)", "status"),
        ("POST /complaints/{id}/events (fire)", "fire"),
    ):
        for measure, index in (("wall", 0), ("CPU", 1)):
            direct = statistics.median(r[index] for r in got[key])
            row = [request, measure, f"{direct:.0f}"]
            for variant in ("served", "inline"):
                # the median of each round's difference: pairs taken in the same round
                pairs = zip(got[f"{key} {variant}"], got[key], strict=True)
                added = statistics.median(s[index] - d[index] for s, d in pairs)
                row += [f"{added:.0f}", "ok" if added < 1000 else "OVER"]
            rows.append(row)
    print(
        table(
            f"Service request path over its library calls ({cases} cases a side on SQLite, "
            f"median of {rounds} paired rounds; budget: adds < 1000 µs; {load_average()})",
            [
                "request",
                "time",
                "library calls µs",
                "service adds µs",
                "budget",
                "without the thread hop µs",
                "budget",
            ],
            rows,
        )
    )
    print(
        "wall: elapsed per request; CPU: this process's CPU time (all threads). The service "
        "runs its sync endpoints in FastAPI's thread pool, as deployed; 'without the thread "
        "hop' runs them on the event loop's thread, which leaves FastAPI's own cost (routing, "
        "dependencies, JSON)."
    )
    print(
        f"The machine's own thread hop (a no-op through the same thread pool, no FastAPI): "
        f"{bare_hop[0]:.0f} µs wall, {bare_hop[1]:.0f} µs CPU per call."
    )
    store.engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
