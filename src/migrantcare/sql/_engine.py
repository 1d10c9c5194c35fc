"""The store's engine: SQLite's connection settings, and statements on the driver's cursor.

Apart from the store so that it holds no driver details: :func:`prepare_engine` makes
an engine fit for the store, and :class:`Driver` runs a compiled statement on a pooled
connection's own cursor (no SQLAlchemy per-execution work) when the engine allows it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

import sqlalchemy as sa

#: How long a SQLite connection waits for another's lock.
_BUSY_SECONDS: Final = 30
#: The execution option telling the SQLite ``begin`` hook how to begin.
BEGIN_OPTION: Final = "migrantcare_sqlite_begin"
_BEGIN_OPTION = BEGIN_OPTION
#: Where a pooled connection keeps the cursor get() and save() run their statement on.
_CURSOR_KEY: Final = "migrantcare.sql.cursor"
#: Drivers whose cursors give get()'s statement values as SQLAlchemy does (pyformat).
KNOWN_DRIVERS: Final = frozenset({"psycopg", "psycopg2"})
#: Ids, versions and error classes only: never personal data.
_log = logging.getLogger("migrantcare.sql.store")


def _as_is(text: str) -> bytes:
    # the dumps of a JSON parameter given as its text already
    try:
        return text.encode()
    except UnicodeEncodeError:
        # a lone surrogate (only a record built by hand holds one): escaped as the
        # driver's own dumps escapes it, for the server to refuse as it did before
        return json.dumps(json.loads(text)).encode()


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite begins transactions lazily and on its own terms; the store must begin
    # them itself so that reads are consistent and writers queue (BEGIN IMMEDIATE)
    # instead of failing with "database is locked" when both try to upgrade.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # The busy timeout first: every later statement (and every BEGIN IMMEDIATE) then
    # waits for the lock instead of failing at once.
    for pragma in (f"busy_timeout={_BUSY_SECONDS * 1000}", "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    # WAL lets readers run beside the writer. The mode is persistent, but switching to
    # it needs an exclusive lock and does not wait in the busy handler: it fails at once
    # ("database is locked") while another connection is in a transaction. So switch
    # only a database that is not in WAL yet (read it first: a read waits in the busy
    # handler), retrying for as long as the busy timeout; the store does it when it is
    # built (see prepare_engine), before its connections run concurrently.
    cursor.execute("SELECT count(*) FROM sqlite_master").fetchone()
    deadline = time.monotonic() + _BUSY_SECONDS
    delay = 0.001
    while _journal_mode(cursor) != "wal":
        try:
            # returns the mode now in force; a database that cannot be in WAL (in
            # memory) keeps its own, and that is final
            cursor.execute("PRAGMA journal_mode=WAL").fetchone()
            break
        except dbapi_connection.OperationalError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
    cursor.close()


def _journal_mode(cursor: Any) -> str:
    return str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower()


def _sqlite_begin(conn: sa.Connection) -> None:
    mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def prepare_engine(engine: sa.Engine) -> sa.Engine:
    """Make ``engine`` fit for the store; a no-op except on SQLite, and idempotent.

    On SQLite it turns on foreign keys, WAL and a busy timeout for each new connection,
    and lets the store emit ``BEGIN`` itself (``BEGIN IMMEDIATE`` for writes, so that
    concurrent writers wait for each other rather than fail). Call it before the engine
    has opened connections (the store does so when it is built).
    """
    if engine.dialect.name == "sqlite" and not sa.event.contains(
        engine, "connect", _sqlite_connect
    ):
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        # Connections pooled before (create_all's) lack the settings: drop them, and
        # open one now so that the database is in WAL before threads share it.
        # (Not a database in memory: dropping its connection would drop it.)
        if engine.url.database not in (None, "", ":memory:") and "mode=memory" not in str(
            engine.url
        ):
            engine.dispose()
            with engine.connect():
                pass
    return engine


class Driver:
    """Statements on the driver's own cursor of a pooled connection, in autocommit.

    Args:
        engine: The store's engine.
        cached: Whether the store remembers verified cases (its loads then go through
            SQLAlchemy, see :meth:`watched`).
    """

    def __init__(self, engine: sa.Engine, *, cached: bool) -> None:
        self._engine = engine
        self._cached = cached

    @property
    def usable(self) -> bool:
        """Whether the driver is one whose parameter style and values are known."""
        return self._engine.dialect.driver in KNOWN_DRIVERS

    def watched(self) -> bool:
        """Whether statements must go through SQLAlchemy.

        They do when the driver is not one whose parameter style and values are known,
        when the store remembers verified cases, and when the host watches connections
        or statements (tracing, logging): it then sees every one.
        """
        watched = self._engine.dispatch
        return bool(
            not self.usable
            or self._cached
            or watched.engine_connect
            or watched.before_cursor_execute
            or watched.after_cursor_execute
        )

    def statement(self, statement: sa.Insert) -> tuple[str, dict[str, Any]]:
        """``statement`` compiled for the driver: its SQL and its parameters' processors.

        Only parameters whose type converts the value (JSON, serialized as SQLAlchemy
        serializes it) have a processor; strings, numbers and aware datetimes go to
        the driver as they are, as SQLAlchemy sends them.
        """
        dialect = self._engine.dialect
        compiled = statement.compile(dialect=dialect)
        processors: dict[str, Any] = {}
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors[name] = process
        return compiled.string, processors

    def jsonb_text(self) -> Callable[[str], Any] | None:
        """How a JSONB parameter given as JSON text goes to the driver, if it can.

        On psycopg: the :class:`~psycopg.types.json.Jsonb` wrapper SQLAlchemy's bind
        processor makes of a document, around the text, which it sends as it is (the
        server parses it: the stored value is the document's). ``None`` on other
        drivers: the caller gives them the document.
        """
        if self._engine.dialect.driver != "psycopg":
            return None
        from psycopg.types.json import Jsonb  # noqa: PLC0415 - the driver of this engine

        def wrap(text: str) -> Any:
            return Jsonb(text, dumps=_as_is)

        return wrap

    def run(self, sql: str, params: Mapping[str, Any], *, all_rows: bool) -> Any:
        """Run one statement on a pooled connection's own cursor, in autocommit.

        Returns every row (``all_rows``) or the first (None if there is none). The
        connection goes back to the pool; if anything fails it is dropped instead (it
        may be broken, and its autocommit is not restored). A driver error is raised as
        SQLAlchemy raises it (:class:`sqlalchemy.exc.DBAPIError` subclasses, the
        statement's parameters hidden), and a lost connection invalidates the pool as
        SQLAlchemy's own path does (see :meth:`_failed`).
        """
        pooled = self._engine.raw_connection()
        driver: Any = None
        cursor: Any = None
        try:
            driver = pooled.driver_connection
            # what the reader's AUTOCOMMIT does: one statement needs no transaction
            begun = not driver.autocommit
            if begun:
                driver.autocommit = True
            # one cursor per connection, kept with it in the pool (an invalidated
            # connection takes it along)
            cursor = pooled.info.get(_CURSOR_KEY)
            if cursor is None:
                cursor = pooled.info[_CURSOR_KEY] = driver.cursor()
            cursor.execute(sql, params)
            result = cursor.fetchall() if all_rows else cursor.fetchone()
            if begun:
                driver.autocommit = False
        except Exception as exc:
            raise self._failed(pooled, exc, sql, driver, cursor) from exc
        except BaseException:
            pooled.invalidate()
            raise
        finally:
            pooled.close()
        return result

    def _failed(
        self, pooled: Any, exc: Exception, sql: str, driver: Any, cursor: Any
    ) -> BaseException:
        """Drop ``pooled`` after ``exc``; the error to raise, as SQLAlchemy would raise it.

        When the server went away (a restart, a failover: the dialect's
        ``is_disconnect``), every connection the pool holds from before is as dead as
        this one: the whole pool is invalidated, as SQLAlchemy does for a statement it
        runs, so that only the call in flight fails; the next calls reconnect.
        """
        dialect = self._engine.dialect
        dbapi = dialect.loaded_dbapi
        if not isinstance(exc, dbapi.Error):
            pooled.invalidate()
            return exc
        lost = bool(dialect.is_disconnect(exc, driver, cursor))
        if lost:
            # SQLAlchemy's own handling of a disconnect (Connection._handle_dbapi_exception):
            # this connection and every one made before it are invalidated
            self._engine.pool._invalidate(pooled, exc)
            _log.warning(
                "connection lost (%s); the pool reconnects", type(exc).__name__,
                extra={"error": type(exc).__name__},
            )  # fmt: skip
        else:
            pooled.invalidate(exc)
        return sa.exc.DBAPIError.instance(
            sql, None, exc, dbapi.Error, hide_parameters=True,
            connection_invalidated=lost, dialect=dialect,
        )  # fmt: skip
