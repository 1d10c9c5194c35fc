"""The service kit: what a web service built on migrantcare needs, in the library.

HTTP statuses on the errors, ``store.update`` (load, apply, save, retry when stale),
expected versions on transfer and erasure, and the ``read_case`` permission.
"""

from __future__ import annotations

import inspect
import pathlib
import threading
from collections.abc import Iterator

import pytest

import migrantcare.exceptions as errors
from migrantcare import (
    Case,
    CaseStore,
    CaseSummary,
    Offices,
    Permissions,
    Person,
    Rule,
    Workflow,
    WorkingCalendar,
    complaint_spec,
    complaint_workflow,
    erase_personal_data,
    notices,
)
from migrantcare.exceptions import (
    CaseNotFoundError,
    InvalidArgumentError,
    MigrantCareError,
    StaleCaseError,
    WrongTypeError,
)
from migrantcare.sql import Outbox, SqlCaseStore, create_outbox
from tests.actors import actor
from tests.store_support import at, each_store, open_case, sqlite_engine, truncate

# The builtins an error class may derive from, and the statuses each may map to: a
# TypeError is always the request's fault, a PermissionError always a refusal; a
# ValueError is the request's (422), a conflict with the stored case (409) or a fault of
# the deployment or its data (500).
STATUSES_OF_BUILTIN = {
    PermissionError: {403},
    TypeError: {422},
    RuntimeError: {500},
    LookupError: {404, 422, 500},
    ValueError: {409, 422, 500},
}
CONFLICTS = {"StaleCaseError", "InvalidTransitionError", "GuardRejectedError"}
CONFLICTS |= {"WorkflowMismatchError", "CaseExistsError"}
FAULTS_OF_THE_DEPLOYMENT = {
    "IntegrityError",
    "WorkflowDefinitionError",
    "DefinitionFileError",
    "CatalogError",
    "MissingMessageError",
    "OfficeConfigError",
    "CallbackError",
}
NOT_FOUND = {"CaseNotFoundError", "UnknownOfficeError"}


def exported_errors() -> list[type[MigrantCareError]]:
    classes = [getattr(errors, name) for name in errors.__all__]
    return [c for c in classes if inspect.isclass(c) and issubclass(c, MigrantCareError)]


def test_every_exported_error_has_its_own_http_status() -> None:
    classes = exported_errors()
    assert len(classes) == len(errors.__all__)  # every name exported is an error class
    for cls in classes:
        assert "http_status" in vars(cls), f"{cls.__name__} has no http_status of its own"
        assert isinstance(cls.http_status, int)
        assert 400 <= cls.http_status <= 599


@pytest.mark.parametrize("cls", exported_errors(), ids=lambda c: c.__name__)
def test_the_status_agrees_with_the_builtin(cls: type[MigrantCareError]) -> None:
    builtins = [b for b in STATUSES_OF_BUILTIN if issubclass(cls, b)]
    if cls is MigrantCareError:
        assert (builtins, cls.http_status) == ([], 500)
        return
    assert len(builtins) == 1, f"{cls.__name__} derives from {builtins}"
    assert cls.http_status in STATUSES_OF_BUILTIN[builtins[0]]
    name = cls.__name__
    expected = (
        409
        if name in CONFLICTS
        else 500
        if name in FAULTS_OF_THE_DEPLOYMENT
        else 404
        if name in NOT_FOUND
        else 403
        if builtins[0] is PermissionError
        else 422
    )
    assert cls.http_status == expected, name


def test_an_instance_answers_with_its_class_status() -> None:
    stale = errors.StaleCaseError("case 'X' changed", expected=1, actual=2)
    denied = errors.PermissionDeniedError(
        "no", actor="a", action="read_case", allowed=("officer",), office="o"
    )
    assert (stale.http_status, denied.http_status) == (409, 403)
    assert errors.CaseNotFoundError("x").http_status == 404
    assert errors.IntegrityError("x").http_status == 500


