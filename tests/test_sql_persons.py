"""Finding a person's cases by NIK, passport or phone: a blind index erased with the person."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import pathlib
import subprocess
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from migrantcare import Actor, Case, Offices, Person, Workflow, complaint_workflow
from migrantcare.exceptions import InvalidArgumentError, MigrantCareError, WrongTypeError
from migrantcare.sql import SqlCaseStore, create_all
from migrantcare.sql._persons import normalise_nik, normalise_passport, normalise_phone
from migrantcare.sql.migrations import upgrade
from migrantcare.sql.testing import find_postgres_bin
from tests.store_support import new_database

ROOT = pathlib.Path(__file__).parent.parent
OFFICES = Offices.from_file(ROOT / "examples" / "offices.toml")
MARCH = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)
KEY = b"k" * 16 + b"-host-secret-for-tests"
AGENT = Actor("cc-01", roles={"call_centre"}, office="call-centre")
NTB = Actor("officer-ntb", roles={"officer"}, office="bp3mi-ntb")
NTT = Actor("officer-ntt", roles={"officer"}, office="bp3mi-ntt")
LOMBOK = Actor("officer-lotim", roles={"officer"}, office="p4mi-lombok-timur")
MINISTRY = Actor("hq-1", roles={"ministry_hq"}, office="call-centre")
HEAD_NTB = Actor("head-ntb", roles={"head_of_office"}, office="bp3mi-ntb")

SITI = Person("Siti Aminah", passport_number="C 1234567", phone="0812-3456-789")
DEWI = Person("Dewi Lestari", nik="5301010101010001", phone="+62 813 1111 2222")
OTHER = Person("Rina Wati", nik="5301010101019999", passport_number="X7654321")


@pytest.fixture(scope="module")
def wf() -> Workflow:
    return complaint_workflow().bind(OFFICES)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[str]:
    """An empty database of its own: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'persons.db'}"
        return
    yield from _pg_database(request.getfixturevalue("pg_url"))


@pytest.fixture
def pg_db(pg_url: str) -> Iterator[str]:
    yield from _pg_database(pg_url)


def _pg_database(pg_url: str) -> Iterator[str]:
    with new_database(pg_url, "persons") as url:
        yield url


def opened(wf: Workflow, case_id: str, office: str, *persons: Person | None) -> Case:
    complainant = persons[0] if persons else None
    worker = persons[1] if len(persons) > 1 else None
    return wf.open(
        case_id,
        at=MARCH,
        by=AGENT,
        office=office,
        category="unpaid_wages",
        channel="whatsapp",
        complainant=complainant,
        worker=worker,
    )


def seeded(url: str, wf: Workflow) -> tuple[sa.Engine, SqlCaseStore]:
    upgrade(url)  # the tables as the migrations make them
    engine = sa.create_engine(url)
    store = SqlCaseStore(engine, wf, person_key=KEY)
    store.add(opened(wf, "PGD-1", "bp3mi-ntb", SITI, DEWI))
    store.add(opened(wf, "PGD-2", "bp3mi-ntt", SITI))  # Siti complained twice
    store.add(opened(wf, "PGD-3", "p4mi-lombok-timur", None, DEWI))
    store.add(opened(wf, "PGD-4", "bp3mi-ntb", OTHER))
    return engine, store


def rows(engine: sa.Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql)]


# ---------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0812-3456-789", "+628123456789"),
        ("0812 3456 789", "+628123456789"),
        ("+62 812 3456 789", "+628123456789"),
        ("+62 (0)812-3456-789", "+628123456789"),
        ("628123456789", "+628123456789"),
        ("8123456789", "+628123456789"),
        ("0062 812 3456 789", "+628123456789"),
        ("(021) 345.6789", "+62213456789"),
        ("+852 9123 4567", "+85291234567"),
        ("00966 50 123 4567", "+966501234567"),
    ],
)
def test_phones_normalise_to_e164_with_indonesia_by_default(raw: str, e164: str) -> None:
    assert normalise_phone(raw) == e164


def test_nik_and_passport_normalise() -> None:
    assert normalise_nik("5301 0101 0101 0001") == "5301010101010001"
    assert normalise_nik("5301-0101-0101-0001") == "5301010101010001"
    assert normalise_passport(" c12 34567\t") == "C1234567"


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: normalise_nik("5301 0101"), "nik must have 16 digits; got 8"),
        (lambda: normalise_nik("٥٣٠١٠١٠١٠١٠١٠٠٠١"), "nik must have 16 digits; got 0"),
        (lambda: normalise_passport("   "), "passport must be letters and digits"),
        (lambda: normalise_passport("C-1234567"), "passport must be letters and digits"),
        (lambda: normalise_phone("0812"), "phone must be a phone number of 8 to 15"),
        (lambda: normalise_phone("call me"), "phone must be a phone number"),
        (lambda: normalise_phone("+1234567890123456"), "phone must be a phone number"),
        (lambda: normalise_phone("0" * 101), "at most 100"),
    ],
)
def test_identifiers_that_do_not_normalise_are_refused_without_the_value(
    call: object, match: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=match) as info:
        call()  # type: ignore[operator]
    message = str(info.value)
    assert "value not shown" in message or "at most 100" in message


