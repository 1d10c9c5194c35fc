"""The reference service's request path beside the library calls it makes.

Run: ``python benchmarks/bench_service.py [--quick]`` (needs the ``service`` extra).

The service is ``examples/service.py`` on a SQLite file, called as an ASGI application
in this process (no HTTP client, no socket: what is measured is the service's own path,
from the ASGI call to the last byte of the JSON answer: routing, the body model, the
actor from the headers, the language, the one hop of the database work to the thread
pool and back, the database wrapper, the JSON encoding). The anchor, measured in the
same run and interleaved with it, is the same library calls made directly: for
``GET /complaints/{id}`` the load, the read check, the deadlines in the office's zone
and the summary; for ``POST /complaints/{id}/events`` the load-apply-save of one
escalation (``outbox.update``, which writes the case and its notices in one
transaction), the summary and the rendered notices. Budget: the service adds < 1 ms per
request over its anchor.

Fair sides: the anchor, the service and the service without the thread hop each work on
their own cases, opened alike (a fire appends an event, and loading a case replays all
of them: shared cases gave each later side a longer history). A round takes every case
once on each side, request by request in rotating order, so that what another process
does to this machine lands on the three sides alike. What the service adds is the median
over all requests of (its request - the anchor's request taken beside it): a typical
request. Beside it the mean (the median over the rounds of the difference of the means)
also counts the rare request that another process holds up for milliseconds - on a
machine with more runnable processes than cores, a thread hop is where that happens
(two threads wait for a core in turn instead of one).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import runpy
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import anyio.to_thread
from _util import load_average, quick, table

from migrantcare import Actor, CaseSummary, notices

ROOT = Path(__file__).parent.parent
OFFICER = {"x-actor-id": "o-7", "x-actor-roles": "officer", "x-actor-office": "bp3mi-ntb"}
#: Per side, each request's (wall µs, CPU µs), in case order.
Sample = dict[str, list[tuple[float, float]]]
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


async def _inline(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
    return func(*args)


async def _bare_hops(n: int) -> tuple[float, float]:
    """Wall and CPU µs of one no-op through the thread pool the service's work runs in."""
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        await anyio.to_thread.run_sync(_noop)
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

    fire_body = json.dumps({"trigger": "escalate", "note": "catatan"}).encode()
    requests: dict[str, tuple[str, str, bytes, Callable[[str], None]]] = {
        "status": ("GET", "", b"", status_direct),
        "fire": ("POST", "/events", fire_body, fire_direct),
    }

    async def one(request: str, side: str, case_id: str) -> tuple[float, float]:
        """Wall and CPU seconds of one request on one side."""
        method, suffix, body, direct = requests[request]
        if side == "direct":
            t0, c0 = time.perf_counter(), time.process_time()
            direct(case_id)
            return time.perf_counter() - t0, time.process_time() - c0
        # inline: the work runs on the event loop's thread instead of hopping to the
        # thread pool; separates FastAPI's and the service's own cost from the hop's
        hop = anyio.to_thread.run_sync
        if side == "inline":
            anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
        try:
            path = f"/complaints/{case_id}{suffix}"
            t0, c0 = time.perf_counter(), time.process_time()
            await asgi(app, method, path, OFFICER, body)
            return time.perf_counter() - t0, time.process_time() - c0
        finally:
            anyio.to_thread.run_sync = hop

    async def one_round(request: str, turn: int) -> Sample:
        """Every case once on every side, request by request, in rotating order (µs).

        Interleaved request by request: a disturbance (another process, a slow disk
        flush) lands on the three sides alike instead of on whichever side's batch it
        fell in, no side always runs right after another, and request ``i`` of each side
        is taken at the same moment as the others' (a pair).
        """
        spent: Sample = {side: [] for side in sides}
        for i in range(cases):
            shift = (turn + i) % len(sides)
            for side in sides[shift:] + sides[:shift]:
                wall, cpu = await one(request, side, ids[side][i])
                spent[side].append((wall * 1e6, cpu * 1e6))
        return spent

    rounds = 3 if quick() else 7
    got: dict[str, list[Sample]] = {"status": [], "fire": []}
    for request in got:  # warm every path (one fire on each side's cases)
        loop.run_until_complete(one_round(request, 0))
    for turn in range(rounds):
        for request, samples in got.items():
            samples.append(loop.run_until_complete(one_round(request, turn)))
    bare_hop = loop.run_until_complete(_bare_hops(2000))
    loop.close()

    def typical(samples: list[Sample], side: str, index: int) -> float:
        """The median request's difference to the anchor's request taken beside it."""
        return statistics.median(
            s[index] - d[index]
            for sample in samples
            for s, d in zip(sample[side], sample["direct"], strict=True)
        )

    def mean(samples: list[Sample], side: str, index: int) -> float:
        """The median over the rounds of (the side's mean - the anchor's mean)."""
        return statistics.median(
            statistics.fmean(s[index] for s in sample[side])
            - statistics.fmean(d[index] for d in sample["direct"])
            for sample in samples
        )

    rows = []
    for request, key in (
        ("GET /complaints/{id} (status)", "status"),
        ("POST /complaints/{id}/events (fire)", "fire"),
    ):
        for measure, index in (("wall", 0), ("CPU", 1)):
            samples = got[key]
            direct = statistics.median(d[index] for sample in samples for d in sample["direct"])
            added, hopless = typical(samples, "served", index), typical(samples, "inline", index)
            rows.append(
                [
                    request,
                    measure,
                    f"{direct:.0f}",
                    f"{added:.0f}",
                    "ok" if added < 1000 else "OVER",
                    f"{mean(samples, 'served', index):.0f}",
                    f"{hopless:.0f}",
                    "ok" if hopless < 1000 else "OVER",
                ]
            )
    print(
        table(
            f"Service request path over its library calls ({cases} cases a side on SQLite, "
            f"{rounds} rounds interleaved request by request; budget: adds < 1000 µs; "
            f"{load_average()})",
            [
                "request",
                "time",
                "library calls µs",
                "service adds µs",
                "budget",
                "mean adds µs",
                "without the thread hop µs",
                "budget",
            ],
            rows,
        )
    )
    print(
        "library calls: the median request of the anchor; adds: the median over all requests "
        "of (the service's request - the anchor's request taken beside it); mean adds: the "
        "median over the rounds of (the service's mean - the anchor's mean), which also "
        "counts the rare requests another process stalls for milliseconds (on an idle "
        "machine the two agree)."
    )
    print(
        "wall: elapsed per request; CPU: this process's CPU time (all threads). The service "
        "hands each request's database work to the thread pool in one hop, as deployed; "
        "'without the thread hop' runs that work on the event loop's thread, which leaves "
        "FastAPI's and the service's own cost (routing, body model, actor, language, JSON)."
    )
    print(
        f"The machine's own thread hop (a no-op through the same thread pool, no FastAPI): "
        f"{bare_hop[0]:.0f} µs wall, {bare_hop[1]:.0f} µs CPU per call."
    )
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print(
            "The load average is above the core count: the wall rows include waiting for a "
            "core (a thread hop wakes two threads, each of which waits its turn); the CPU "
            "rows are the steadier measure of the service's own work."
        )
    store.engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
