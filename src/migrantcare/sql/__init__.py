"""A durable case store on PostgreSQL or SQLite (SQLAlchemy Core); the ``sql`` extra.

Install with ``pip install "migrantcare[sql]"`` plus your driver (``psycopg`` 3 for
PostgreSQL; SQLite needs nothing). The domain core never imports this package.
"""

# The SLA sweep and the outbox of notices, built on the store.
# Digests of every case head, inclusion proofs (migrantcare audit).
from migrantcare.sql._capability import TransactionalStore
from migrantcare.sql._digest import (
    Digest,
    DigestCheck,
    check_digest,
    check_proof,
    check_signature,
    make_digest,
    prove,
    public_key_of,
)
from migrantcare.sql._outbox import (
    Backoff,
    NoticeBatch,
    Outbox,
    OutboxCounts,
    OutboxNotice,
    Route,
    default_router,
    idempotency_key,
)
from migrantcare.sql._outbox_table import create_outbox, outbox_table
from migrantcare.sql._persons import normalise_nik, normalise_passport, normalise_phone
from migrantcare.sql._reseal import ResealResult, reseal
from migrantcare.sql._schema import SCHEMA_VERSION, CaseTables, case_tables, create_all
from migrantcare.sql._seal import SEAL_ENV, Sealer
from migrantcare.sql._store import SqlCaseStore, prepare_engine
from migrantcare.sql._sweep import SweepResult, earliest_due, sweep

__all__ = [
    "SCHEMA_VERSION",
    "SEAL_ENV",
    "Backoff",
    "CaseTables",
    "Digest",
    "DigestCheck",
    "NoticeBatch",
    "Outbox",
    "OutboxCounts",
    "OutboxNotice",
    "ResealResult",
    "Route",
    "Sealer",
    "SqlCaseStore",
    "SweepResult",
    "TransactionalStore",
    "case_tables",
    "check_digest",
    "check_proof",
    "check_signature",
    "create_all",
    "create_outbox",
    "default_router",
    "earliest_due",
    "idempotency_key",
    "make_digest",
    "normalise_nik",
    "normalise_passport",
    "normalise_phone",
    "outbox_table",
    "prepare_engine",
    "prove",
    "public_key_of",
    "reseal",
    "sweep",
]
