"""The Alembic environment of ``migrantcare db`` (hosts use their own ``env.py``)."""

from alembic import context

from migrantcare.sql._migrations import run_env

run_env(context)
