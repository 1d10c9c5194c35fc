"""Serialisation hook for the SLA clock state stored on cases.

The SLA part of the library registers its clock type here; until then a stored case
carries no clocks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrantcare.exceptions import SchemaError


def clock_from_dict(data: Mapping[str, Any]) -> Any:
    """Rebuild one SLA clock from its dict form."""
    raise SchemaError(f"this version of migrantcare stores no SLA clocks, got {dict(data)!r}")