@given(
    st.from_regex(r"8[1-9][0-9]{7,9}", fullmatch=True),
    st.lists(st.sampled_from([" ", "-", ".", "  "]), min_size=0, max_size=4),
    st.sampled_from(["0{}", "+62{}", "62{}", "{}", "0062{}", "+62 0{}"]),
)
def test_every_way_of_writing_an_indonesian_mobile_number_gives_one_e164(
    national: str, separators: list[str], form: str
) -> None:
    written = national
    for i, sep in enumerate(separators):
        at = 1 + (i * 3) % (len(written) - 1)
        written = written[:at] + sep + written[at:]
    assert normalise_phone(form.format(written)) == "+62" + national


@given(st.text(max_size=120))
def test_hostile_text_never_leaks_into_an_error(text: str) -> None:
    for normalise in (normalise_nik, normalise_passport, normalise_phone):
        try:
            normalise(text)
            continue
        except InvalidArgumentError as exc:
            message = str(exc)
        assert len(text.strip()) < 3 or text not in message


def test_non_text_identifiers_are_refused() -> None:
    with pytest.raises(WrongTypeError, match="nik must be a str, got int"):
        normalise_nik(5301010101010001)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the lookup


def test_a_persons_cases_are_found_by_any_identifier_however_written(
    url: str, wf: Workflow
) -> None:
    engine, store = seeded(url, wf)
    try:
        # the call centre reads personal data anywhere
        assert store.cases_of_person(passport="c1234567", by=AGENT) == ("PGD-1", "PGD-2")
        assert store.cases_of_person(phone="+62 812-3456-789", by=AGENT) == ("PGD-1", "PGD-2")
        assert store.cases_of_person(nik="5301 0101 0101 0001", by=AGENT) == ("PGD-1", "PGD-3")
        assert store.cases_of_person(phone="081311112222", by=AGENT) == ("PGD-1", "PGD-3")
        # several identifiers: any of them
        assert store.cases_of_person(nik="5301010101019999", phone="08123456789", by=AGENT) == (
            "PGD-1",
            "PGD-2",
            "PGD-4",
        )
        assert store.cases_of_person(nik="5301010101010002", by=AGENT) == ()
        # a fresh store with the same key finds the same (the key is the host's)
        again = SqlCaseStore(engine, wf, person_key=KEY)
        assert again.cases_of_person(passport="C1234567", by=AGENT) == ("PGD-1", "PGD-2")
        # another key finds nothing: the rows are useless without the key
        other = SqlCaseStore(engine, wf, person_key=b"another-key-16-bytes")
        assert other.cases_of_person(passport="C1234567", by=AGENT) == ()
    finally:
        engine.dispose()


def test_the_lookup_shows_only_cases_whose_personal_data_the_reader_may_read(
    url: str, wf: Workflow
) -> None:
    engine, store = seeded(url, wf)
    try:
        siti = {"passport": "C1234567"}
        dewi = {"nik": "5301010101010001"}
        assert store.cases_of_person(**siti, by=NTB) == ("PGD-1",)
        assert store.cases_of_person(**siti, by=NTT) == ("PGD-2",)
        # the office above a P4MI reads its cases; the P4MI does not read the BP3MI's
        assert store.cases_of_person(**dewi, by=NTB) == ("PGD-1", "PGD-3")
        assert store.cases_of_person(**dewi, by=LOMBOK) == ("PGD-3",)
        # the ministry sees cases but not personal data: it finds nothing
        assert store.cases_of_person(**siti, by=MINISTRY) == ()
        for case_id in ("PGD-1", "PGD-2"):
            case = store.get(case_id)
            for reader in (NTB, NTT, MINISTRY, AGENT):
                found = case_id in store.cases_of_person(**siti, by=reader)
                assert found == wf.may(case, "read_personal_data", by=reader)
    finally:
        engine.dispose()


def test_the_index_holds_keyed_hashes_only(url: str, wf: Workflow) -> None:
    engine, _ = seeded(url, wf)
    try:
        stored = rows(
            engine,
            "SELECT case_id, role, kind, digest FROM case_person_keys ORDER BY case_id, role, kind",
        )
        assert [r[:3] for r in stored if r[0] == "PGD-1"] == [
            ("PGD-1", "complainant", "passport"),
            ("PGD-1", "complainant", "phone"),
            ("PGD-1", "worker", "nik"),
            ("PGD-1", "worker", "phone"),
        ]
        expected = hmac.new(KEY, b"nik:5301010101010001", hashlib.sha256).digest()
        assert bytes(stored[2][3]) == expected  # type: ignore[arg-type]
        assert all(len(bytes(r[3])) == 32 for r in stored)  # type: ignore[arg-type]
    finally:
        engine.dispose()


