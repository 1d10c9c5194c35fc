"""Workflow definitions as data, the standard workflows and the shipped JSON Schemas.

Every name here is also importable from :mod:`migrantcare`.
"""

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

__all__ = [
    "Registry",
    "complaint_sla_plan",
    "complaint_spec",
    "complaint_workflow",
    "dump_workflow",
    "json_schema",
    "load_workflow",
    "loads_workflow",
    "outreach_spec",
    "outreach_workflow",
    "repatriation_spec",
    "repatriation_workflow",
    "workflow_from_dict",
    "workflow_schema",
    "workflow_to_dict",
]
