"""SLA plans and policies, and the arithmetic of their clocks.

Every name here is also importable from :mod:`migrantcare`.
"""

from migrantcare.sla._sla import CaseMatch, SlaPlan, SlaPolicy, SlaStatus, SlaTarget

__all__ = [
    "CaseMatch",
    "SlaPlan",
    "SlaPolicy",
    "SlaStatus",
    "SlaTarget",
]
