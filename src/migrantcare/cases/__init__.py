"""The workflow engine, notices, erasure, stores and the audit view.

Every name here is also importable from :mod:`migrantcare`.
"""

from migrantcare.cases._audit import AuditEntry, audit_trail
from migrantcare.cases._erasure import erase_personal_data
from migrantcare.cases._notice_spec import NoticeSpec
from migrantcare.cases._notices import DEFAULT_CONTACT, Notice, notices
from migrantcare.cases._replay import replay
from migrantcare.cases._store import (
    CaseSaver,
    CaseStore,
    CaseSummary,
    InMemoryCaseStore,
    update_case,
)
from migrantcare.cases._workflow import (
    ANY,
    Attempt,
    Callback,
    Guard,
    State,
    Transition,
    Workflow,
    WorkflowSpec,
)

__all__ = [
    "ANY",
    "DEFAULT_CONTACT",
    "Attempt",
    "AuditEntry",
    "Callback",
    "CaseSaver",
    "CaseStore",
    "CaseSummary",
    "Guard",
    "InMemoryCaseStore",
    "Notice",
    "NoticeSpec",
    "State",
    "Transition",
    "Workflow",
    "WorkflowSpec",
    "audit_trail",
    "erase_personal_data",
    "notices",
    "replay",
    "update_case",
]
