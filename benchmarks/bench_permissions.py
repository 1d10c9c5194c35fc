"""Who may act: the cost of the permission check beside the plain path of an event.

Run: ``python benchmarks/bench_permissions.py``

The anchor, measured in the same run, is one plain ``Workflow.fire`` on the complaint
workflow without SLA clocks (hash-chained history included). The check is what runs on
top of it once per event: a compiled rule per (state, trigger), a set-disjointness test,
the office scope (own office, a post under it, or a cross-office role) and the choice of
the role recorded on the event. Budget: <= 1 µs per event.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import attrs
import pendulum
from _util import per_call_us, table

from migrantcare import complaint_permissions, complaint_workflow
from migrantcare._permissions import AccessControl


@attrs.frozen
class Actor:
    id: str
    roles: frozenset[str]
    office: str | None


WF = complaint_workflow(sla=False)
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
    WF.open("C-1", at=T0, by="cc-01", office="bp3mi-ntt", category="unpaid_wages", channel="sms"),
    "start_verification",
    at=T0.add(hours=1),
    by="officer-ntt-7",
)
AT = T0.add(hours=2)


def main() -> None:
    anchor = per_call_us(lambda: WF.fire(CASE, "verify", at=AT, by="officer-ntt-7"))
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
    rows = [["plain fire (anchor, no SLA)", f"{anchor:.2f}", "", ""]]
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
