"""Who may act: the cost of the permission check beside the plain path of an event.

Run: ``python benchmarks/bench_permissions.py``

The anchor, measured in the same run, is one ``Workflow.fire`` on the complaint workflow
without SLA clocks (hash-chained history included) with its permissions removed
(``spec.with_permissions(None)``): the plain path. Beside it, the same fire on the
standard definition, whose difference is what the permission check adds per event, and
the check alone: a compiled rule per (state, trigger), a set-disjointness test, the
office scope (own office, a post under it, or a cross-office role) and the choice of the
role recorded on the event. Budget: <= 1 µs per event.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pendulum
from _util import per_call_us, table

from migrantcare import Actor, complaint_permissions, complaint_spec, complaint_workflow
from migrantcare.offices._permissions import AccessControl

WF = complaint_workflow(sla=False)
PLAIN = complaint_spec(sla=False).with_permissions(None).build()
STEPS = [(s.id, t) for s in WF.states for t in WF.allowed_events(s.id)]
PARENTS = {"bp3mi-ntt": None, "p4mi-kupang": "bp3mi-ntt", "bp3mi-jatim": None}
ACCESS = AccessControl(complaint_permissions(), STEPS, PARENTS)
VERIFY = ACCESS.for_step("verification", "verify")
REOPEN = ACCESS.for_step("closed", "reopen")
assert VERIFY is not None
assert REOPEN is not None

OFFICER = Actor("officer-ntt-7", frozenset({"officer"}), "bp3mi-ntt")
HEAD = Actor("kepala-ntt", frozenset({"officer", "head_of_office"}), "bp3mi-ntt")
HQ = Actor("hq-3", frozenset({"ministry_hq"}), "kp2mi-hq")
CALL = Actor("cc-01", frozenset({"call_centre"}), "kp2mi-hq")
OUTSIDER = Actor("officer-jatim-2", frozenset({"officer"}), "bp3mi-jatim")

T0 = pendulum.datetime(2026, 3, 19, 9, tz="Asia/Jakarta")
CASE = WF.fire(
    WF.open("C-1", at=T0, by=CALL, office="bp3mi-ntt", category="unpaid_wages", channel="sms"),
    "start_verification",
    at=T0.add(hours=1),
    by=OFFICER,
)
PLAIN_CASE = PLAIN.fire(
    PLAIN.open("C-1", at=T0, by=CALL, office="bp3mi-ntt", category="unpaid_wages", channel="sms"),
    "start_verification",
    at=T0.add(hours=1),
    by=OFFICER,
)
AT = T0.add(hours=2)


def paired(checked, plain, rounds: int = 9) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Median of alternating runs, so both paths see the same machine load."""
    a, b = [], []
    for _ in range(rounds):
        a.append(per_call_us(checked, budget_s=0.05, repeats=3))
        b.append(per_call_us(plain, budget_s=0.05, repeats=3))
    a.sort()
    b.sort()
    return a[rounds // 2], b[rounds // 2]


def main() -> None:
    checked, anchor = paired(
        lambda: WF.fire(CASE, "verify", at=AT, by=OFFICER),
        lambda: PLAIN.fire(PLAIN_CASE, "verify", at=AT, by=OFFICER),
    )
    check = ACCESS.role_for
    runs = [
        ("verify, officer of the case's office", lambda: check(VERIFY, OFFICER, "bp3mi-ntt")),
        (
            "verify, officer of the BP3MI above the P4MI",
            lambda: check(VERIFY, OFFICER, "p4mi-kupang"),
        ),
        ("verify, officer + head (first role wins)", lambda: check(VERIFY, HEAD, "bp3mi-ntt")),
        ("reopen, ministry_hq from another office", lambda: check(REOPEN, HQ, "bp3mi-ntt")),
        ("verify, call centre (refused: no role)", lambda: check(VERIFY, CALL, "bp3mi-ntt")),
        (
            "verify, officer of another BP3MI (refused)",
            lambda: check(VERIFY, OUTSIDER, "bp3mi-ntt"),
        ),
        ("rule lookup per (state, trigger)", lambda: ACCESS.for_step("verification", "verify")),
    ]
    added = checked - anchor
    rows = [
        ["fire without permissions (anchor, no SLA)", f"{anchor:.2f}", "", ""],
        ["fire with the standard permissions", f"{checked:.2f}", f"{checked / anchor:.1%}", ""],
        [
            "added per event (difference of the two)",
            f"{added:.3f}",
            f"{added / anchor:.1%}",
            "ok" if added <= 1.0 else "OVER",
        ],
    ]
    for name, fn in runs:
        us = per_call_us(fn)
        rows.append([name, f"{us:.3f}", f"{us / anchor:.1%}", "ok" if us <= 1.0 else "OVER"])
    print(
        table(
            "Permission check per event (budget: <= 1 µs; anchor: one plain fire, same run)",
            ["what", "µs", "of a fire", "budget"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
