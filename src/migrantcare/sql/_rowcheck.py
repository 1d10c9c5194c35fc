"""What a load checks of the case row besides the documents: no column goes unchecked.

Queries read the case row's columns (``query``, the sweep, migrations by calendar
version, the report's "now"); a load checks that each one says what the header and the
history say, and that no event row lies past the head the row records.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from migrantcare.exceptions import IntegrityError
from migrantcare.records._case import Case

_UTC = _dt.timezone.utc


def _utc(value: Any) -> Any:
    # SQLite hands instants back without a zone; the store writes them in UTC.
    if isinstance(value, _dt.datetime):
        return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)
    return value


def check_columns(case_id: str, case: Case, row: Any) -> None:
    """Refuse ``case`` when a column of its row disagrees with it, or rows lie past its head.

    ``row`` has ``c_wf``, ``c_wfv``, ``c_calv``, ``c_opened``, ``c_updated`` (the
    columns) and ``c_last`` (the highest seq of the case's event rows, all of them).

    Raises:
        IntegrityError: naming the case and the column (never a value of personal data).
    """
    last = row.c_last
    if last is not None and last >= case.version:
        raise IntegrityError(
            f"case {case_id!r}: an event row with seq {last} lies past the head (the case "
            f"row records {case.version} events): inserted outside the store"
        )
    for column, stored, derived in (
        ("workflow", row.c_wf, case.workflow),
        ("workflow_version", row.c_wfv, case.workflow_version),
        ("calendar_version", row.c_calv, case.calendar_version),
        ("opened_at", _utc(row.c_opened), case.opened_at),
        ("updated_at", _utc(row.c_updated), case.events[-1].at),
    ):
        if stored != derived:
            raise IntegrityError(
                f"case {case_id!r}: the case row's column {column!r} differs from its "
                "header and history (edited)"
            )