def test_after_erasure_the_person_is_not_found_and_their_index_rows_are_gone(
    url: str, wf: Workflow
) -> None:
    engine, store = seeded(url, wf)
    try:
        store.erase_person("PGD-1", at=MARCH + dt.timedelta(days=1), by=HEAD_NTB)
        assert store.cases_of_person(passport="C1234567", by=AGENT) == ("PGD-2",)
        assert store.cases_of_person(nik="5301010101010001", by=AGENT) == ("PGD-3",)
        assert rows(engine, "SELECT count(*) FROM case_person_keys WHERE case_id = 'PGD-1'") == [
            (0,)
        ]
        assert store.get("PGD-1").complainant is not None  # a tombstone, kept
        # re-indexing does not bring an erased person back
        assert store.index_persons() == 3  # PGD-2, PGD-3 and PGD-4: not the erased two
        assert store.cases_of_person(passport="C1234567", by=AGENT) == ("PGD-2",)
    finally:
        engine.dispose()


def test_cases_stored_without_a_key_are_indexed_by_index_persons(url: str, wf: Workflow) -> None:
    upgrade(url)
    engine = sa.create_engine(url)
    try:
        plain = SqlCaseStore(engine, wf)
        plain.add(opened(wf, "PGD-1", "bp3mi-ntb", SITI, DEWI))
        plain.add(opened(wf, "PGD-2", "bp3mi-ntt", SITI))
        assert rows(engine, "SELECT count(*) FROM case_person_keys") == [(0,)]
        with pytest.raises(InvalidArgumentError, match="this store has no person_key"):
            plain.cases_of_person(passport="C1234567", by=AGENT)
        keyed = SqlCaseStore(engine, wf, person_key=KEY)
        assert keyed.cases_of_person(passport="C1234567", by=AGENT) == ()
        assert keyed.index_persons(batch=1) == 3
        assert keyed.cases_of_person(passport="C1234567", by=AGENT) == ("PGD-1", "PGD-2")
        # a new key: index again, and the old key's rows are replaced
        rotated = SqlCaseStore(engine, wf, person_key=b"the-next-key-of-the-host")
        assert rotated.index_persons() == 3
        assert rotated.cases_of_person(nik="5301010101010001", by=AGENT) == ("PGD-1",)
        assert keyed.cases_of_person(nik="5301010101010001", by=AGENT) == ()
    finally:
        engine.dispose()


def test_bad_keys_lookups_and_batches_are_refused(wf: Workflow) -> None:
    engine = sa.create_engine("sqlite://")
    create_all(engine)
    with pytest.raises(InvalidArgumentError, match="at least 16 bytes") as info:
        SqlCaseStore(engine, wf, person_key=b"short")
    assert "short" not in str(info.value)
    with pytest.raises(WrongTypeError, match="person_key must be bytes, got str"):
        SqlCaseStore(engine, wf, person_key="a text key of some length")  # type: ignore[arg-type]
    store = SqlCaseStore(engine, wf, person_key=KEY)
    with pytest.raises(InvalidArgumentError, match="give at least one of nik=, passport=, phone="):
        store.cases_of_person(by=AGENT)
    with pytest.raises(InvalidArgumentError, match="nik must have 16 digits") as bad:
        store.cases_of_person(nik="5301-0101", by=AGENT)
    assert "5301" not in str(bad.value)
    with pytest.raises(MigrantCareError):
        store.cases_of_person(nik="5301010101010001", by="officer-ntb")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="batch must be an int from 1 to 10000"):
        store.index_persons(batch=0)


# ---------------------------------------------------------------- nothing left: pg_dump


