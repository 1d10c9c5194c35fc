"""The JSON Schemas (draft 2020-12) of what migrantcare writes, shipped in the package.

Systems in other languages validate and read case documents and events with them; web
services publish the ones of what they return (deadline statuses, case summaries,
notices).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Final

from migrantcare.exceptions import InvalidArgumentError

#: The names of the shipped schemas.
SCHEMA_NAMES: Final = ("case", "event", "sla_status", "case_summary", "notice")


def json_schema(name: str) -> dict[str, Any]:
    """Return a shipped JSON Schema as a new dict.

    Args:
        name: ``"case"`` (a :meth:`Case.to_dict` document), ``"event"`` (a
            :meth:`CaseEvent.to_dict` document), ``"sla_status"``
            (:meth:`SlaStatus.to_dict`), ``"case_summary"`` (:meth:`CaseSummary.to_dict`)
            or ``"notice"`` (:meth:`Notice.to_dict`).

    Raises:
        InvalidArgumentError: the name is not one of :data:`SCHEMA_NAMES`.

    Examples:
        >>> json_schema("case")["$schema"]
        'https://json-schema.org/draft/2020-12/schema'
    """
    if name not in SCHEMA_NAMES:
        raise InvalidArgumentError(f"no JSON Schema {name!r}; shipped: {', '.join(SCHEMA_NAMES)}")
    text = (resources.files("migrantcare") / "schemas" / f"{name}.schema.json").read_text(
        encoding="utf-8"
    )
    value: dict[str, Any] = json.loads(text)
    return value
