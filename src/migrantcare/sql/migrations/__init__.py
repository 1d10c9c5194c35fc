"""The store's Alembic migrations: one script per schema version (needs ``alembic``).

Run them with ``migrantcare db upgrade --db URL`` or :func:`upgrade`, or from your own
Alembic environment: add :data:`VERSIONS_DIR` to ``version_locations`` and run
``alembic upgrade heads`` (the scripts are the branch ``migrantcare``).
"""

from migrantcare.sql._migrations import (
    BRANCH,
    HEAD,
    MIGRATIONS_DIR,
    OUTBOX_REVISION,
    REVISIONS,
    VERSION_TABLE,
    VERSIONS_DIR,
    DatabaseStatus,
    Names,
    status,
    target_metadata,
    upgrade,
)

__all__ = [
    "BRANCH",
    "HEAD",
    "MIGRATIONS_DIR",
    "OUTBOX_REVISION",
    "REVISIONS",
    "VERSIONS_DIR",
    "VERSION_TABLE",
    "DatabaseStatus",
    "Names",
    "status",
    "target_metadata",
    "upgrade",
]
