"""Workflow engine: migrantcare beside transitions used the two usual ways.

Run: ``python benchmarks/bench_workflow.py``

The plain rows run the same 8 states and 12 transitions (a subset of the complaint
workflow) on one core, in the same run:

* migrantcare: ``Workflow.open`` + ``Workflow.fire`` (hash-chained history included).
* migrantcare, the real path: the standard complaint workflow with its SLA plan on,
  bound to an office registry (clocks started, stopped and their deadlines computed on
  the office's calendar at every event), the same 4 events after the opening.
* transitions, one ``Machine`` per case object (the anchor most tutorials show).
* transitions, one shared ``Machine`` with ``add_model`` per case.
* transitions ``Event.trigger`` on a throwaway carrier (the pattern migrantcare's
  machine is compiled for; no history, no case record).

The headline table runs the realistic workload (``benchmarks/workload.py``): every host
action that made its cases (each fire, transfer and ``advance``, with the standard
workflows bound to offices in WIB, WITA and WIT, the complaint SLA plan on) run again
from each case's opening, CPU time, best of several passes; the result is checked equal
to the generated case. Goal: >= 60,000 events/s (CPU) with the complaint SLA plan on the
workload's mix. Anchor in the same run: transitions' ``Event.trigger`` on a carrier for
the same triggers (state changes only: no clocks, no history). ``--quick`` runs fewer
cases and batches.
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import pendulum
from _util import CPU_NOTE, load_average, quick, table, workload_cases
from transitions import Machine

from migrantcare import (
    Actor,
    Office,
    Offices,
    State,
    Transition,
    Workflow,
    WorkflowSpec,
    complaint_workflow,
)

STATES = [
    "registered",
    "verification",
    "awaiting_documents",
    "in_handling",
    "clarification_1",
    "clarification_2",
    "mediation",
    "resolved",
]
TRANSITIONS = [
    ("start_verification", "registered", "verification"),
    ("request_documents", "verification", "awaiting_documents"),
    ("documents_received", "awaiting_documents", "verification"),
    ("verify", "verification", "in_handling"),
    ("invite_clarification", "in_handling", "clarification_1"),
    ("second_clarification", "clarification_1", "clarification_2"),
    ("mediate", "clarification_1", "mediation"),
    ("mediate", "clarification_2", "mediation"),
    ("resolve", "in_handling", "resolved"),
    ("resolve", "clarification_1", "resolved"),
    ("resolve", "mediation", "resolved"),
    ("reopen", "resolved", "in_handling"),
]
PATH = ["start_verification", "verify", "invite_clarification", "second_clarification"]

spec = WorkflowSpec(
    name="bench",
    version=1,
    initial="registered",
    states=tuple(State(s, s, s, terminal=s == "resolved") for s in STATES),
    transitions=tuple(Transition(t, (src,), dst) for t, src, dst in TRANSITIONS),
)
wf = spec.build()
T0 = pendulum.datetime(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong")
MACHINE_TRANSITIONS = [{"trigger": t, "source": s, "dest": d} for t, s, d in TRANSITIONS]


# Hosts pass the `now` they already hold; building timestamps is not the engine's cost.
TIMES = [T0.add(minutes=k) for k in range(len(PATH))]
STEPS = list(zip(PATH, TIMES, strict=True))


CC = Actor("cc", roles={"call_centre"})
OFFICER = Actor("officer", roles={"officer"}, office="bp3mi-ntt")


def walk(flow: Workflow, start: pendulum.DateTime, steps: list[tuple[str, Any]], i: int) -> object:
    """Open case ``C-{i}`` at ``start`` and fire each ``(trigger, at)`` of ``steps``."""
    case = flow.open(
        f"C-{i}", at=start, by=CC, office="bp3mi-ntt", category="unpaid_wages", channel="sms"
    )
    for trigger, at in steps:
        case = flow.fire(case, trigger, at=at, by=OFFICER)
    return case


def mc_case(i: int) -> object:
    return walk(wf, T0, STEPS, i)


def _directory() -> Offices:
    from migrantcare import WorkingCalendar  # noqa: PLC0415 - only this row needs it

    cal = WorkingCalendar.for_province("Nusa Tenggara Timur")
    ntt = Office(
        "bp3mi-ntt", "BP3MI NTT", "BP3MI NTT", "Nusa Tenggara Timur", cal, "Kepala", "Head"
    )
    return Offices([ntt])


REAL = complaint_workflow().bind(_directory())
# office hours in Kupang, so that every clock runs (registered 09:15 WITA)
T_REAL = pendulum.datetime(2026, 3, 19, 9, 15, tz="Asia/Makassar")
REAL_STEPS = [(t, T_REAL.add(minutes=k + 1)) for k, t in enumerate(PATH)]


def mc_real_case(i: int) -> object:
    return walk(REAL, T_REAL, REAL_STEPS, i)


class Model:
    pass


def per_object_machine(i: int) -> object:
    model = Model()
    Machine(model=model, states=STATES, transitions=MACHINE_TRANSITIONS, initial="registered")
    for trigger in PATH:
        model.trigger(trigger)  # type: ignore[attr-defined]
    return model


shared = Machine(model=None, states=STATES, transitions=MACHINE_TRANSITIONS, initial="registered")


def shared_add_model(i: int) -> object:
    model = Model()
    shared.add_model(model)
    for trigger in PATH:
        model.trigger(trigger)  # type: ignore[attr-defined]
    return model


carrier_machine = Machine(
    model=None, states=STATES, transitions=MACHINE_TRANSITIONS, initial="registered"
)


class Carrier:
    __slots__ = ("state",)

    def __init__(self) -> None:
        self.state = "registered"


def carrier_trigger(i: int) -> object:
    carrier = Carrier()
    for trigger in PATH:
        carrier_machine.events[trigger].trigger(carrier)
    return carrier


def throughput(fn, n: int, batches: int = 5) -> float:  # type: ignore[no-untyped-def]
    """Events per CPU second (1 open + 4 fires = 5 events per case), best of ``batches``.

    CPU time of this process (``time.process_time``), not wall time, so that other
    processes on a shared machine do not count; the best batch is the least disturbed.
    """
    best = 0.0
    for _ in range(batches):
        t0 = time.process_time()
        for i in range(n):
            fn(i)
        elapsed = time.process_time() - t0
        if elapsed > 0:
            best = max(best, n * 5 / elapsed)
    return best


def memory(fn, n: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """MB retained by n live cases (5 events each), and bytes per case."""
    gc.collect()
    tracemalloc.start()
    keep = [fn(i) for i in range(n)]
    gc.collect()
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del keep
    return current / 2**20, current / n


def workload_table() -> None:
    """Fire the realistic workload's actions again, beside transitions on the same triggers."""
    from workload import actions, run_actions  # noqa: PLC0415 - beside this file

    work = workload_cases(2_000, 300)
    jobs = [(work.workflow_of(c), work.versions[c.id][0], actions(work, c), c) for c in work.cases]
    for wf, start, script, final in jobs:  # the re-run makes exactly the generated cases
        assert run_actions(wf, start, script) == final, final.id
    machines = {
        w.name: Machine(
            model=None,
            states=[s.id for s in w.states],
            transitions=[
                {"trigger": t, "source": a, "dest": b}
                for t, a, b in sorted(
                    {
                        (e.name, e.source, e.dest)
                        for c in work.cases
                        if c.workflow == w.name
                        for e in c.events
                        if e.kind == "transition" and e.dest != e.source
                    }
                )
            ],
            initial=w.spec.initial,
        )
        for w in work.workflows
    }
    carriers = [
        (
            machines[c.workflow],
            [e.name for e in c.events if e.kind == "transition" and e.dest != e.source],
        )
        for c in work.cases
    ]

    def anchor() -> None:
        for machine, triggers in carriers:
            carrier = Carrier()
            carrier.state = machine.initial
            for trigger in triggers:
                machine.events[trigger].trigger(carrier)

    def by_kind(kind: str | None) -> tuple[int, float, float]:
        chosen = [j for j in jobs if kind is None or j[0].name == kind]
        n = sum(final.version - start.version for _, start, _, final in chosen)
        best_cpu = best_wall = float("inf")
        for _ in range(2 if quick() else 5):
            w0, c0 = time.perf_counter(), time.process_time()
            for wf, start, script, _ in chosen:
                run_actions(wf, start, script)
            best_cpu = min(best_cpu, time.process_time() - c0)
            best_wall = min(best_wall, time.perf_counter() - w0)
        return n, best_cpu, best_wall

    rows = []
    for label, kind in (
        ("all cases (complaint SLA plan on; repatriation, outreach)", None),
        ("complaints only (SLA plan on)", "complaint"),
        ("repatriation (no SLA plan)", "repatriation"),
        ("outreach (no SLA plan)", "outreach"),
    ):
        n, cpu, wall = by_kind(kind)
        goal = ">=60,000/s" if kind in (None, "complaint") else ""
        rows.append(
            [label, f"{n:,}", f"{n / cpu:,.0f}", f"{n / wall:,.0f}", f"{cpu / n * 1e6:.1f}", goal]
        )
    n_anchor = sum(len(t) for _, t in carriers)
    best = float("inf")
    for _ in range(5):
        c0 = time.process_time()
        anchor()
        best = min(best, time.process_time() - c0)
    rows.append(["anchor: transitions Event.trigger, same state changes", f"{n_anchor:,}",
                 f"{n_anchor / best:,.0f}", "", f"{best / n_anchor * 1e6:.1f}", ""])  # fmt: skip
    print(
        table(
            "Workflow engine on the realistic workload: every host action run again (fire, "
            f"transfer, advance), best of several passes\n({CPU_NOTE}; {load_average()})",
            ["what", "events", "events/s CPU", "events/s wall", "CPU µs/event", "goal"],
            rows,
        )
    )
    print()


