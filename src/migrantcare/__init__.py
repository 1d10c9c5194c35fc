"""migrantcare: the domain core for Indonesian migrant-worker protection cases.

The public surface is re-exported here; everything in ``migrantcare._*`` modules is
private and may change without notice. Errors live in :mod:`migrantcare.exceptions`.
"""

from migrantcare._version import __version__
from migrantcare._vocab import (
    CATEGORIES,
    CHANNELS,
    CLOSURE_REASONS,
    COMPLAINANT_TYPES,
    DOCUMENT_TYPES,
    OUTREACH_CATEGORIES,
    PRIORITIES,
    REPATRIATION_CATEGORIES,
    Term,
    Vocabulary,
)
from migrantcare.calendar._calendar import ScheduleRange, WorkingCalendar
from migrantcare.calendar._exports import BusdayCalendar, calendar_to_ics, calendar_to_numpy
from migrantcare.calendar._holidays import Holiday, HolidayKind
from migrantcare.calendar._regions import PROVINCE_TIMEZONES, ZONE_ABBREVIATIONS
from migrantcare.calendar._schedule import WorkSchedule
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
from migrantcare.definitions._definition import (
    Registry,
    dump_workflow,
    load_workflow,
    loads_workflow,
    workflow_from_dict,
    workflow_schema,
    workflow_to_dict,
)
from migrantcare.definitions._schemas import json_schema
from migrantcare.definitions._standard import (
    complaint_sla_plan,
    complaint_spec,
    complaint_workflow,
    outreach_spec,
    outreach_workflow,
    repatriation_spec,
    repatriation_workflow,
)
from migrantcare.demo._demo_data import DemoData, demo_cases, demo_offices
from migrantcare.messages._messages import (
    CatalogProblem,
    MessageRef,
    Messages,
    Money,
    Plural,
    SmsInfo,
    check_catalogs,
    sms_info,
)
from migrantcare.offices._actors import STANDARD_ROLES, SYSTEM, Actor
from migrantcare.offices._offices import Office, Offices
from migrantcare.offices._permissions import (
    CROSS_OFFICE_ROLES,
    Permissions,
    PersonalData,
    Rule,
    complaint_permissions,
    outreach_permissions,
    repatriation_permissions,
)
from migrantcare.records._case import CASE_SCHEMA, CLOCK_SKEW, Case, CaseEvent, Person
from migrantcare.records._receipt import check_receipt, receipt_of
from migrantcare.records._sla_state import SlaClock
from migrantcare.reports._performance import (
    BacklogBucket,
    ChannelFigures,
    Count,
    GoalCount,
    GoalSource,
    MonthRow,
    OfficePerformance,
    OutreachRow,
    PerformanceFigures,
    RankRow,
    Spread,
    performance_figures,
)
from migrantcare.reports._report_html import figures_to_csv, render_report_html
from migrantcare.reports._reports import GoalFigures, OfficeFigures, office_report
from migrantcare.sla._sla import (
    CaseMatch,
    SlaPlan,
    SlaPolicy,
    SlaStatus,
    SlaTarget,
)

__all__ = [
    "ANY",
    "CASE_SCHEMA",
    "CATEGORIES",
    "CHANNELS",
    "CLOCK_SKEW",
    "CLOSURE_REASONS",
    "COMPLAINANT_TYPES",
    "CROSS_OFFICE_ROLES",
    "DEFAULT_CONTACT",
    "DOCUMENT_TYPES",
    "OUTREACH_CATEGORIES",
    "PRIORITIES",
    "PROVINCE_TIMEZONES",
    "REPATRIATION_CATEGORIES",
    "STANDARD_ROLES",
    "SYSTEM",
    "ZONE_ABBREVIATIONS",
    "Actor",
    "Attempt",
    "AuditEntry",
    "BacklogBucket",
    "BusdayCalendar",
    "Callback",
    "Case",
    "CaseEvent",
    "CaseMatch",
    "CaseSaver",
    "CaseStore",
    "CaseSummary",
    "CatalogProblem",
    "ChannelFigures",
    "Count",
    "DemoData",
    "GoalCount",
    "GoalFigures",
    "GoalSource",
    "Guard",
    "Holiday",
    "HolidayKind",
    "InMemoryCaseStore",
    "MessageRef",
    "Messages",
    "Money",
    "MonthRow",
    "Notice",
    "NoticeSpec",
    "Office",
    "OfficeFigures",
    "OfficePerformance",
    "Offices",
    "OutreachRow",
    "PerformanceFigures",
    "Permissions",
    "Person",
    "PersonalData",
    "Plural",
    "RankRow",
    "Registry",
    "Rule",
    "ScheduleRange",
    "SlaClock",
    "SlaPlan",
    "SlaPolicy",
    "SlaStatus",
    "SlaTarget",
    "SmsInfo",
    "Spread",
    "State",
    "Term",
    "Transition",
    "Vocabulary",
    "WorkSchedule",
    "Workflow",
    "WorkflowSpec",
    "WorkingCalendar",
    "__version__",
    "audit_trail",
    "calendar_to_ics",
    "calendar_to_numpy",
    "check_catalogs",
    "check_receipt",
    "complaint_permissions",
    "complaint_sla_plan",
    "complaint_spec",
    "complaint_workflow",
    "demo_cases",
    "demo_offices",
    "dump_workflow",
    "erase_personal_data",
    "figures_to_csv",
    "json_schema",
    "load_workflow",
    "loads_workflow",
    "notices",
    "office_report",
    "outreach_permissions",
    "outreach_spec",
    "outreach_workflow",
    "performance_figures",
    "receipt_of",
    "render_report_html",
    "repatriation_permissions",
    "repatriation_spec",
    "repatriation_workflow",
    "replay",
    "sms_info",
    "update_case",
    "workflow_from_dict",
    "workflow_schema",
    "workflow_to_dict",
]
