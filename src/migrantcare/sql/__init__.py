"""A durable case store on PostgreSQL or SQLite (SQLAlchemy Core); the ``sql`` extra.

Install with ``pip install "migrantcare[sql]"`` plus your driver (``psycopg`` 3 for
PostgreSQL; SQLite needs nothing). The domain core never imports this package.
"""

from migrantcare.sql._schema import SCHEMA_VERSION, CaseTables, case_tables, create_all
from migrantcare.sql._store import SqlCaseStore, prepare_engine

__all__ = [
    "SCHEMA_VERSION",
    "CaseTables",
    "SqlCaseStore",
    "case_tables",
    "create_all",
    "prepare_engine",
]
