"""Workflow definitions as TOML / JSON documents: round trips, schema, errors, extension, CLI."""

from __future__ import annotations

import json
import pathlib
import sys
import textwrap

import jsonschema
import pytest
from hypothesis import given

from migrantcare import (
    Guard,
    Registry,
    WorkflowSpec,
    complaint_spec,
    dump_workflow,
    load_workflow,
    loads_workflow,
    outreach_spec,
    repatriation_spec,
    workflow_schema,
    workflow_to_dict,
)
from migrantcare.cli._cli import main as cli
from migrantcare.exceptions import (
    DefinitionFileError,
    WorkflowDefinitionError,
    WrongTypeError,
)

from .strategies import workflow_specs

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

STANDARD = [complaint_spec(), complaint_spec(sla=False), repatriation_spec(), outreach_spec()]
VALIDATOR = jsonschema.Draft202012Validator(workflow_schema())


def _parse(text: str, fmt: str) -> dict:  # type: ignore[type-arg]
    return json.loads(text) if fmt == "json" else tomllib.loads(text)


@pytest.mark.parametrize("fmt", ["toml", "json"])
@pytest.mark.parametrize("spec", STANDARD, ids=lambda s: s.name + ("" if s.sla else "-nosla"))
def test_standard_definitions_round_trip_and_match_the_schema(spec: WorkflowSpec, fmt: str) -> None:
    text = dump_workflow(spec, fmt)  # type: ignore[arg-type]
    assert loads_workflow(text, format=fmt) == spec  # type: ignore[arg-type]
    VALIDATOR.validate(_parse(text, fmt))


@pytest.mark.system
@given(workflow_specs())
def test_random_definitions_round_trip(spec: WorkflowSpec) -> None:
    for fmt in ("toml", "json"):
        text = dump_workflow(spec, fmt)  # type: ignore[arg-type]
        assert loads_workflow(text, format=fmt) == spec  # type: ignore[arg-type]
        VALIDATOR.validate(_parse(text, fmt))


def test_the_schema_is_valid_draft_2020_12_and_ships_in_the_docs() -> None:
    schema = workflow_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    docs = pathlib.Path(__file__).parents[1] / "docs" / "reference" / "workflow.schema.json"
    assert json.loads(docs.read_text()) == schema


def test_the_schema_refuses_what_the_loader_refuses() -> None:
    doc = workflow_to_dict(outreach_spec())
    doc["states"][0]["colour"] = "red"
    assert not VALIDATOR.is_valid(doc)
    with pytest.raises(DefinitionFileError, match="unknown key"):
        loads_workflow(json.dumps(doc), format="json")
    assert not VALIDATOR.is_valid({"name": "x"})
    assert VALIDATOR.is_valid({"extends": "complaint"})


def _load(text: str) -> WorkflowSpec:
    return loads_workflow(textwrap.dedent(text), format="toml", file="ntb.toml")


