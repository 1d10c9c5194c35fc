"""Bilingual messages: catalogs, Babel formatting and plain JSON of notice values.

Every name here is also importable from :mod:`migrantcare`.
"""

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

__all__ = [
    "CatalogProblem",
    "MessageRef",
    "Messages",
    "Money",
    "Plural",
    "SmsInfo",
    "check_catalogs",
    "sms_info",
]