def main() -> None:
    workload_table()
    rows = []
    runs = [
        ("migrantcare open+fire (with history)", mc_case, 10_000, 100_000),
        ("migrantcare open+fire, complaint SLA plan on (bound)", mc_real_case, 3_000, 20_000),
        ("transitions: Machine per object", per_object_machine, 3_000, 20_000),
        ("transitions: shared Machine + add_model", shared_add_model, 3_000, 20_000),
        ("transitions: Event.trigger on a carrier", carrier_trigger, 10_000, 100_000),
    ]
    speeds = {}
    if quick():
        runs = [(name, fn, n // 10, m // 20) for name, fn, n, m in runs]
    for name, fn, n_speed, n_mem in runs:
        eps = speeds[fn] = throughput(fn, n_speed)
        mb, per_case = memory(fn, n_mem)
        rows.append(
            [name, f"{eps:,.0f}", f"{1e6 / eps:.1f}", "", f"{mb:,.1f} MB", f"{per_case:,.0f} B"]
        )
        if fn is shared_add_model:
            # the shared machine keeps every model until remove_model: it leaked them all
            rows[-1].append(f"leaks: {len(shared.models):,} models held")
        else:
            rows[-1].append("")
    anchor = speeds[carrier_trigger]
    for row, (_, fn, _, _) in zip(rows, runs, strict=True):
        row[3] = f"{speeds[fn] / anchor:.2f}"
    plain, real = speeds[mc_case], speeds[mc_real_case]
    print(
        table(
            "Workflow engine, fixed 5-event path (5 events per case; budget: plain >= 150,000 "
            "events/s, SLA plan on >= 60,000 events/s, 100,000 cases x 5 events < 200 MB)\n"
            f"({CPU_NOTE}; 'x carrier' is the speed relative to transitions' Event.trigger "
            "on a carrier, measured in the same run)",
            ["engine", "events/s", "µs/event", "x carrier", "cases", "memory", "per case", "note"],
            [
                [r[0], r[1], r[2], r[3], f"{n_mem:,}", *r[4:]]
                for r, (*_, n_mem) in zip(rows, runs, strict=True)
            ],
        )
    )
    print(
        f"SLA plan on / plain: {real / plain:.2f} "
        f"({1e6 / real - 1e6 / plain:.1f} µs per event for the clocks, in this run)"
    )


if __name__ == "__main__":
    main()