def test_after_erasure_a_pg_dump_holds_no_plaintext_and_no_hash_of_the_person(
    pg_db: str, wf: Workflow, tmp_path: pathlib.Path
) -> None:
    engine, store = seeded(pg_db, wf)
    try:
        # as written, and as normalised (which the store never writes in plaintext)
        written = {
            "Siti Aminah",
            "Dewi Lestari",
            "5301010101010001",
            "C 1234567",
            "0812-3456-789",
            "+62 813 1111 2222",
        }
        traces = written | {"C1234567", "+628123456789", "628123456789", "+6281311112222"}
        digests = {
            hmac.new(KEY, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
            for kind, value in [
                ("nik", "5301010101010001"),
                ("passport", "C1234567"),
                ("phone", "+628123456789"),
                ("phone", "+6281311112222"),
            ]
        }
        before = pg_dump(pg_db, tmp_path / "before.sql")
        # the check can see them: before the erasure every trace is there
        assert [t for t in written if t not in before] == []
        assert [d for d in digests if d not in before] == []
        for case_id in ("PGD-1", "PGD-2", "PGD-3"):  # every case of Siti and Dewi
            store.erase_person(case_id, at=MARCH + dt.timedelta(days=1), by=AGENT_ERASE)
        after = pg_dump(pg_db, tmp_path / "after.sql")
        assert [t for t in traces if t in after] == []
        assert [d for d in digests if d in after] == []
        # the person erased from all cases is found nowhere; the other still is
        assert store.cases_of_person(nik="5301010101010001", by=AGENT) == ()
        assert store.cases_of_person(passport="C1234567", by=AGENT) == ()
        assert store.cases_of_person(passport="X7654321", by=AGENT) == ("PGD-4",)
        assert "Rina Wati" in after
    finally:
        engine.dispose()


AGENT_ERASE = Actor("dpo-1", roles={"ministry_hq"}, office="call-centre")


def pg_dump(url: str, path: pathlib.Path) -> str:
    # beside the server's binaries, or where Debian puts them (the same major version)
    found = find_postgres_bin()
    places = ([found] if found is not None else []) + sorted(
        pathlib.Path("/usr/lib/postgresql").glob("*/bin"), reverse=True
    )
    binary = next(p / "pg_dump" for p in places if (p / "pg_dump").is_file())
    parsed = sa.engine.make_url(url)
    host = parsed.query.get("host") or parsed.host
    subprocess.run(
        [
            str(binary),
            "--host",
            str(host),
            "--port",
            str(parsed.port or 5432),
            "--username",
            parsed.username or "postgres",
            "--file",
            str(path),
            parsed.database or "postgres",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return path.read_text(encoding="utf-8")


def test_tables_not_yet_at_schema_3_still_erase(url: str, wf: Workflow) -> None:
    # a host that upgraded the library but not yet its tables: erasure must not need
    # the blind index's table
    upgrade(url, revision="mc0002")
    engine = sa.create_engine(url)
    try:
        store = SqlCaseStore(engine, wf)
        store.add(opened(wf, "PGD-1", "bp3mi-ntb", SITI, DEWI))
        erased = store.erase_person("PGD-1", at=MARCH + dt.timedelta(days=1), by=HEAD_NTB)
        assert store.get("PGD-1") == erased
    finally:
        engine.dispose()


# ---------------------------------------------------------------- the property


def _spaced(draw: st.DrawFn, text: str) -> str:
    gaps = draw(st.lists(st.integers(1, max(1, len(text) - 1)), max_size=3))
    for at in sorted(gaps, reverse=True):
        text = text[:at] + " " + text[at:]
    return text


@st.composite
def identities(draw: st.DrawFn) -> tuple[Person, dict[str, str]]:
    """A person, and the same identifiers as an officer might type them."""
    nik = draw(st.from_regex(r"[1-9][0-9]{15}", fullmatch=True))
    passport = draw(st.from_regex(r"[A-Z][0-9]{7}", fullmatch=True))
    national = draw(st.from_regex(r"8[1-9][0-9]{7,9}", fullmatch=True))
    person = Person("Siti Aminah", nik=nik, passport_number=passport, phone="0" + national)
    typed = {
        "nik": _spaced(draw, nik).replace(" ", draw(st.sampled_from([" ", "-", "."]))),
        "passport": _spaced(draw, draw(st.sampled_from([str.lower, str.upper]))(passport)),
        "phone": draw(st.sampled_from(["+62", "0062", "62", "0", "+62 0"])) + national,
    }
    return person, typed


@given(identities())
def test_whatever_identifier_an_officer_types_finds_the_case_until_erasure(
    identity: tuple[Person, dict[str, str]],
) -> None:
    person, typed = identity
    wf = complaint_workflow().bind(OFFICES)
    engine = sa.create_engine("sqlite://")
    create_all(engine)
    try:
        store = SqlCaseStore(engine, wf, person_key=KEY)
        store.add(opened(wf, "PGD-1", "bp3mi-ntb", person))
        store.add(opened(wf, "PGD-2", "bp3mi-ntb", OTHER))
        for kind, value in typed.items():
            assert store.cases_of_person(**{kind: value}, by=AGENT) == ("PGD-1",)
        store.erase_person("PGD-1", at=MARCH + dt.timedelta(days=1), by=HEAD_NTB)
        for kind, value in typed.items():
            assert store.cases_of_person(**{kind: value}, by=AGENT) == ()
        left = rows(engine, "SELECT DISTINCT case_id FROM case_person_keys")
        assert left == [("PGD-2",)]
    finally:
        engine.dispose()
