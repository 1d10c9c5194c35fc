"""Replaying a stored history: the opening, then every event, through the bound workflow.

:func:`replay` is the public door to the core loader (:mod:`migrantcare.cases._loader`),
which holds the replay itself; stores and :meth:`~migrantcare.Case.verify` go through the
same code. What comes back is the case the engine would have made, or an
:class:`~migrantcare.exceptions.IntegrityError` naming the first event that does not
replay.
"""

from __future__ import annotations

from collections.abc import Iterable

from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.cases._loader import (
    canonical_loads,
    recorded_actor,
    replay_checked,
    replay_opening,
    replay_unchecked,
)
from migrantcare.cases._loader import check_workflows as _check_workflows
from migrantcare.cases._workflow import Workflow
from migrantcare.records._case import Case

__all__ = [
    "canonical_loads",
    "check_workflows",
    "recorded_actor",
    "replay",
    "replay_opening",
    "replay_unchecked",
]


def replay(
    case: Case,
    workflows: Workflow | Iterable[Workflow],
    *,
    calendar: WorkingCalendar | None = None,
) -> Case:
    """Rebuild ``case`` from its events by firing them again through the workflows.

    The result equals ``case`` when the history is genuine and the definitions are the
    ones it ran on; hashes are recomputed, so an edited event fails here too.

    Args:
        case: The case to rebuild (its personal data is carried over: it is not in the
            history).
        workflows: The workflow the case runs on, or every version it ran on (needed
            when the history contains migrations). Bound workflows resolve calendars
            from the offices (needed for transferred cases with SLA clocks).
        calendar: Unbound workflows with an SLA plan: the office's calendar.

    Raises:
        IntegrityError: an event cannot be replayed (unknown workflow, refused event).
    """
    return replay_checked(case, workflows, calendar, Workflow)


def check_workflows(workflows: object) -> list[Workflow]:
    """Return ``workflows`` (one or an iterable of :class:`Workflow`) as a list."""
    return _check_workflows(workflows, Workflow)
