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
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pendulum
from _util import CPU_NOTE, table
from transitions import Machine

from migrantcare import (
    Actor,
    Office,
    Offices,
    State,
    Transition,
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


def mc_case(i: int) -> object:
    case = wf.open(
        f"C-{i}", at=T0, by=CC, office="bp3mi-ntt", category="unpaid_wages", channel="sms"
    )
    for trigger, at in STEPS:
        case = wf.fire(case, trigger, at=at, by=OFFICER)
    return case


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
    case = REAL.open(
        f"C-{i}", at=T_REAL, by=CC, office="bp3mi-ntt", category="unpaid_wages", channel="sms"
    )
    for trigger, at in REAL_STEPS:
        case = REAL.fire(case, trigger, at=at, by=OFFICER)
    return case


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


def main() -> None:
    rows = []
    runs = [
        ("migrantcare open+fire (with history)", mc_case, 10_000, 100_000),
        ("migrantcare open+fire, complaint SLA plan on (bound)", mc_real_case, 3_000, 20_000),
        ("transitions: Machine per object", per_object_machine, 3_000, 20_000),
        ("transitions: shared Machine + add_model", shared_add_model, 3_000, 20_000),
        ("transitions: Event.trigger on a carrier", carrier_trigger, 10_000, 100_000),
    ]
    speeds = {}
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
            "Workflow engine (5 events per case; budget: plain >= 150,000 events/s, "
            "SLA plan on >= 60,000 events/s, 100,000 cases x 5 events < 200 MB)\n"
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
