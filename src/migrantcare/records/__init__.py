"""Case records: the person, the hash-chained events, the SLA clocks, and receipts.

Every name here is also importable from :mod:`migrantcare`.
"""

from migrantcare.records._case import CASE_SCHEMA, CLOCK_SKEW, Case, CaseEvent, Person
from migrantcare.records._receipt import check_receipt, receipt_of
from migrantcare.records._sla_state import SlaClock

__all__ = [
    "CASE_SCHEMA",
    "CLOCK_SKEW",
    "Case",
    "CaseEvent",
    "Person",
    "SlaClock",
    "check_receipt",
    "receipt_of",
]
