"""A throwaway PostgreSQL cluster for tests and benchmarks (no mock: the real server).

``TemporaryPostgres`` runs ``initdb`` and ``pg_ctl`` from the machine's PostgreSQL in a
temporary directory, listening only on a Unix socket there, and removes it all when
stopped. PostgreSQL refuses to run as root, so as root the server runs as the
``postgres`` user (created by the distribution's package).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from migrantcare.exceptions import InvalidArgumentError


def find_postgres_bin() -> Path | None:
    """Return the directory holding ``initdb`` and ``pg_ctl``, or ``None`` if not found.

    Looks at ``$MIGRANTCARE_PG_BIN``, then ``PATH``, then Debian's
    ``/usr/lib/postgresql/<major>/bin`` (newest major first).
    """
    candidates: list[str] = []
    if env := os.environ.get("MIGRANTCARE_PG_BIN"):
        candidates.append(env)
    if found := shutil.which("pg_ctl"):
        candidates.append(str(Path(found).parent))
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    for candidate in candidates:
        path = Path(candidate)
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file():
            return path
    return None


class TemporaryPostgres:
    """A PostgreSQL cluster in a temporary directory; a context manager.

    Args:
        bin_dir: Where ``initdb`` and ``pg_ctl`` are (default: :func:`find_postgres_bin`).
        durable: Keep ``fsync`` on (for benchmarks); tests may turn it off for speed.

    Attributes:
        url: The SQLAlchemy URL (``postgresql+psycopg``) of the ``postgres`` database.
        socket_dir: The directory of the server's Unix socket.
    """

    def __init__(self, bin_dir: Path | None = None, *, durable: bool = True) -> None:
        found = bin_dir if bin_dir is not None else find_postgres_bin()
        if found is None:
            raise InvalidArgumentError(
                "PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql "
                "or set MIGRANTCARE_PG_BIN"
            )
        self._bin = found
        self._durable = durable
        self._root: Path | None = None
        self.socket_dir = Path()
        self.url = ""

    def _run(self, *args: str) -> None:
        command = [str(self._bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True)

    def start(self) -> str:
        """Create and start the cluster; return its URL."""
        root = Path(tempfile.mkdtemp(prefix="mc-pg-"))
        self._root = root
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        data = root / "data"
        self._run(
            "initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"
        )
        options = f"-k {root} -c listen_addresses='' -p 5432"
        if not self._durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log = root / "server.log"
        self._run("pg_ctl", "-D", str(data), "-o", options, "-l", str(log), "-w", "start")
        self.socket_dir = root
        self.url = f"postgresql+psycopg://postgres@/postgres?host={root}&port=5432"
        return self.url

    def restart(self) -> None:
        """Restart the server (``pg_ctl restart -m fast``), as a failover or an upgrade does.

        Every open connection is closed by the server; clients find out on their next
        statement.
        """
        if self._root is None:
            raise InvalidArgumentError("the server is not running; call start() first")
        root = self._root
        # the options of the first start are kept (postmaster.opts); the log file too
        self._run(
            "pg_ctl", "-D", str(root / "data"), "-l", str(root / "server.log"), "-m", "fast",
            "-w", "restart",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        root, self._root = self._root, None
        if root is None:
            return
        try:
            self._run("pg_ctl", "-D", str(root / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def __enter__(self) -> TemporaryPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
