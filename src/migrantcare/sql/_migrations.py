"""Alembic migrations of the store's tables: every schema version, for hosts and the CLI.

The scripts live in ``migrantcare/sql/migrations/versions`` (one per schema version, on
the Alembic branch ``migrantcare``). Hosts either list that folder in their own
``version_locations`` (:data:`VERSIONS_DIR`) or let ``migrantcare db upgrade`` (or
:func:`upgrade`) run them, with the package's own environment and a version table of
its own (``migrantcare_alembic_version``).

Each script first reads the schema version recorded in ``migrantcare_schema`` and does
nothing when the tables are already at (or past) its version: tables made by
:func:`~migrantcare.sql.create_all` join the migrations without a ``stamp``. The one
that creates the notice outbox (:data:`OUTBOX_REVISION`) looks for the table instead:
an outbox made by :func:`~migrantcare.sql.create_outbox` joins the same way.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any, Final, TextIO

import attrs
import sqlalchemy as sa

from migrantcare.exceptions import InvalidArgumentError
from migrantcare.sql._outbox_table import outbox_table
from migrantcare.sql._schema import SCHEMA_VERSION, case_tables

#: The package's Alembic environment (``script_location`` of ``migrantcare db``).
MIGRATIONS_DIR: Final = str(Path(__file__).with_name("migrations"))

#: The migration scripts: add this folder to your ``version_locations``.
VERSIONS_DIR: Final = str(Path(__file__).with_name("migrations") / "versions")

#: The Alembic revision that brings the tables to each schema version.
REVISIONS: Final = {1: "mc0001", 2: "mc0002", 3: "mc0003", 4: "mc0004"}

#: The revision that creates the notice outbox (``outbox_table``) when it is missing. It
#: records no schema version: the outbox is optional and ``create_outbox`` records none,
#: so a version would say nothing about whether the table is there.
OUTBOX_REVISION: Final = "mc0005"

#: The newest revision: what :func:`upgrade` and ``migrantcare db upgrade`` reach.
HEAD: Final = OUTBOX_REVISION

#: The branch label of the scripts (``alembic upgrade migrantcare@head``).
BRANCH: Final = "migrantcare"

#: The version table ``migrantcare db`` keeps (with the tables' prefix and schema).
VERSION_TABLE: Final = "migrantcare_alembic_version"

_PREFIX = re.compile(r"[A-Za-z0-9_]{0,30}")
_SCHEMA = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


@attrs.frozen
class Names:
    """Where the tables are: their prefix and database schema, as the scripts see them.

    Attributes:
        prefix: The prefix of every table and index name (``case_tables(prefix=...)``).
        schema: The database schema (PostgreSQL namespace), or ``None``.
    """

    prefix: str = ""
    schema: str | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.prefix, str) or not _PREFIX.fullmatch(self.prefix):
            raise InvalidArgumentError(
                "the tables' prefix must be up to 30 letters, digits or underscores, got "
                f"{self.prefix!r}"
            )
        if self.schema is not None and (
            not isinstance(self.schema, str) or not _SCHEMA.fullmatch(self.schema)
        ):
            raise InvalidArgumentError(
                "the tables' schema must be an identifier (letters, digits, underscores), "
                f"got {self.schema!r}"
            )

    def __call__(self, table: str) -> str:
        """Return the prefixed name of ``table`` (or of an index or constraint)."""
        return self.prefix + table

    def qualified(self, table: str) -> str:
        """Return ``schema.prefixed_table`` for a foreign key (or the bare name)."""
        name = self(table)
        return name if self.schema is None else f"{self.schema}.{name}"


def names_from(config: Any) -> Names:
    """Read the tables' prefix and schema from an Alembic ``Config`` (or ``None``).

    ``config.attributes`` (set by code) wins over the ``[alembic]`` options
    ``migrantcare_prefix`` and ``migrantcare_schema`` of ``alembic.ini``.
    """
    if config is None:
        return Names()
    prefix = config.attributes.get("migrantcare_prefix")
    if prefix is None:
        prefix = config.get_main_option("migrantcare_prefix") or ""
    schema = config.attributes.get("migrantcare_schema")
    if schema is None:
        schema = config.get_main_option("migrantcare_schema") or None
    return Names(prefix, schema)


def recorded_version(conn: sa.Connection, names: Names) -> int | None:
    """The schema version recorded in ``migrantcare_schema``, or ``None`` (no tables)."""
    table = names("migrantcare_schema")
    if not sa.inspect(conn).has_table(table, schema=names.schema):
        return None
    t = sa.table(table, sa.column("version", sa.Integer), schema=names.schema)
    value = conn.execute(sa.select(sa.func.max(t.c.version))).scalar_one_or_none()
    return None if value is None else int(value)


def context_names() -> Names:
    """The names of the tables a migration script runs on (from Alembic's config)."""
    from alembic import op  # noqa: PLC0415 - only inside a migration

    return names_from(op.get_context().config)


def already_at(names: Names, version: int) -> bool:
    """Whether the tables already record ``version`` or a later one (online only).

    Offline (``--sql``) every step is written out: there is no database to ask.
    """
    from alembic import op  # noqa: PLC0415

    if op.get_context().as_sql:
        return False
    recorded = recorded_version(op.get_bind(), names)
    return recorded is not None and recorded >= version


def has_table(names: Names, table: str) -> bool:
    """Whether the (prefixed) ``table`` is already there (in a migration, online only).

    Offline (``--sql``) every step is written out: there is no database to ask.
    """
    from alembic import op  # noqa: PLC0415

    if op.get_context().as_sql:
        return False
    return bool(sa.inspect(op.get_bind()).has_table(names(table), schema=names.schema))


def set_version(names: Names, version: int) -> None:
    """Record ``version`` in the tables' ``migrantcare_schema`` row (in a migration)."""
    from alembic import op  # noqa: PLC0415

    t = sa.table(names("migrantcare_schema"), sa.column("version", sa.Integer), schema=names.schema)
    op.execute(t.update().values(version=version))


def target_metadata(names: Names | None = None) -> sa.MetaData:
    """The tables of the newest revision, for Alembic's ``target_metadata``.

    The case tables (:func:`~migrantcare.sql.case_tables`) and the notice outbox
    (:func:`~migrantcare.sql.outbox_table`), with ``names``' prefix and schema.
    Autogenerate and :func:`alembic.autogenerate.compare_metadata` compare a database
    upgraded to the newest revision with it; the test suite checks they agree.
    """
    names = Names() if names is None else names
    tables = case_tables(schema=names.schema, prefix=names.prefix)
    outbox_table(tables)
    return tables.metadata


# --------------------------------------------------------------------------- running


def _safe_url(url: str | sa.Engine) -> str:
    try:
        parsed = url.url if isinstance(url, sa.Engine) else sa.engine.make_url(url)
        return parsed.render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(unparsable URL)"


def alembic_config(
    connection: sa.Connection,
    names: Names | None = None,
    *,
    stdout: TextIO | None = None,
    batch: int = 5000,
) -> Any:
    """An Alembic ``Config`` on the package's environment that runs on ``connection``."""
    from alembic.config import Config  # noqa: PLC0415 - alembic only when migrating

    names = Names() if names is None else names
    config = Config(stdout=stdout) if stdout is not None else Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    config.attributes["connection"] = connection
    config.attributes["migrantcare_prefix"] = names.prefix
    config.attributes["migrantcare_schema"] = names.schema
    config.attributes["migrantcare_batch"] = batch
    return config


def run_env(context: Any) -> None:
    """The body of the package's ``env.py`` (online and offline)."""
    config = context.config
    names = names_from(config)
    options: dict[str, Any] = {
        "target_metadata": target_metadata(names),
        "version_table": names(VERSION_TABLE),
        "version_table_schema": names.schema,
        # each script in its own transaction: a failure keeps the steps before it
        "transaction_per_migration": True,
    }
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"), poolclass=sa.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, **options)
        with context.begin_transaction():
            context.run_migrations()


@attrs.frozen
class DatabaseStatus:
    """Where a database's tables stand.

    Attributes:
        revision: The Alembic revision ``migrantcare db`` recorded, or ``None``.
        schema_version: The version in ``migrantcare_schema``, or ``None`` (no tables).
        current: Whether the tables are at :data:`~migrantcare.sql.SCHEMA_VERSION` and
            at the newest revision (:data:`HEAD`) when a revision is recorded.
    """

    revision: str | None
    schema_version: int | None

    @property
    def current(self) -> bool:
        """Whether the tables are at the newest schema version and revision.

        Tables that joined without a recorded revision (made by ``create_all``) are
        current at the newest schema version; a recorded revision older than
        :data:`HEAD` (before the outbox's) is not: ``db upgrade`` has a step left.
        """
        return self.schema_version == SCHEMA_VERSION and self.revision in (None, HEAD)

    def line(self) -> str:
        """One line for people: the revision and the schema version."""
        if self.schema_version is None:
            return "no migrantcare tables (run: migrantcare db upgrade)"
        newest = (
            "newest" if self.schema_version == SCHEMA_VERSION else f"newest is {SCHEMA_VERSION}"
        )
        revision = self.revision or "none recorded"
        if self.revision not in (None, HEAD):
            revision += f" (newest is {HEAD})"
        return f"schema version {self.schema_version} ({newest}); revision {revision}"


def _engine(url: str | sa.Engine) -> tuple[sa.Engine, bool]:
    if isinstance(url, sa.Engine):
        return url, False
    if not isinstance(url, str):
        raise InvalidArgumentError(
            f"expected a database URL or an Engine, got {type(url).__name__}"
        )
    try:
        return sa.create_engine(url, poolclass=sa.NullPool), True
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise InvalidArgumentError(
            f"cannot use the database {_safe_url(url)}: {type(exc).__name__}: {_first_line(exc)}"
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


def _status_on(conn: sa.Connection, names: Names) -> DatabaseStatus:
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415

    context = MigrationContext.configure(
        conn,
        opts={"version_table": names(VERSION_TABLE), "version_table_schema": names.schema},
    )
    heads = context.get_current_heads()
    return DatabaseStatus(heads[0] if heads else None, recorded_version(conn, names))


def status(url: str | sa.Engine, names: Names | None = None) -> DatabaseStatus:
    """Read the recorded revision and schema version of a database.

    Raises:
        InvalidArgumentError: the database cannot be reached (one line, no password).
    """
    names = Names() if names is None else names
    engine, own = _engine(url)
    try:
        with engine.connect() as conn:
            return _status_on(conn, names)
    except sa.exc.SQLAlchemyError as exc:
        raise InvalidArgumentError(
            f"cannot read the database {_safe_url(url)}: {type(exc).__name__}: {_first_line(exc)}"
        ) from None
    finally:
        if own:
            engine.dispose()


def upgrade(
    url: str | sa.Engine,
    *,
    revision: str = "head",
    names: Names | None = None,
    stdout: TextIO | None = None,
    batch: int = 5000,
) -> DatabaseStatus:
    """Bring the tables to ``revision`` (the newest by default) with the package's scripts.

    Creates the tables (the case tables and the notice outbox) on an empty database; on
    tables made by :func:`~migrantcare.sql.create_all` it runs only the steps past their
    recorded schema version, and creates the outbox unless ``create_outbox`` made it.
    Safe to run while workers and the service run (see the docs for what each step
    locks).

    Args:
        url: A database URL or an Engine.
        revision: The revision to reach (``head``, or ``mc0001`` … :data:`HEAD`).
        names: The tables' prefix and schema, when not the defaults.
        stdout: Where Alembic writes its messages.
        batch: Rows copied per transaction by steps that copy a column (1 to 100,000).

    Raises:
        InvalidArgumentError: the database cannot be reached, or a step failed (the
            steps before it stay done; the failed one is rolled back).
    """
    from alembic import command  # noqa: PLC0415
    from alembic.util import CommandError  # noqa: PLC0415

    names = Names() if names is None else names
    if not isinstance(revision, str) or not re.fullmatch(r"[A-Za-z0-9_@+-]{1,40}", revision):
        raise InvalidArgumentError(
            f"revision must be 'head' or one of {', '.join((*REVISIONS.values(), HEAD))}, "
            f"got {revision!r}"
        )
    if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= 100_000:
        raise InvalidArgumentError(f"batch must be an int from 1 to 100000, got {batch!r}")
    engine, own = _engine(url)
    try:
        with engine.connect() as conn:
            command.upgrade(alembic_config(conn, names, stdout=stdout, batch=batch), revision)
            conn.commit()
            # on the same connection: an in-memory SQLite database lives only in it
            return _status_on(conn, names)
    except CommandError as exc:
        raise InvalidArgumentError(f"cannot upgrade to {revision!r}: {_first_line(exc)}") from None
    except sa.exc.SQLAlchemyError as exc:
        raise InvalidArgumentError(
            f"cannot upgrade the database {_safe_url(url)}: {type(exc).__name__}: "
            f"{_first_line(exc)}"
        ) from None
    finally:
        if own:
            engine.dispose()


def cmd_db(args: argparse.Namespace, out: TextIO) -> int:
    """The ``migrantcare db upgrade|current`` command."""
    names = Names(args.prefix or "", args.schema)
    if args.action == "upgrade":
        result = upgrade(args.db, revision=args.to, names=names)
        out.write(f"upgraded {_safe_url(args.db)}: {result.line()}\n")
        return 0
    result = status(args.db, names)
    out.write(result.line() + "\n")
    return 0 if result.current else 1
