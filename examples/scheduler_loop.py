"""Wire ``Workflow.next_due_at`` to a scheduler: wake up exactly when a case needs attention.

Run: ``python examples/scheduler_loop.py``

The host keeps a priority queue of (wake-up instant, case id). When the clock reaches
the head of the queue, it calls ``advance``, sends the notices that produced, stores
the case, and queues its next wake-up. Here the clock is simulated so the example runs
in a moment; a real host would sleep until the instant (or let a task queue do it).
"""

from __future__ import annotations

import heapq
from pathlib import Path

import pendulum

from migrantcare import (
    SYSTEM,
    Actor,
    Case,
    Messages,
    Offices,
    Person,
    complaint_workflow,
    notices,
)


def main() -> None:
    offices = Offices.from_file(Path(__file__).with_name("offices.toml"))  # fictional
    workflow = complaint_workflow().bind(offices)
    kupang = offices.calendar("bp3mi-ntt")
    agent = Actor("callcenter", roles={"call_centre"})
    officer = Actor("officer-7", roles={"officer"}, office="bp3mi-ntt")
    messages = Messages.default()
    cases: dict[str, Case] = {}
    queue: list[tuple[pendulum.DateTime, str]] = []

    def store(case: Case) -> None:
        cases[case.id] = case
        due = workflow.next_due_at(case)
        if due is not None:
            heapq.heappush(queue, (pendulum.instance(due), case.id))

    opened = [
        ("PGD-101", pendulum.datetime(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong"), "normal"),
        ("PGD-102", pendulum.datetime(2026, 3, 25, 9, 40, tz="Asia/Taipei"), "urgent"),
        ("PGD-103", pendulum.datetime(2026, 3, 26, 3, 5, tz="Europe/Berlin"), "normal"),
    ]
    for case_id, at, priority in opened:
        store(
            workflow.open(
                case_id,
                at=at,
                by=agent,
                office="bp3mi-ntt",
                category="unpaid_wages",
                channel="whatsapp",
                priority=priority,
                complainant=Person("Pekerja"),
            )
        )

    horizon = pendulum.datetime(2026, 4, 1, tz="Asia/Makassar")
    wakeups = 0
    while queue and queue[0][0] <= horizon:
        now, case_id = heapq.heappop(queue)
        case = cases[case_id]
        if workflow.next_due_at(case) != now:
            continue  # a stale entry: the case changed since it was queued
        wakeups += 1
        advanced = workflow.advance(case, at=now, by=SYSTEM)
        for event in advanced.events[case.version :]:
            for notice in notices(workflow, advanced, event, office_name="BP3MI NTT"):
                text = notice.render(messages, "id", tz=kupang.tz)
                print(f"{kupang.local(now):%a %d %b %H:%M} {case_id} -> {notice.recipient}: {text}")
        store(advanced)
        if any(e.name == "escalate" for e in advanced.events[case.version :]):
            # the escalation gets an officer moving; the queued entry for the old case
            # value becomes stale and is skipped when it comes up
            picked_up = now.add(minutes=30)
            action = (
                "verify" if "verify" in workflow.allowed_events(advanced) else "start_verification"
            )
            moved = workflow.fire(advanced, action, at=picked_up, by=officer)
            print(f"{kupang.local(picked_up):%a %d %b %H:%M} {case_id}: officer-7 {action}")
            store(moved)
    print(f"\n{wakeups} wake-ups; no polling, no missed deadline")


if __name__ == "__main__":
    main()