class TestErrors:
    def test_errors_name_the_file_the_key_path_and_what_is_allowed(self) -> None:
        with pytest.raises(DefinitionFileError) as info:
            _load(
                """
                name = "x"
                version = 1
                initial = "a"
                [[states]]
                id = "a"
                label_id = "A"
                label_en = "A"
                [[transitions]]
                trigger = "go"
                sources = ["a"]
                guards = ["employer_named"]
                """
            )
        message = str(info.value)
        assert message.startswith("ntb.toml: transitions[0].guards[0]: unknown guard")
        assert "registered: note_given, reason_given" in message
        assert (info.value.file, info.value.path) == ("ntb.toml", "transitions[0].guards[0]")

    @pytest.mark.parametrize(
        ("snippet", "path", "allowed"),
        [
            ('version = "1"', "version", "must be an integer"),
            ("colour = 1", "colour", "allowed here: format, extends"),
            ('format = "other/9"', "format", "this version reads 'migrantcare.workflow/1'"),
            (
                "[sla]\n[[sla.policies]]\ngoal = 'g'\ntarget = { unit = 'weeks' }",
                "sla.policies[0].target.unit",
                "allowed: working_days, working_time, elapsed",
            ),
            (
                "[vocabularies]\ncategories = 'colours'",
                "vocabularies.categories",
                "built in: categories",
            ),
            (
                "[[notices]]\non = 'open'\nkey = 'k.x'\nrecipient = 'officer'\n"
                "values = { x = 'case.secret' }",
                "notices[0]",
                "unknown value source 'case.secret'",
            ),
        ],
    )  # fmt: skip
    def test_each_kind_of_mistake(self, snippet: str, path: str, allowed: str) -> None:
        base = 'name = "x"\ninitial = "a"\ntransitions = []\n'
        if not snippet.startswith("version"):
            base += "version = 1\n"
        doc = base + snippet + '\n[[states]]\nid = "a"\nlabel_id = "A"\nlabel_en = "A"\n'
        if snippet.startswith("["):
            doc = base + 'states = [{ id = "a", label_id = "A", label_en = "A" }]\n' + snippet
        with pytest.raises(DefinitionFileError) as info:
            loads_workflow(doc, format="toml", file="f.toml")
        assert info.value.path == path
        assert allowed in str(info.value)

    def test_invalid_toml_and_unreadable_files(self, tmp_path: pathlib.Path) -> None:
        with pytest.raises(DefinitionFileError, match=r"f.toml: not valid TOML"):
            loads_workflow("name = ", file="f.toml")
        with pytest.raises(DefinitionFileError, match="cannot read it"):
            load_workflow(tmp_path / "missing.toml")

    def test_roles_live_in_permissions_not_on_a_transition(self) -> None:
        doc = workflow_to_dict(outreach_spec())
        doc["transitions"][0]["roles"] = ["officer"]
        assert not VALIDATOR.is_valid(doc)
        with pytest.raises(
            DefinitionFileError, match=r"transitions\[0\].roles: roles are given per action in"
        ):
            loads_workflow(json.dumps(doc), format="json")

    def test_unregistered_callbacks_cannot_be_written(self) -> None:
        spec = outreach_spec().with_callback("hold", lambda attempt: None)
        with pytest.raises(WrongTypeError, match="not in the registry"):
            dump_workflow(spec)

        def stamp(attempt: object) -> None:
            return None

        reg = Registry.standard().with_callbacks(stamp=stamp)
        spec = outreach_spec().with_callback("hold", stamp)
        text = dump_workflow(spec, registry=reg)
        assert 'callbacks = ["stamp"]' in text
        back = loads_workflow(text, registry=reg)
        assert back.transitions[1].callbacks == (stamp,)
        with pytest.raises(DefinitionFileError, match="unknown callback 'stamp'"):
            loads_workflow(text)


NTB = """
    extends = "complaint"
    name = "pengaduan_ntb"
    version = 2

    [[states]]
    id = "awaiting_employer"
    label_id = "Menunggu jawaban P3MI"
    label_en = "Awaiting the placement agency"
    waiting = true

    [[transitions]]
    trigger = "ask_employer"
    sources = ["in_handling"]
    dest = "awaiting_employer"
    guards = [{ require_data = "employer" }]

    [[transitions]]
    trigger = "employer_replied"
    sources = ["awaiting_employer"]
    dest = "in_handling"

    [[notices]]
    on = "ask_employer"
    key = "ntb.employer.asked"
    recipient = "complainant"
    values = { name = "complainant.name", asked_on = "event.date" }
"""


