"""Which notices an event produces: declared notices beside the old hand-written dispatcher.

Run: ``python benchmarks/bench_notices.py``

``notices()`` looks up the notices a workflow declares on the event's point and resolves
their values (rendering excluded). The anchor, measured in the same run, is the
dispatcher migrantcare had before notices were declared on definitions: ``if`` chains
on the workflow's name and the trigger, kept below as it was (budget: <= 10 µs an event).
The last row re-renders the acknowledgement of an *old* event, which rebuilds the case
as it was (replay), for scale.

The first table runs on the realistic workload (``benchmarks/workload.py``): the notices
of every event of every case, asked on the case as it stood after the host action that
made the event (as a sender does), beside the hand-written dispatcher on the same
complaint and repatriation events (it knew no transfers nor outreach). ``--quick``: fewer
cases.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import pendulum
from _util import load_average, quick, table, timed, workload_cases

from migrantcare import (
    CLOSURE_REASONS,
    DOCUMENT_TYPES,
    Actor,
    Case,
    CaseEvent,
    MessageRef,
    Messages,
    Money,
    Person,
    Plural,
    Workflow,
    WorkingCalendar,
    complaint_workflow,
    notices,
    repatriation_workflow,
)

# --------------------------------------------------------------------------- anchor
# The hand-written dispatcher of migrantcare <= 0.3 (complaint and repatriation parts),
# trimmed of docstrings; it produced the same notices for these events.


def _due(case: Case, goal: str) -> _dt.datetime | None:
    for clock in reversed(case.clocks):
        if clock.goal == goal:
            return clock.due_at
    return None


def old_notices(workflow: Workflow, case: Case, event: CaseEvent, office_name: str) -> list[Any]:
    if event.seq >= len(case.events) or case.events[event.seq] != event:
        raise ValueError("event does not belong")
    base = {"case_number": case.id, "office": office_name or case.office}
    name = case.complainant.name if case.complainant is not None else None
    out: list[tuple[str, str, dict[str, Any]]] = []

    def add(key: str, recipient: str, **values: Any) -> None:
        out.append((key, recipient, {**base, **values}))

    data = event.data
    if event.kind == "sla":
        if event.name in ("warning", "breach"):
            goal = MessageRef(f"sla.goal.{data['goal']}")
            due = _dt.datetime.fromisoformat(data["due_at"])
            # the note on deadlines that rest on unsettled holiday data (added since)
            note: Any = ""
            for clock in reversed(case.clocks):
                if clock.goal == data["goal"] and clock.cycle == data["cycle"]:
                    note = MessageRef("sla.provisional") if clock.provisional else ""
                    break
            if event.name == "warning":
                add("sla.warning", "officer", goal=goal, percent=data["threshold_percent"],
                    due=due, provisional=note)  # fmt: skip
            else:
                add("sla.breach", "officer", goal=goal, due=due, provisional=note)
                add("sla.breach.head", "office_head", goal=goal, due=due, provisional=note)
        return out
    if case.workflow.startswith("complaint"):
        _complaint(workflow, case, event, data, name, add)
    elif case.workflow.startswith("repatriation"):
        _repatriation(workflow, case, event, data, name, add)
    return out


def _complaint(
    workflow: Workflow, case: Case, event: CaseEvent, data: Mapping[str, Any], name: Any, add: Any
) -> None:
    trigger = event.name
    if trigger == "escalate":
        add(
            "complaint.escalated",
            "crisis_center",
            category=workflow.spec.categories.term(case.category),
        )
        return
    if name is None:
        return
    if event.kind == "opened":
        add(
            "complaint.registered.ack",
            "complainant",
            name=name,
            received_at=event.at,
            verify_by=_due(case, "verification") or event.at,
            contact="0800-1000",
            # what the receipt source gives: the case, its opening's hash prefix, its day
            receipt=f"{case.id} {event.hash[:16]} {event.at.date().isoformat()}",
        )
    elif trigger == "request_documents":
        docs = [
            DOCUMENT_TYPES.term(d) if isinstance(d, str) and d in DOCUMENT_TYPES else d
            for d in data.get("documents") or ()
        ] or [MessageRef("doc.supporting")]
        add(
            "complaint.documents.request",
            "complainant",
            name=name,
            documents=docs,
            answer_by=_due(case, "documents") or event.at,
        )
    elif trigger == "request_clarification":
        days = 15
        plan = workflow.spec.sla
        if plan is not None:
            for p in plan.select(case):
                if p.name == "clarity" and p.target.unit == "working_days":
                    days = p.target.days
        add(
            "complaint.clarification.request",
            "complainant",
            name=name,
            period=Plural("unit.working_days", days),
            answer_by=_due(case, "clarity") or event.at,
        )
    elif trigger == "resolve":
        add("complaint.resolved", "complainant", name=name)
        if isinstance(data.get("amount_idr"), int | float):
            add(
                "complaint.compensation.paid",
                "complainant",
                name=name,
                amount=Money(data["amount_idr"]),
                paid_on=event.at.date(),
            )
    elif trigger == "close":
        add(
            "complaint.closed",
            "complainant",
            name=name,
            reason=CLOSURE_REASONS.term(data["reason"]),
        )
    elif trigger == "reopen":
        add("complaint.reopened", "complainant")
    elif event.kind in ("transition", "migrated") and event.dest != event.source:
        add("complaint.status.changed", "complainant", status=workflow.state(event.dest))


def _repatriation(
    workflow: Workflow, case: Case, event: CaseEvent, data: Mapping[str, Any], name: Any, add: Any
) -> None:
    if name is None or event.kind != "transition" or event.dest == event.source:
        return
    if event.name == "arrive":
        worker = case.worker.name if case.worker is not None else name
        arrival = data.get("arrival_at")
        when = _dt.datetime.fromisoformat(arrival) if isinstance(arrival, str) else event.at
        key = (
            "repatriation.remains.arrival"
            if case.category == "deceased"
            else "repatriation.arrival"
        )
        add(key, "family", name=name, worker=worker, place=data.get("place", "-"), arrival=when)
    else:
        add("repatriation.status.changed", "family", status=workflow.state(event.dest))


# --------------------------------------------------------------------------- timing


def per_call_us(fn: Callable[[], object], *, n: int = 20_000, repeats: int = 7) -> float:
    if quick():
        n, repeats = max(n // 5, 1), 3
    """Median CPU time per call in µs (process time: the machine is shared, and wall time
    would count the time other processes hold the core)."""
    runs = []
    for _ in range(repeats):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        runs.append((time.process_time() - t0) / n)
    return statistics.median(runs) * 1e6


# --------------------------------------------------------------------------- cases

CAL = WorkingCalendar.for_province("Nusa Tenggara Timur")
T0 = pendulum.datetime(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong")
M = Messages.default()


def complaint_cases() -> dict[str, tuple[Workflow, Case]]:
    wf = complaint_workflow()
    case = wf.open(
        "PGD-1",
        at=T0,
        by=Actor("cc", roles={"call_centre"}),
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="whatsapp",
        complainant=Person("Ibu Siti Aminah"),
        calendar=CAL,
    )
    out = {"opened (acknowledgement)": (wf, case)}
    t = pendulum.datetime(2026, 3, 25, 9, tz="Asia/Makassar")
    case = wf.fire(
        case,
        "start_verification",
        at=t,
        by=Actor("o", roles={"officer"}, office="bp3mi-ntt"),
        calendar=CAL,
    )
    out["state change (fallback)"] = (wf, case)
    case = wf.fire(
        case,
        "request_documents",
        at=t,
        by=Actor("o", roles={"officer"}, office="bp3mi-ntt"),
        calendar=CAL,
        data={"documents": ["paspor", "visa"]},
    )
    out["request_documents"] = (wf, case)
    case = wf.advance(case, at=t.add(days=40), calendar=CAL)
    out["SLA breach (2 notices)"] = (wf, case)
    case = wf.fire(
        case,
        "close",
        at=t.add(days=41),
        by=Actor("o", roles={"officer"}, office="bp3mi-ntt"),
        calendar=CAL,
        data={"reason": "documents_incomplete"},
    )
    out["close"] = (wf, case)
    rwf = repatriation_workflow()
    r = rwf.open(
        "PLG-1",
        at=T0,
        by=Actor("k", roles={"call_centre"}),
        office="bp3mi-ntt",
        category="deceased",
        channel="embassy",
        complainant=Person("Bapak Yohanes", kind="family"),
        worker=Person("Maria"),
    )
    for trig in ("start_verification", "confirm_deceased"):
        r = rwf.fire(r, trig, at=T0, by=Actor("o", roles={"officer"}, office="bp3mi-ntt"))
    r = rwf.fire(
        r,
        "arrive",
        at=T0,
        by=Actor("o", roles={"officer"}, office="bp3mi-ntt"),
        data={"place": "Kupang"},
    )
    out["repatriation arrive"] = (rwf, r)
    return out


def workload_table() -> None:
    work = workload_cases(2_000, 500)
    pairs = []
    for case in work.cases:
        wf = work.workflow_of(case)
        versions = work.versions[case.id]
        pairs.append((wf, versions[0], versions[0].events[0]))
        for before, after in itertools.pairwise(versions):
            pairs += [(wf, after, e) for e in after.events[before.version :]]
    old_pairs = [
        p
        for p in pairs
        if p[0].name in ("complaint", "repatriation") and p[2].kind != "transferred"
    ]
    failures: dict[str, int] = {}
    produced = 0

    def ours() -> None:
        nonlocal produced
        produced = 0
        for wf, case, event in pairs:
            try:
                produced += len(notices(wf, case, event, contact="0800-1000"))
            except Exception as exc:  # counted and reported
                failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1

    def ours_subset() -> None:
        for wf, case, event in old_pairs:
            notices(wf, case, event, contact="0800-1000")

    def anchor() -> None:
        for wf, case, event in old_pairs:
            old_notices(wf, case, event, "BP3MI")

    ours()
    differ = sum(
        [(n.key, n.recipient) for n in notices(wf, c, e, contact="0800-1000")]
        != [(k, r) for k, r, _ in old_notices(wf, c, e, "BP3MI")]
        for wf, c, e in old_pairs
    )
    rounds = 2 if quick() else 5
    best: dict[str, tuple[float, float]] = {}
    for _ in range(rounds):  # alternating, the best pass of each
        for key, fn in (("all", ours), ("subset", ours_subset), ("old", anchor)):
            wall, cpu = timed(fn)
            w0, c0 = best.get(key, (wall, cpu))
            best[key] = (min(w0, wall), min(c0, cpu))
    n, m = len(pairs), len(old_pairs)
    rows = [
        ["notices(): every event of the workload", f"{n:,}", f"{best['all'][1] / n * 1e6:.2f}",
         f"{best['all'][0] / n * 1e6:.2f}", ""],
        ["notices(): complaint+repatriation events", f"{m:,}",
         f"{best['subset'][1] / m * 1e6:.2f}", f"{best['subset'][0] / m * 1e6:.2f}",
         f"{best['old'][1] / best['subset'][1]:.2f}x"],
        ["anchor: hand-written dispatcher, same events", f"{m:,}",
         f"{best['old'][1] / m * 1e6:.2f}", f"{best['old'][0] / m * 1e6:.2f}", "1.00x"],
    ]  # fmt: skip
    print(
        table(
            f"notices() on the realistic workload, per event, rendering excluded (best of "
            f"{rounds} alternating passes; {produced:,} notices; {load_average()}; budget <= 10 "
            "µs)",
            ["what", "events", "CPU µs", "wall µs", "speed vs anchor (CPU)"],
            rows,
        )
    )
    print(
        f"failures: {failures or 'none'}; events whose notices differ from the hand-written "
        f"dispatcher's (keys, recipients): {differ} of {m}"
    )
    print()


def main() -> None:
    workload_table()
    rows = []
    for label, (wf, case) in complaint_cases().items():
        event = case.events[-1]
        ours = notices(wf, case, event, office_name="BP3MI NTT", contact="0800-1000")
        old = old_notices(wf, case, event, "BP3MI NTT")
        assert [(n.key, n.recipient) for n in ours] == [(k, r) for k, r, _ in old], label
        for n, (_, _, values) in zip(ours, old, strict=True):  # same text, measured fairly
            assert n.render(M, "id") == M.render(n.key, "id", **values), label
        new_us = per_call_us(
            lambda wf=wf, case=case, event=event: notices(
                wf, case, event, office_name="BP3MI NTT", contact="0800-1000"
            )
        )
        old_us = per_call_us(
            lambda wf=wf, case=case, event=event: old_notices(wf, case, event, "BP3MI NTT")
        )
        verdict = "ok" if new_us <= 10 else "OVER"
        rows.append([label, f"{new_us:.2f}", f"{old_us:.2f}", f"{old_us / new_us:.2f}x", verdict])
    wf, case = complaint_cases()["close"]
    first = case.events[0]
    replay_us = per_call_us(lambda: notices(wf, case, first, calendar=CAL), n=200)
    rows.append(
        [f"old event, {len(case.events)}-event case (replay)", f"{replay_us:.1f}", "-", "-", "-"]
    )
    print(
        table(
            "notices() for one event, rendering excluded, CPU µs (budget: <= 10 µs)",
            ["event", "declared µs", "hand-written µs", "ratio", "budget"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
