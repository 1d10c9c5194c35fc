"""Offices, actors and permissions: who handles a case, who may act on it.

Every name here is also importable from :mod:`migrantcare`.
"""

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

__all__ = [
    "CROSS_OFFICE_ROLES",
    "STANDARD_ROLES",
    "SYSTEM",
    "Actor",
    "Office",
    "Offices",
    "Permissions",
    "PersonalData",
    "Rule",
    "complaint_permissions",
    "outreach_permissions",
    "repatriation_permissions",
]