class TestExtends:
    def test_a_toml_extension_adds_a_state_a_transition_and_a_notice(self) -> None:
        spec = _load(NTB)
        assert (spec.name, spec.version) == ("pengaduan_ntb", 2)
        wf = spec.build()
        assert wf.state("awaiting_employer").waiting
        assert wf.destination("in_handling", "ask_employer") == "awaiting_employer"
        assert spec.notices[: len(complaint_spec().notices)] == complaint_spec().notices
        keys = {(p.kind, p.key) for p in wf.check_messages()}
        assert keys == {("missing", "ntb.employer.asked")}
        # its full form round-trips like any other
        assert loads_workflow(dump_workflow(spec)) == spec

    def test_removals(self) -> None:
        spec = _load(
            """
            extends = "complaint"
            remove_transitions = ["reopen"]
            remove_goals = ["settlement"]
            remove_notices = [{ on = "sla.warning" }]
            """
        )
        assert "reopen" not in {t.trigger for t in spec.transitions}
        assert spec.sla is not None
        assert "settlement" not in spec.sla.goals
        assert not spec.notices_on("sla.warning")
        assert not spec.notices_on("reopen")
        with pytest.raises(DefinitionFileError, match=r"remove_goals\[0\]: the workflow has no"):
            _load('extends = "complaint"\nremove_goals = ["speed"]')
        with pytest.raises(DefinitionFileError, match="extends: unknown workflow 'pengaduan'"):
            _load('extends = "pengaduan"')
        with pytest.raises(DefinitionFileError, match="only allowed together with 'extends'"):
            _load('remove_goals = ["x"]')

    def test_extending_a_registered_workflow_with_its_own_guard(self) -> None:
        ntb = _load(NTB)
        reg = (
            Registry.standard()
            .with_workflows(pengaduan_ntb=ntb)
            .with_guards(employer_named=Guard.require_data("employer"))
        )
        spec = loads_workflow(
            'extends = "pengaduan_ntb"\nversion = 3\n[[transitions]]\ntrigger = "chase"\n'
            'sources = ["awaiting_employer"]\ndest = "awaiting_employer"\n'
            'guards = ["employer_named"]\n',
            registry=reg,
        )
        assert spec.version == 3
        assert spec.transitions[-1].guards == (Guard.require_data("employer"),)

    def test_a_broken_extension_fails_at_build(self) -> None:
        spec = _load(NTB.replace('dest = "in_handling"', 'dest = "in_handlin"'))
        with pytest.raises(WorkflowDefinitionError, match="unknown state 'in_handlin'"):
            spec.build()


class TestCli:
    def test_check_a_file(self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
        good = tmp_path / "complaint.toml"
        good.write_text(dump_workflow(complaint_spec()), encoding="utf-8")
        assert cli(["workflow", "check", str(good)]) == 0
        assert "ok: complaint v1" in capsys.readouterr().out
        ntb = tmp_path / "ntb.toml"
        ntb.write_text(textwrap.dedent(NTB), encoding="utf-8")
        assert cli(["workflow", "check", str(ntb)]) == 2
        out = capsys.readouterr().out
        assert "[missing] en:ntb.employer.asked" in out
        assert "[missing] id:ntb.employer.asked" in out
        catalog = tmp_path / "catalog"
        for locale, text in (
            ("id", "P3MI dihubungi {asked_on}, {name}"),
            ("en", "Asked {asked_on}, {name}"),
        ):
            folder = catalog / locale / "LC_MESSAGES"
            folder.mkdir(parents=True)
            header = f'msgid ""\nmsgstr ""\n"Language: {locale}\\n"\n\n'
            (folder / "migrantcare.po").write_text(
                f'{header}msgid "ntb.employer.asked"\nmsgstr "{text}"\n', encoding="utf-8"
            )
        assert cli(["workflow", "check", str(ntb), "--catalog", str(catalog)]) == 0
        assert cli(["catalog", "check", str(catalog), "--workflow", str(ntb)]) == 0
        assert cli(["catalog", "check", "--workflow", str(ntb)]) == 1
        capsys.readouterr()
        broken = tmp_path / "broken.json"
        broken.write_text('{"name": "x"}', encoding="utf-8")
        assert cli(["workflow", "check", str(broken)]) == 2
        assert "broken.json: version: is required" in capsys.readouterr().err

    def test_mermaid_and_documents_from_files(
        self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        ntb = tmp_path / "ntb.toml"
        ntb.write_text(textwrap.dedent(NTB), encoding="utf-8")
        assert cli(["workflow", str(ntb), "--mermaid"]) == 0
        assert "in_handling --> awaiting_employer: ask_employer" in capsys.readouterr().out
        assert cli(["workflow", "outreach", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["name"] == "outreach"
        assert cli(["workflow", "nope"]) == 2
        assert "neither a standard workflow" in capsys.readouterr().err