# ------------------------------------------------------------------ store.update


@pytest.fixture(scope="module")
def wf() -> Workflow:
    return complaint_workflow()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest,
    tmp_path: pathlib.Path,
    wf: Workflow,
    cal_wita: WorkingCalendar,
) -> Iterator[CaseStore]:
    yield from each_store(request, tmp_path, wf, cal_wita)


def escalation(wf: Workflow, cal: WorkingCalendar, minute: int, note: str) -> object:
    """A change that records one escalation (an internal event, repeatable) with ``note``."""
    officer = actor("officer-a")

    def change(case: Case) -> Case:
        return wf.fire(case, "escalate", at=at(minute), by=officer, note=note, calendar=cal)

    return change


def test_update_applies_and_saves(
    store: CaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    store.add(open_case(wf, cal_wita, "PGD-1"))
    saved = store.update("PGD-1", escalation(wf, cal_wita, 5, "n1"))  # type: ignore[arg-type]
    assert (saved.version, saved.events[-1].name) == (2, "escalate")
    assert store.get("PGD-1") == saved
    # a change that changes nothing saves nothing
    same = store.update("PGD-1", lambda case: case)
    assert same.version == 2


def test_concurrent_updates_lose_nothing(
    store: CaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    store.add(open_case(wf, cal_wita, "PGD-1"))
    threads, each = 4, 5
    failures: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def client(n: int) -> None:
        barrier.wait()
        try:
            for i in range(each):
                store.update(
                    "PGD-1",
                    escalation(wf, cal_wita, 5, f"c{n}-{i}"),  # type: ignore[arg-type]
                    retries=100,
                )
        except BaseException as exc:  # reported below
            failures.append(exc)

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert failures == []
    notes = sorted(e.note or "" for e in store.get("PGD-1").events[1:])
    assert notes == sorted(f"c{n}-{i}" for n in range(threads) for i in range(each))


def test_update_retries_only_a_stale_save(
    store: CaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    store.add(open_case(wf, cal_wita, "PGD-1"))
    calls: list[int] = []
    rival = escalation(wf, cal_wita, 9, "rival")

    def racing(case: Case) -> Case:
        calls.append(case.version)
        if len(calls) <= 2:  # another writer saves between our load and our save
            store.save(rival(store.get("PGD-1")), expected_version=case.version)  # type: ignore[operator]
        return wf.fire(case, "escalate", at=at(9), by=actor("officer-a"), calendar=cal_wita)

    saved = store.update("PGD-1", racing, retries=2)
    assert calls == [1, 2, 3]
    assert [e.note for e in saved.events] == [None, "rival", "rival", None]
    # out of retries: the StaleCaseError leaves, nothing of ours is saved
    calls.clear()
    with pytest.raises(StaleCaseError):
        store.update("PGD-1", racing, retries=1)
    assert calls == [4, 5]
    assert store.get("PGD-1").version == 6

    def refused(case: Case) -> Case:
        calls.append(case.version)
        return wf.fire(case, "escalate", at=at(9), by=actor("o"), expected_version=1)

    calls.clear()
    with pytest.raises(StaleCaseError):  # the change's own StaleCaseError is not retried
        store.update("PGD-1", refused)
    assert calls == [6]


def test_update_refuses_what_is_not_the_case(
    store: CaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    store.add(open_case(wf, cal_wita, "PGD-1"))
    store.add(open_case(wf, cal_wita, "PGD-2"))
    with pytest.raises(CaseNotFoundError):
        store.update("PGD-404", lambda case: case)
    with pytest.raises(WrongTypeError, match="change must return a Case, got NoneType"):
        store.update("PGD-1", lambda case: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(InvalidArgumentError, match="returned case 'PGD-2'"):
        store.update("PGD-1", lambda case: store.get("PGD-2"))
    with pytest.raises(InvalidArgumentError, match="retries"):
        store.update("PGD-1", lambda case: case, retries=-1)
    assert store.get("PGD-1").version == 1


# ------------------------------------------------------------------ expected versions


EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"


@pytest.fixture(scope="module")
def bound() -> Workflow:
    return complaint_workflow().bind(Offices.from_file(EXAMPLES / "offices.toml"))


def opened_in_ntb(wf: Workflow, case_id: str = "PGD-1") -> Case:
    return wf.open(
        case_id,
        at=at(0),
        by=actor("cc-1", "call_centre", office="call-centre"),
        office="bp3mi-ntb",
        category="unpaid_wages",
        channel="call_center",
        complainant=Person("Siti Aminah"),
    )


HEAD = actor("head-ntb", "head_of_office", office="bp3mi-ntb")


def test_transfer_checks_the_expected_version(bound: Workflow) -> None:
    case = bound.fire(opened_in_ntb(bound), "escalate", at=at(1), by=HEAD)
    with pytest.raises(StaleCaseError, match="at version 2, not 1") as info:
        bound.transfer(case, to="bp3mi-ntt", at=at(2), by=HEAD, expected_version=1)
    assert (info.value.expected, info.value.actual, info.value.http_status) == (1, 2, 409)
    moved = bound.transfer(case, to="bp3mi-ntt", at=at(2), by=HEAD, expected_version=2)
    assert (moved.office, moved.version) == ("bp3mi-ntt", 3)
    with pytest.raises(InvalidArgumentError, match="expected_version"):
        bound.transfer(case, to="bp3mi-ntt", at=at(2), by=HEAD, expected_version=0)


def test_erasure_checks_the_expected_version(bound: Workflow) -> None:
    case = bound.fire(opened_in_ntb(bound), "escalate", at=at(1), by=HEAD)
    for erase in (bound.erase_personal_data, erase_personal_data):
        with pytest.raises(StaleCaseError, match="at version 2, not 1"):
            erase(case, at=at(2), by=HEAD, expected_version=1)
        erased = erase(case, at=at(2), by=HEAD, expected_version=2)
        assert erased.complainant is not None
        assert erased.complainant.name == "<erased>"
        assert erased.version == 3


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_store_and_outbox_erasure_check_the_expected_version(
    backend: str, request: pytest.FixtureRequest, tmp_path: pathlib.Path, bound: Workflow
) -> None:
    if backend == "sqlite":
        engine = sqlite_engine(str(tmp_path / "cases.db"))
    else:
        engine = request.getfixturevalue("pg_engine")
        truncate(engine)
    store = SqlCaseStore(engine, bound)
    create_outbox(engine, store.tables)
    outbox = Outbox(store)
    store.add(opened_in_ntb(bound, "PGD-1"))
    store.add(opened_in_ntb(bound, "PGD-2"))
    for case_id, erase in (("PGD-1", store.erase_person), ("PGD-2", outbox.erase_person)):
        store.update(case_id, lambda c: bound.fire(c, "escalate", at=at(1), by=HEAD))
        with pytest.raises(StaleCaseError, match="at version 2, not 1"):
            erase(case_id, at=at(2), by=HEAD, expected_version=1)
        kept = store.get(case_id)
        assert kept.version == 2
        assert kept.complainant is not None
        assert kept.complainant.name == "Siti Aminah"
        erased = erase(case_id, at=at(2), by=HEAD, expected_version=2)
        assert store.get(case_id) == erased
        assert erased.version == 3


# ------------------------------------------------------------------ read_case


def test_reads_are_scoped_by_office(bound: Workflow) -> None:
    in_ntb = opened_in_ntb(bound, "PGD-1")
    in_post = bound.open(
        "PGD-2",
        at=at(0),
        by=actor("cc-1", "call_centre", office="call-centre"),
        office="p4mi-lombok-timur",
        category="unpaid_wages",
        channel="call_center",
    )
    ntb = actor("o-ntb", "officer", office="bp3mi-ntb")
    post = actor("o-post", "officer", office="p4mi-lombok-timur")
    ntt = actor("o-ntt", "officer", office="bp3mi-ntt")
    anywhere = [
        actor("cc-2", "call_centre", office="call-centre"),
        actor("hq-1", "ministry_hq", office=None),
        actor("crisis-1", "crisis_centre", office=None),
    ]
    for case in (in_ntb, in_post):
        bound.check_read(case, by=ntb)  # its own office, and the post under it
        for reader in anywhere:
            bound.check_read(case, by=reader)
        with pytest.raises(errors.PermissionDeniedError) as info:
            bound.check_read(case, by=ntt)
        refused = info.value
        assert (refused.action, refused.office, refused.http_status) == (
            "read_case",
            case.office,
            403,
        )
        assert f"may not read case {case.id!r} of office {case.office!r}" in str(refused)
    bound.check_read(in_post, by=post)
    assert not bound.can_read(in_ntb, by=post)  # a post does not see its parent's cases
    assert bound.may(in_ntb, "read_case", by=ntb)
    assert not bound.may(in_ntb, "read_case", by=ntt)
    # a query's summaries are checked the same way
    summary = CaseSummary.of(in_ntb)
    assert bound.can_read(summary, by=ntb)
    assert not bound.can_read(summary, by=ntt)
    with pytest.raises(WrongTypeError):
        bound.check_read(object(), by=ntb)  # type: ignore[arg-type]


def test_a_definition_without_a_read_rule_lets_its_roles_read_in_scope(
    cal_wita: WorkingCalendar,
) -> None:
    spec = complaint_spec()
    rules = spec.permissions.rules if spec.permissions is not None else ()
    assert "read_case" in dict(rules)
    without = Permissions(
        tuple((a, r) for a, r in rules if a != "read_case"), default=Rule(("officer",))
    )
    wf = spec.with_permissions(without).build()
    case = open_case(wf, cal_wita, "PGD-1", office="bp3mi-ntb")
    assert wf.can_read(case, by=actor("o", "officer", office="bp3mi-ntb"))
    assert wf.can_read(case, by=actor("cc", "call_centre", office="bp3mi-ntb"))
    assert not wf.can_read(case, by=actor("o", "officer", office="bp3mi-ntt"))
    assert not wf.can_read(case, by=actor("a", "auditor", office="bp3mi-ntb"))
    rule = without.rule("read_case")
    assert set(rule.roles) == set(without.roles())
    assert "every role the definition names" in rule.source


def test_the_permission_matrix_lists_reading() -> None:
    assert "`read_case` Read the case" in complaint_workflow().permission_matrix("en")
    assert "`read_case` Lihat kasus" in complaint_workflow().permission_matrix("id")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_outbox_updates_a_case_with_its_notices(
    backend: str, request: pytest.FixtureRequest, tmp_path: pathlib.Path, bound: Workflow
) -> None:
    if backend == "sqlite":
        engine = sqlite_engine(str(tmp_path / "cases.db"))
    else:
        engine = request.getfixturevalue("pg_engine")
        truncate(engine)
    store = SqlCaseStore(engine, bound)
    create_outbox(engine, store.tables)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM notice_outbox")
    outbox = Outbox(store)
    outbox.add(opened_in_ntb(bound, "PGD-1"))
    before = outbox.counts().pending
    calls: list[int] = []

    def escalate(case: Case) -> Case:
        calls.append(case.version)
        if len(calls) == 1:  # a concurrent save between our load and our save
            outbox.save(bound.fire(case, "escalate", at=at(1), by=HEAD), expected_version=1)
        return bound.fire(case, "escalate", at=at(2), by=HEAD, note="ours")

    saved = outbox.update("PGD-1", escalate)
    assert calls == [1, 2]
    assert (saved.version, saved.events[-1].note) == (3, "ours")
    expected = sum(
        len(notices(bound, saved, e)) for e in saved.events[1:]
    )  # both escalations' notices, once each
    assert expected > 0
    assert outbox.counts().pending - before == expected
