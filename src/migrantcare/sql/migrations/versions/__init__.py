"""The migration scripts, one per schema version (Alembic branch ``migrantcare``)."""
