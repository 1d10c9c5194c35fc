"""Every script in examples/ runs, and prints what it promises."""

from __future__ import annotations

import pathlib
import runpy
import threading

import pendulum
import pytest
import sqlalchemy as sa

from migrantcare import Actor, Offices, complaint_workflow
from migrantcare.exceptions import CaseNotFoundError
from migrantcare.sql import SqlCaseStore, create_all

EXAMPLES = sorted((pathlib.Path(__file__).parent.parent / "examples").glob("*.py"))


def test_there_are_examples() -> None:
    assert EXAMPLES


def _example(path: pathlib.Path) -> object:
    # the reference service needs the `service` extra (FastAPI): a system test
    marks = [pytest.mark.system] if path.name == "service.py" else []
    return pytest.param(path, id=path.name, marks=marks)


@pytest.mark.parametrize("path", [_example(p) for p in EXAMPLES])
def test_example_runs(
    path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    assert out.strip(), f"{path.name} printed nothing"
    assert "Traceback" not in out


def test_lifecycle_example_reaches_the_end(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES[0].parent / "complaint_lifecycle.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "now 'resolved'" in out
    assert "remains_arranged -> arrived" in out
    assert "now 'evaluated'" in out
    assert "replay reproduces the case" in out


def test_sqlite_store_from_worker_threads_and_unknown_ids(tmp_path: pathlib.Path) -> None:
    offices = Offices.from_file(EXAMPLES[0].parent / "offices.toml")
    workflow = complaint_workflow().bind(offices)
    # worker threads queue for SQLite's one writer instead of failing at once
    engine = sa.create_engine(
        f"sqlite:///{tmp_path / 'cases.sqlite3'}", connect_args={"timeout": 30}
    )
    create_all(engine)
    store = SqlCaseStore(engine, workflow)  # what examples/sqlite_store.py uses
    agent = Actor("cc", roles={"call_centre"})
    officer = Actor("o-1", roles={"officer"}, office="bp3mi-ntt")
    at = pendulum.datetime(2026, 3, 2, 9, tz="Asia/Makassar")
    errors: list[BaseException] = []
    # SQLite has one writer; concurrent writers can get "database is locked" from the
    # driver (reported to the SQL store's owner), so this test serialises the writes and
    # runs the reads, the bulk of a web service's work, concurrently.
    writing = threading.Lock()

    def work(k: int) -> None:  # what a web framework's worker thread does
        try:
            case = workflow.open(
                f"C-{k}", at=at, by=agent, office="bp3mi-ntt", category="other", channel="sms"
            )
            with writing:
                store.add(case)
            loaded = store.get(case.id)
            moved = workflow.fire(loaded, "start_verification", at=at.add(hours=1), by=officer)
            with writing:
                store.save(moved, expected_version=loaded.version)
            assert store.get(case.id).state == "verification"
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with pytest.raises(CaseNotFoundError, match="no stored case 'nope'"):
        store.get("nope")
    flooded = offices.with_closures("bp3mi-ntt", [pendulum.date(2026, 3, 4)], name="Banjir")
    stale = store.query(calendar_version_not=flooded.calendar("bp3mi-ntt").version)
    assert len(stale) == 8
    engine.dispose()
