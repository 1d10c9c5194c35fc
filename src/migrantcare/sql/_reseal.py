"""Re-sealing every stored case with the current key, each checked in full first."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import sqlalchemy as sa

from migrantcare.exceptions import InvalidArgumentError, MigrantCareError
from migrantcare.sql._seal import SEAL_FIELD
from migrantcare.sql._store import SqlCaseStore


@attrs.frozen
class ResealResult:
    """What :func:`reseal` did.

    Attributes:
        resealed: Cases checked and sealed anew with the current key.
        refused: ``(case id, reason)`` of the cases that did not check: left as they
            were (a case whose seal is wrong is not re-sealed: that would launder it).
    """

    resealed: int
    refused: tuple[tuple[str, str], ...]


def reseal(
    store: SqlCaseStore,
    *,
    allow_unsealed: bool = False,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> ResealResult:
    """Check every stored case in full and seal it with the store's current key.

    Each case is loaded with every check there is (:meth:`SqlCaseStore.verify_case`: the
    rows, the chain, the columns, the full replay and its seal under one of the store's
    keys), then its header is sealed with the current key, compare-and-set on its
    version and head, in its own transaction. A case that fails is left as it was and
    named in the result. Run it after adding a key (to retire the old one) or, with
    ``allow_unsealed``, once when a store starts sealing.

    Args:
        store: A store with keys (``SqlCaseStore(..., sealer=...)``).
        allow_unsealed: Also seal cases that have no seal yet (written before the store
            had keys), after the full replay. Refused otherwise: from the day a store
            seals, a case without a seal is a case written without the key.
        batch: Case ids read per page.
        progress: Called with the number of cases done so far, after each page.

    Raises:
        InvalidArgumentError: the store has no keys.
    """
    if not store.sealed:
        raise InvalidArgumentError(
            "reseal needs a store with keys: SqlCaseStore(..., sealer=Sealer.from_env())"
        )
    c = store.tables.cases.c
    done, refused, last = 0, [], None
    while True:
        stmt = sa.select(c.id).order_by(c.id).limit(batch)
        if last is not None:
            stmt = stmt.where(c.id > last)
        with store.engine.connect() as conn:
            ids = conn.execute(stmt).scalars().all()
        if not ids:
            break
        for case_id in ids:
            try:
                with store.transaction() as conn:
                    # the row stays as read until the seal is written (SQLite's write
                    # transaction excludes other writers already)
                    conn.execute(sa.select(c.id).where(c.id == case_id).with_for_update())
                    stored, columns = store.fetch_in(conn, case_id)
                    has_seal = isinstance(stored.header, dict) and SEAL_FIELD in stored.header
                    if not has_seal and not allow_unsealed:
                        store.load_stored(stored, columns, deep=True)  # names why
                    case = store.load_stored(stored, columns, deep=True, seal=has_seal)
                    conn.execute(
                        store.tables.cases.update()
                        .where(
                            c.id == case_id,
                            c.version == case.version,
                            c.head_hash == case.head_hash,
                        )
                        .values(header=store.sealed_header(case))
                    )
                done += 1
            except MigrantCareError as exc:
                refused.append((case_id, str(exc)))
        last = ids[-1]
        if progress is not None:
            progress(done)
    return ResealResult(done, tuple(refused))
