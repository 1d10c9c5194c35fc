"""Workflow definitions as data: a :class:`WorkflowSpec` to and from a TOML or JSON document.

The document is plain data a non-Python team can edit: states with labels and flags,
transitions, guards and callbacks *by registered name* (code never travels in a
document: the integrator passes a :class:`Registry` of the functions it may name), the
SLA plan, vocabularies and notices. Its JSON Schema (draft 2020-12) ships in the
package (:func:`workflow_schema`). Errors name the file, the key path and what is
allowed, e.g. ``ntb.toml: transitions[3].dest: 'closd' is not a state; states: …``.

A document either defines a workflow in full, or ``extends`` a registered one (a
standard workflow or one the integrator registered): it then adds or replaces states,
transitions, notices and SLA policies, and may remove transitions, notices and goals.
:func:`dump_workflow` always writes the full form, and ``load(dump(spec)) == spec``.

TOML is read with ``tomllib`` (``tomli`` on Python 3.10) and written by the small
writer below: the document's structure is known, so a general TOML library would add
a dependency for nothing.
"""

from __future__ import annotations

import importlib.resources
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal, TypeVar

import attrs

from migrantcare._validate import (
    MAX_DOCUMENT_DEPTH,
    decode_document,
    document_nesting,
    document_problem,
    quote,
)
from migrantcare._vocab import (
    CATEGORIES,
    CHANNELS,
    CLOSURE_REASONS,
    COMPLAINANT_TYPES,
    DOCUMENT_TYPES,
    OUTREACH_CATEGORIES,
    PRIORITIES,
    REPATRIATION_CATEGORIES,
    Term,
    Vocabulary,
    check_code,
)
from migrantcare.cases._notice_spec import NoticeSpec
from migrantcare.cases._workflow import Callback, Guard, State, Transition, WorkflowSpec
from migrantcare.definitions._standard import complaint_spec, outreach_spec, repatriation_spec
from migrantcare.exceptions import DefinitionFileError, MigrantCareError, WrongTypeError
from migrantcare.offices._permissions import OUR_DEFAULT, Permissions, Rule
from migrantcare.sla._sla import CaseMatch, SlaPlan, SlaPolicy, SlaTarget
from migrantcare.sla._units import SLA_UNITS, Unit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_T = TypeVar("_T")

#: The document format this version reads and writes.
FORMAT: Final = "migrantcare.workflow/1"
#: Built-in vocabularies a document may name instead of listing terms.
VOCABULARIES: Final = MappingProxyType(
    {
        "categories": CATEGORIES,
        "channels": CHANNELS,
        "complainant_types": COMPLAINANT_TYPES,
        "priorities": PRIORITIES,
        "closure_reasons": CLOSURE_REASONS,
        "repatriation_categories": REPATRIATION_CATEGORIES,
        "outreach_categories": OUTREACH_CATEGORIES,
        "document_types": DOCUMENT_TYPES,
    }
)
_VOCAB_FIELDS: Final = ("categories", "channels", "complainant_types", "priorities")
_STATE_SETS: Final = ("start_states", "pause_states", "stop_states")
_EVENT_SETS: Final = ("start_events", "stop_events")
_MATCH_KEYS: Final = ("categories", "priorities", "channels")
#: The largest workflow version: the SQL store keeps it in a 32-bit column.
MAX_VERSION: Final = 2**31 - 1


def _standard_guards() -> dict[str, Guard]:
    return {
        "note_given": Guard.require_note(),
        "reason_given": Guard.require_data("reason", allowed=CLOSURE_REASONS),
    }


def _standard_workflows() -> dict[str, Callable[[], WorkflowSpec]]:
    return {
        "complaint": complaint_spec,
        "repatriation": repatriation_spec,
        "outreach": outreach_spec,
    }


def _returning(spec: WorkflowSpec) -> Callable[[], WorkflowSpec]:
    return lambda: spec


def _frozen_map(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen
class Registry:
    """The guards, callbacks and base workflows a definition document may name.

    Code never travels in a document: a transition names ``guards = ["reason_given"]``
    and the registry the integrator passes says what that is. :meth:`standard` holds
    migrantcare's own guards and workflows; add yours with :meth:`with_guards`,
    :meth:`with_callbacks` and :meth:`with_workflows`.

    Attributes:
        guards: Name -> :class:`Guard`.
        callbacks: Name -> callback function.
        workflows: Name -> a function returning a :class:`WorkflowSpec` (for ``extends``).

    Examples:
        >>> from migrantcare import Guard
        >>> reg = Registry.standard().with_guards(employer_named=Guard.require_data("employer"))
        >>> sorted(reg.guards)
        ['employer_named', 'note_given', 'reason_given']
    """

    guards: Mapping[str, Guard] = attrs.field(factory=dict, converter=_frozen_map)
    callbacks: Mapping[str, Callback] = attrs.field(factory=dict, converter=_frozen_map)
    workflows: Mapping[str, Callable[[], WorkflowSpec]] = attrs.field(
        factory=dict, converter=_frozen_map
    )

    @classmethod
    def standard(cls) -> Registry:
        """The standard guards and workflows (``complaint``, ``repatriation``, ``outreach``)."""
        return cls(_standard_guards(), {}, _standard_workflows())

    def with_guards(self, **guards: Guard) -> Registry:
        """Return a registry with ``guards`` added (by name)."""
        for name, guard in guards.items():
            if not isinstance(guard, Guard):
                raise WrongTypeError(f"guard {name!r} must be a Guard, got {type(guard).__name__}")
        return attrs.evolve(self, guards={**self.guards, **guards})

    def with_callbacks(self, **callbacks: Callback) -> Registry:
        """Return a registry with ``callbacks`` added (by name)."""
        for name, callback in callbacks.items():
            if not callable(callback):
                raise WrongTypeError(f"callback {name!r} must be callable")
        return attrs.evolve(self, callbacks={**self.callbacks, **callbacks})

    def with_workflows(self, **workflows: WorkflowSpec) -> Registry:
        """Return a registry in which documents may extend ``workflows`` (by name)."""
        made: dict[str, Callable[[], WorkflowSpec]] = {}
        for name, spec in workflows.items():
            if not isinstance(spec, WorkflowSpec):
                raise WrongTypeError(
                    f"workflow {name!r} must be a WorkflowSpec, got {type(spec).__name__}"
                )
            made[name] = _returning(spec)
        return attrs.evolve(self, workflows={**self.workflows, **made})


# --------------------------------------------------------------------------- reading


class _Reader:
    """Reads one document, naming the file and key path in every error."""

    def __init__(self, file: str, registry: Registry) -> None:
        self.file = file
        self.registry = registry

    def fail(self, path: str, problem: str) -> DefinitionFileError:
        return DefinitionFileError(
            f"{self.file}: {path or '<top>'}: {problem}", file=self.file, path=path
        )

    def table(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"must be a table, got {_kind(value)}")
        return value

    def keys(self, doc: Mapping[str, Any], path: str, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in doc:
            if key not in allowed:
                raise self.fail(
                    _join(path, key), f"unknown key; allowed here: {', '.join(allowed)}"
                )

    def get(
        self,
        doc: Mapping[str, Any],
        key: str,
        path: str,
        kind: type | tuple[type, ...],
        default: Any = ...,
        *,
        low: int = 0,
        high: int = 0,
    ) -> Any:
        """``doc[key]`` if it is a ``kind`` (an int within ``low``..``high``)."""
        where = _join(path, key)
        if key not in doc:
            if default is ...:
                raise self.fail(where, "is required")
            return default
        value = doc[key]
        if kind is int:
            return self.integer(value, where, low, high)
        return self.of_kind(value, where, kind)

    def of_kind(self, value: Any, where: str, kind: type | tuple[type, ...]) -> Any:
        """``value`` if it is a ``kind`` (a boolean only where ``kind`` is ``bool``)."""
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            names = _type_names(kind)
            raise self.fail(where, f"must be {_TYPE_NAMES.get(names, names)}, got {_kind(value)}")
        return value

    def integer(self, value: Any, where: str, low: int, high: int) -> int:
        """``value`` if it is an integer (not a boolean) within ``low``..``high``."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"must be an integer, got {_kind(value)}")
        if not low <= value <= high:
            raise self.fail(where, f"must be between {low} and {high}, got {quote(value)}")
        return value

    def strings(
        self, doc: Mapping[str, Any], key: str, path: str, *, single: bool = False
    ) -> tuple[str, ...]:
        """A list of strings; also one string where the schema allows it (``single``)."""
        value = doc.get(key, [])
        where = _join(path, key)
        if single and isinstance(value, str):
            return (value,)
        if not isinstance(value, list):
            wanted = "a string or a list of strings" if single else "a list of strings"
            raise self.fail(where, f"must be {wanted}, got {_kind(value)}")
        return self.each_string(value, where)

    def each_string(self, value: list[Any], where: str) -> tuple[str, ...]:
        """``value`` if every item of it is a string."""
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(f"{where}[{i}]", f"must be a string, got {_kind(item)}")
        return tuple(value)

    def items(
        self, doc: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> list[tuple[str, Mapping[str, Any]]]:
        where = _join(path, key)
        if required and key not in doc:
            raise self.fail(where, "is required")
        value = doc.get(key, [])
        if not isinstance(value, list):
            raise self.fail(where, f"must be a list of tables, got {_kind(value)}")
        return [(f"{where}[{i}]", self.table(v, f"{where}[{i}]")) for i, v in enumerate(value)]

    def guard(self, value: Any, path: str) -> Guard:
        if isinstance(value, str):
            return self.named_guard(value, path)
        doc = self.table(value, path)
        if "require_note" in doc:
            return self.note_guard(doc, path)
        return self.data_guard(doc, path)

    def note_guard(self, doc: Mapping[str, Any], path: str) -> Guard:
        """``{ require_note = true }``."""
        self.keys(doc, path, ("require_note",))
        if doc["require_note"] is not True:
            raise self.fail(_join(path, "require_note"), "must be true")
        return Guard.require_note()

    def data_guard(self, doc: Mapping[str, Any], path: str) -> Guard:
        """``{ require_data = "key" }``, with ``allowed`` codes or a vocabulary's name."""
        self.keys(doc, path, ("require_data", "allowed"))
        key = self.get(doc, "require_data", path, str)
        allowed = doc.get("allowed")
        if allowed is None:
            return self.call(path, Guard.require_data, key)
        if isinstance(allowed, str):
            vocab = self.allowed_vocabulary(allowed, _join(path, "allowed"))
            return self.call(path, Guard.require_data, key, allowed=vocab)
        return self.call(path, Guard.require_data, key, allowed=self.strings(doc, "allowed", path))

    def named_guard(self, name: str, path: str) -> Guard:
        """The guard registered as ``name``."""
        guard = self.registry.guards.get(name)
        if guard is None:
            raise self.fail(
                path,
                f"unknown guard {quote(name)}; registered: "
                f"{', '.join(sorted(self.registry.guards)) or 'none'} "
                '(or write { require_data = "key", allowed = [...] } / '
                "{ require_note = true })",
            )
        return guard

    def allowed_vocabulary(self, name: str, path: str) -> Vocabulary:
        """The built-in vocabulary a guard's ``allowed`` names."""
        vocab = VOCABULARIES.get(name)
        if vocab is None:
            raise self.fail(
                path,
                f"unknown vocabulary {quote(name)}; use a list of codes or one of: "
                f"{', '.join(VOCABULARIES)}",
            )
        return vocab

    def callback(self, value: Any, path: str) -> Callback:
        if not isinstance(value, str) or value not in self.registry.callbacks:
            raise self.fail(
                path,
                f"unknown callback {quote(value)}; registered: "
                f"{', '.join(sorted(self.registry.callbacks)) or 'none'} "
                "(pass a Registry with your callbacks)",
            )
        return self.registry.callbacks[value]

    def state(self, doc: Mapping[str, Any], path: str) -> State:
        self.keys(doc, path, ("id", "label_id", "label_en", "terminal", "waiting"))
        return self.call(
            path,
            State,
            self.get(doc, "id", path, str),
            self.get(doc, "label_id", path, str),
            self.get(doc, "label_en", path, str),
            terminal=self.get(doc, "terminal", path, bool, False),
            waiting=self.get(doc, "waiting", path, bool, False),
        )

    def transition(self, doc: Mapping[str, Any], path: str) -> Transition:
        allowed = (
            "trigger",
            "sources",
            "dest",
            "guards",
            "callbacks",
            "label_id",
            "label_en",
            "roles",  # refused below with a pointer to [permissions]
        )
        self.keys(doc, path, allowed)
        guards = [
            self.guard(g, f"{_join(path, 'guards')}[{i}]")
            for i, g in enumerate(self._list(doc, "guards", path))
        ]
        callbacks = [
            self.callback(c, f"{_join(path, 'callbacks')}[{i}]")
            for i, c in enumerate(self._list(doc, "callbacks", path))
        ]
        self.refuse_roles(doc, path)
        return self.call(
            path,
            Transition,
            self.get(doc, "trigger", path, str),
            self.strings(doc, "sources", path, single=True)
            if "sources" in doc
            else self.get(doc, "sources", path, str),
            self.get(doc, "dest", path, str, None),
            guards=guards,
            callbacks=callbacks,
            label_id=self.get(doc, "label_id", path, str, ""),
            label_en=self.get(doc, "label_en", path, str, ""),
        )

    def refuse_roles(self, doc: Mapping[str, Any], path: str) -> None:
        """Refuse ``roles`` on a transition, pointing to where they belong."""
        if "roles" in doc:
            # who may fire a trigger is one rule for all its transitions, with its scope
            # and source: it lives in [permissions], not on one transition
            raise self.fail(
                _join(path, "roles"),
                "roles are given per action in [[permissions.rules]] "
                f"(action = {quote(doc.get('trigger', '<trigger>'))}, roles = [...]), not on a "
                "transition",
            )

    def rule(self, doc: Mapping[str, Any], path: str, *, action: bool) -> tuple[str, Rule]:
        keys = ("roles", "any_office", "source", "confirmed")
        self.keys(doc, path, ("action", *keys) if action else keys)
        name = self.get(doc, "action", path, str) if action else ""
        roles = self.get(doc, "roles", path, list)
        rule = self.call(
            path,
            Rule,
            self.strings(doc, "roles", path) if roles else (),
            any_office=self.strings(doc, "any_office", path),
            source=self.get(doc, "source", path, str, OUR_DEFAULT),
            confirmed=self.get(doc, "confirmed", path, bool, False),
        )
        return name, rule

    def permissions(self, doc: Mapping[str, Any], base: Permissions | None) -> Permissions:
        """The ``[permissions]`` table, applied to ``base`` (an extended workflow's)."""
        table = self.table(doc["permissions"], "permissions")
        self.keys(table, "permissions", ("cross_office", "default", "rules"))
        result = Permissions() if base is None else base
        if "cross_office" in table:
            cross = self.strings(table, "cross_office", "permissions")
            result = self.call("permissions.cross_office", attrs.evolve, result, cross_office=cross)
        if "default" in table:
            default = self.table(table["default"], "permissions.default")
            result = result.with_default(self.rule(default, "permissions.default", action=False)[1])
        # all at once: one rule at a time would copy the rules once per rule
        return self.call("permissions.rules", result.with_rules, self.rules(table))

    def rules(self, table: Mapping[str, Any]) -> dict[str, Rule]:
        """The ``[[permissions.rules]]``, by action (each action once)."""
        rules: dict[str, Rule] = {}
        for path, item in self.items(table, "rules", "permissions"):
            name, rule = self.rule(item, path, action=True)
            if name in rules:
                raise self.fail(_join(path, "action"), f"{quote(name)} has a rule already")
            self.call(_join(path, "action"), check_code, name, "action")
            rules[name] = rule
        return rules

    def _list(self, doc: Mapping[str, Any], key: str, path: str) -> list[Any]:
        value = doc.get(key, [])
        if not isinstance(value, list):
            raise self.fail(_join(path, key), f"must be a list, got {_kind(value)}")
        return value

    def vocabulary(self, value: Any, path: str) -> Vocabulary:
        if isinstance(value, str):
            vocab = VOCABULARIES.get(value)
            if vocab is None:
                raise self.fail(
                    path, f"unknown vocabulary {quote(value)}; built in: {', '.join(VOCABULARIES)}"
                )
            return vocab
        doc = self.table(value, path)
        self.keys(doc, path, ("name", "terms"))
        terms = []
        for where, t in self.items(doc, "terms", path):
            self.keys(t, where, ("code", "label_id", "label_en"))
            terms.append(
                self.call(
                    where,
                    Term,
                    self.get(t, "code", where, str),
                    self.get(t, "label_id", where, str),
                    self.get(t, "label_en", where, str),
                )
            )
        return self.call(path, Vocabulary, self.get(doc, "name", path, str), tuple(terms))

    def match(self, value: Any, path: str) -> CaseMatch:
        doc = self.table(value, path)
        self.keys(doc, path, _MATCH_KEYS)
        return self.call(
            path, CaseMatch, **{k: self.strings(doc, k, path, single=True) for k in _MATCH_KEYS}
        )

    def target(self, value: Any, path: str) -> SlaTarget:
        doc = self.table(value, path)
        name = self.get(doc, "unit", path, str)
        unit = self.unit(name, _join(path, "unit"))
        self.keys(doc, path, ("unit", *(part.key for part in unit.parts)))
        # each part bounded on its own, so a sum of them stays a number timedelta takes
        values = {
            part.key: self.get(
                doc, part.key, path, int, ... if part.required else 0, low=part.low, high=part.high
            )
            for part in unit.parts
        }
        return self.call(path, SlaTarget, name, **unit.target_fields(values))

    def unit(self, name: str, path: str) -> Unit:
        """The SLA unit a target names."""
        unit = SLA_UNITS.get(name)
        if unit is None:
            raise self.fail(path, f"unknown unit {quote(name)}; allowed: {', '.join(SLA_UNITS)}")
        return unit

    def policy(self, doc: Mapping[str, Any], path: str) -> SlaPolicy:
        allowed = (
            "goal", "variant", "target", *_STATE_SETS, "pause_on_waiting", *_EVENT_SETS,
            "warn_at", "escalate_with", "when", "source", "confirmed", "description", "basis",
        )  # fmt: skip
        self.keys(doc, path, allowed)
        warn = self.warn_at(doc, path)
        return self.call(
            path,
            SlaPolicy,
            self.get(doc, "goal", path, str),
            self.target(self.get(doc, "target", path, dict), _join(path, "target")),
            **{k: self.strings(doc, k, path, single=True) for k in (*_STATE_SETS, *_EVENT_SETS)},
            pause_on_waiting=self.get(doc, "pause_on_waiting", path, bool, True),
            warn_at=warn,
            escalate_with=self.get(doc, "escalate_with", path, str, None),
            variant=self.get(doc, "variant", path, str, "default"),
            when=self.optional_match(doc, "when", path),
            source=self.get(doc, "source", path, str, ""),
            confirmed=self.get(doc, "confirmed", path, bool, True),
            description=self.get(doc, "description", path, str, ""),
            basis=self.get(doc, "basis", path, str, None),
        )

    def warn_at(self, doc: Mapping[str, Any], path: str) -> list[Any]:
        """A policy's ``warn_at``: fractions of the target, each between 0 and 1."""
        warn = self._list(doc, "warn_at", path) if "warn_at" in doc else [0.5, 0.75]
        for i, w in enumerate(warn):
            if not _is_fraction(w):
                raise self.fail(
                    f"{_join(path, 'warn_at')}[{i}]",
                    f"must be a number between 0 and 1 (exclusive), got {_kind(w)}",
                )
        return warn

    def notice(self, doc: Mapping[str, Any], path: str) -> NoticeSpec:
        self.keys(doc, path, ("on", "key", "recipient", "values", "channels", "when", "unless"))
        values = self.value_sources(doc.get("values", {}), _join(path, "values"))
        return self.call(
            path,
            NoticeSpec,
            self.get(doc, "on", path, str),
            self.get(doc, "key", path, str),
            self.get(doc, "recipient", path, str),
            values,
            channels=self.strings(doc, "channels", path),
            when=self.optional_match(doc, "when", path),
            unless=self.optional_match(doc, "unless", path),
        )

    def value_sources(self, value: Any, path: str) -> Mapping[str, Any]:
        """A notice's ``values``: a table of names to value sources (strings)."""
        values = self.table(value, path)
        for name, source in values.items():
            if not isinstance(source, str):
                raise self.fail(
                    _join(path, name), f"must be a value source (a string), got {_kind(source)}"
                )
        return values

    def optional_match(self, doc: Mapping[str, Any], key: str, path: str) -> CaseMatch | None:
        """The case match at ``key`` (``when``, ``unless``), or ``None`` when it is absent."""
        return self.match(doc[key], _join(path, key)) if key in doc else None

    def call(self, path: str, make: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        try:
            return make(*args, **kwargs)
        except DefinitionFileError:
            raise
        except MigrantCareError as exc:
            raise self.fail(path, str(exc)) from None


_TYPE_NAMES: Final = MappingProxyType(
    {
        "str": "a string",
        "int": "an integer",
        "bool": "true or false",
        "dict": "a table",
        "list": "a list",
    }
)


def _is_fraction(value: Any) -> bool:
    """Whether ``value`` is a number (not a boolean) strictly between 0 and 1."""
    return not isinstance(value, bool) and isinstance(value, int | float) and 0 < value < 1


def _type_names(kind: type | tuple[type, ...]) -> str:
    """The Python name of ``kind``, or its names joined by "or"."""
    return kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {quote(value)}"
    return f"{type(value).__name__} {quote(value)}"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_TOP_KEYS: Final = (
    "format", "extends", "name", "version", "initial", "description", "states", "transitions",
    "remove_transitions", "vocabularies", "sla", "remove_goals", "notices", "remove_notices",
    "permissions",
)  # fmt: skip


def workflow_from_dict(
    doc: Mapping[str, Any], *, registry: Registry | None = None, file: str = "<document>"
) -> WorkflowSpec:
    """Read a workflow definition from a parsed document (a dict from TOML or JSON).

    Args:
        doc: The document.
        registry: The guards, callbacks and base workflows it may name;
            :meth:`Registry.standard` when omitted.
        file: The file name used in error messages.

    Raises:
        DefinitionFileError: naming the file, the key path and what is allowed.
    """
    reader = _Reader(file, registry if registry is not None else Registry.standard())
    doc = reader.table(doc, "")
    # what no document may hold, wherever it is (lone surrogates, huge numbers, deep
    # nesting): refused here, naming the key, rather than failing far away
    problem = document_problem(doc)
    if problem is not None:
        raise reader.fail(*problem)
    reader.keys(doc, "", _TOP_KEYS)
    _check_format(reader, doc)
    if "extends" in doc:
        return _extend(reader, doc)
    return _full(reader, doc)


def _check_format(reader: _Reader, doc: Mapping[str, Any]) -> None:
    fmt = reader.get(doc, "format", "", str, FORMAT)
    if fmt != FORMAT:
        raise reader.fail(
            "format", f"unsupported format {quote(fmt)}; this version reads {FORMAT!r}"
        )


def _full(reader: _Reader, doc: Mapping[str, Any]) -> WorkflowSpec:
    """A workflow the document defines in full (it extends none)."""
    _refuse_removals(reader, doc)
    vocabularies = _vocabularies(reader, doc)
    return reader.call(
        "",
        WorkflowSpec,
        name=reader.get(doc, "name", "", str),
        version=reader.get(doc, "version", "", int, low=1, high=MAX_VERSION),
        initial=reader.get(doc, "initial", "", str),
        states=tuple(reader.state(s, p) for p, s in reader.items(doc, "states", "", required=True)),
        transitions=tuple(
            reader.transition(t, p) for p, t in reader.items(doc, "transitions", "", required=True)
        ),
        description=reader.get(doc, "description", "", str, ""),
        sla=_plan(reader, doc),
        notices=tuple(reader.notice(n, p) for p, n in reader.items(doc, "notices", "")),
        permissions=reader.permissions(doc, None) if "permissions" in doc else None,
        **vocabularies,
    )


def _refuse_removals(reader: _Reader, doc: Mapping[str, Any]) -> None:
    """Removing is only for a workflow that extends another: there is nothing to remove."""
    for key in ("remove_transitions", "remove_goals", "remove_notices"):
        if key in doc:
            raise reader.fail(key, "only allowed together with 'extends'")


def _vocabularies(reader: _Reader, doc: Mapping[str, Any]) -> dict[str, Vocabulary]:
    """The ``[vocabularies]`` table, by field name (empty when there is none)."""
    vocabularies = reader.table(doc.get("vocabularies", {}), "vocabularies")
    reader.keys(vocabularies, "vocabularies", _VOCAB_FIELDS)
    return {k: reader.vocabulary(v, f"vocabularies.{k}") for k, v in vocabularies.items()}


def _plan(reader: _Reader, doc: Mapping[str, Any]) -> SlaPlan | None:
    if "sla" not in doc:
        return None
    sla = reader.table(doc["sla"], "sla")
    reader.keys(sla, "sla", ("policies",))
    return reader.call(
        "sla.policies",
        SlaPlan,
        tuple(
            reader.policy(p, path)
            for path, p in reader.items(sla, "policies", "sla", required=True)
        ),
    )


def _extend(reader: _Reader, doc: Mapping[str, Any]) -> WorkflowSpec:
    """A workflow the document builds on a registered one (its ``extends``)."""
    spec = _renamed_base(reader, doc)
    changes: dict[str, Any] = {
        key: reader.get(doc, key, "", str) for key in ("initial", "description") if key in doc
    }
    changes.update(_vocabularies(reader, doc))
    spec = attrs.evolve(spec, **changes)
    spec = _added(reader, doc, _removed(reader, doc, spec))
    spec = spec.with_sla(_extended_plan(reader, doc, spec.sla))
    if "permissions" in doc:
        # rules given replace the base's rules for those actions; the rest are kept
        spec = spec.with_permissions(reader.permissions(doc, spec.permissions))
    return spec.with_notice(*(reader.notice(n, p) for p, n in reader.items(doc, "notices", "")))


def _renamed_base(reader: _Reader, doc: Mapping[str, Any]) -> WorkflowSpec:
    """The workflow ``extends`` names, with the document's name and version."""
    base_name = reader.get(doc, "extends", "", str)
    make = reader.registry.workflows.get(base_name)
    if make is None:
        raise reader.fail(
            "extends",
            f"unknown workflow {quote(base_name)}; registered: "
            f"{', '.join(sorted(reader.registry.workflows)) or 'none'}",
        )
    spec = make()
    return reader.call(
        "name",
        spec.derive,
        name=reader.get(doc, "name", "", str, spec.name),
        version=reader.get(doc, "version", "", int, spec.version, low=1, high=MAX_VERSION),
    )


def _removed(reader: _Reader, doc: Mapping[str, Any], spec: WorkflowSpec) -> WorkflowSpec:
    """``spec`` without the transitions and notices the document removes."""
    for i, trigger in enumerate(reader.strings(doc, "remove_transitions", "")):
        spec = reader.call(f"remove_transitions[{i}]", spec.without_transition, trigger)
    for path, n in reader.items(doc, "remove_notices", ""):
        reader.keys(n, path, ("on", "key"))
        spec = reader.call(
            path,
            spec.without_notice,
            reader.get(n, "on", path, str),
            reader.get(n, "key", path, str, None),
        )
    return spec


def _added(reader: _Reader, doc: Mapping[str, Any], spec: WorkflowSpec) -> WorkflowSpec:
    """``spec`` with the states and transitions the document adds (or replaces)."""
    spec = spec.with_states(*(reader.state(s, p) for p, s in reader.items(doc, "states", "")))
    return spec.with_transitions(
        *(reader.transition(t, p) for p, t in reader.items(doc, "transitions", ""))
    )


def _without_goals(reader: _Reader, doc: Mapping[str, Any], plan: SlaPlan | None) -> SlaPlan | None:
    """``plan`` without the goals in ``remove_goals`` (each must be one of its goals)."""
    for i, goal in enumerate(reader.strings(doc, "remove_goals", "")):
        if plan is None or goal not in plan.goals:
            raise reader.fail(f"remove_goals[{i}]", f"the workflow has no SLA goal {quote(goal)}")
        plan = reader.call(f"remove_goals[{i}]", plan.without, goal)
    return plan


def _extended_plan(reader: _Reader, doc: Mapping[str, Any], plan: SlaPlan | None) -> SlaPlan | None:
    """The base's SLA plan without the goals removed, with the policies added."""
    plan = _without_goals(reader, doc, plan)
    added = _plan(reader, doc)
    if added is None:
        return plan
    return added if plan is None else reader.call("sla", plan.with_policies, *added.policies)


def _detect(text: str, fmt: str | None, file: str) -> Literal["toml", "json"]:
    if fmt in ("toml", "json"):
        return fmt  # type: ignore[return-value]
    if fmt is not None:
        raise DefinitionFileError(
            f"{file}: unknown format {quote(fmt)}; use 'toml' or 'json'", file=file, path=""
        )
    return _guess_format(text, file)


def _guess_format(text: str, file: str) -> Literal["toml", "json"]:
    """JSON for a ``.json`` file, or text that opens with ``{`` in a file not ``.toml``."""
    if file.endswith(".json") or (not file.endswith(".toml") and text.lstrip().startswith("{")):
        return "json"
    return "toml"


def loads_workflow(
    text: str,
    *,
    format: Literal["toml", "json"] | None = None,
    registry: Registry | None = None,
    file: str = "<document>",
) -> WorkflowSpec:
    """Read a workflow definition from TOML or JSON text.

    Args:
        text: The document.
        format: ``"toml"`` or ``"json"``; guessed from ``file`` or the text when omitted.
        registry: What guards, callbacks and ``extends`` may name.
        file: The name used in error messages.

    Raises:
        DefinitionFileError: the text does not parse, or the document is malformed.
        WorkflowDefinitionError: it does not make a valid workflow (checked by ``build``).
    """
    _check_text_and_file(text, file)
    doc = _parse(text, _detect(text, format, file), file)
    return workflow_from_dict(doc, registry=registry, file=file)


def _check_text_and_file(text: object, file: object) -> None:
    if not isinstance(text, str):
        raise WrongTypeError(f"a workflow definition must be text (str), got {type(text).__name__}")
    if not isinstance(file, str):
        raise WrongTypeError(f"file must be a str, got {type(file).__name__}")


def _parse(text: str, kind: Literal["toml", "json"], file: str) -> Any:
    """The document ``text`` holds, parsed as ``kind``; ``file`` names it in errors."""
    # both parsers recurse once per level: measure the nesting before they start
    if document_nesting(text, kind) > MAX_DOCUMENT_DEPTH:
        raise DefinitionFileError(
            f"{file}: nests deeper than {MAX_DOCUMENT_DEPTH} levels; a workflow definition "
            "needs five",
            file=file,
            path="",
        )
    try:
        return json.loads(text) if kind == "json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError, RecursionError) as exc:
        # RecursionError: a nesting the scan above under-counted (it never should)
        raise DefinitionFileError(
            f"{file}: not valid {kind.upper()}: {quote(str(exc), 200)}", file=file, path=""
        ) from None


def load_workflow(
    path: str | os.PathLike[str], *, registry: Registry | None = None
) -> WorkflowSpec:
    """Read a workflow definition from a ``.toml`` or ``.json`` file.

    Examples:
        >>> import pathlib, tempfile
        >>> from migrantcare import complaint_spec
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = pathlib.Path(tmp, "complaint.toml")
        ...     _ = path.write_text(dump_workflow(complaint_spec()), encoding="utf-8")
        ...     load_workflow(path) == complaint_spec()
        True
    """
    if not isinstance(path, str | os.PathLike):
        raise WrongTypeError(f"path must be a str or a path, got {type(path).__name__}")
    p = Path(path)
    try:
        raw = p.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise DefinitionFileError(f"{p}: cannot read it ({reason})", file=str(p), path="") from None
    text, problem = decode_document(raw)
    if text is None:
        raise DefinitionFileError(f"{p}: {problem}", file=str(p), path="")
    return loads_workflow(text, registry=registry, file=str(p))


# --------------------------------------------------------------------------- writing


def _name_of(value: Any, table: Mapping[str, Any], what: str, where: str) -> str:
    for name, registered in table.items():
        if registered is value or (what == "guard" and registered == value):
            return name
    raise WrongTypeError(
        f"{where}: the {what} {getattr(value, 'name', getattr(value, '__name__', '?'))!r} is "
        f"not in the registry; register it (Registry.with_{what}s) to write it to a document"
    )


_REQUIRED: Final = re.compile(r"^data\[(?P<key>'[^']*')\] must (be given|be one of: (?P<opts>.*))$")


def _guard_doc(guard: Guard, registry: Registry, where: str) -> Any:
    for name, registered in registry.guards.items():
        if registered == guard:
            return name
    written = _parameters_doc(guard)
    if written is None:
        return _name_of(guard, registry.guards, "guard", where)  # raises: not registered
    return written


def _parameters_doc(guard: Guard) -> dict[str, Any] | None:
    """A ``Guard.require_note()`` or ``Guard.require_data(...)`` guard as its parameters.

    ``None`` for any other guard: it can only be written by its registered name.
    """
    if guard == Guard.require_note():
        return {"require_note": True}
    found = _REQUIRED.match(guard.requirement)
    return None if found is None else _require_data_doc(guard, found)


def _require_data_doc(guard: Guard, found: re.Match[str]) -> dict[str, Any] | None:
    """``guard``'s parameters read back from its requirement, if they make that guard."""
    key = found.group("key")[1:-1]
    opts = found.group("opts")
    allowed = None if opts is None else opts.split(", ")
    if Guard.require_data(key, allowed=allowed) != guard:
        return None
    return {"require_data": key, **_unless_default(("allowed", allowed, None))}


def _vocab_doc(vocab: Vocabulary) -> Any:
    for name, builtin in VOCABULARIES.items():
        if builtin == vocab:
            return name
    return {
        "name": vocab.name,
        "terms": [{"code": t.code, "label_id": t.label_id, "label_en": t.label_en} for t in vocab],
    }


def _match_doc(match: CaseMatch) -> dict[str, Any]:
    return {k: sorted(getattr(match, k)) for k in _MATCH_KEYS if getattr(match, k)}


def _target_doc(target: SlaTarget) -> dict[str, Any]:
    return SLA_UNITS[target.unit].document(target)


def _unless_default(*fields: tuple[str, Any, Any]) -> dict[str, Any]:
    """The ``(key, value, default)`` fields whose value is not the default, in order.

    A document leaves a field out when it holds the default, so a written definition
    shows only what its author chose.
    """
    return {key: value for key, value, default in fields if value != default}


def _optional_match_doc(match: CaseMatch | None) -> dict[str, Any] | None:
    return None if match is None else _match_doc(match)


def _policy_doc(p: SlaPolicy) -> dict[str, Any]:
    # an omitted basis follows confirmed: written only when it says otherwise
    implied_basis = "regulation" if p.confirmed else "default"
    return {
        "goal": p.name,
        **_unless_default(
            ("variant", p.variant, "default"),
            ("target", _target_doc(p.target), None),
            *((key, sorted(getattr(p, key)), []) for key in (*_STATE_SETS, *_EVENT_SETS)),
            ("pause_on_waiting", p.pause_on_waiting, True),
            ("warn_at", list(p.warn_at), [0.5, 0.75]),
            ("escalate_with", p.escalate_with, None),
            ("when", _optional_match_doc(p.when), None),
            ("source", p.source, ""),
            ("confirmed", p.confirmed, True),
            ("description", p.description, ""),
            ("basis", p.basis, implied_basis),
        ),
    }


def _notice_doc(n: NoticeSpec) -> dict[str, Any]:
    return {
        "on": n.on,
        "key": n.key,
        "recipient": n.recipient,
        **_unless_default(
            ("values", dict(n.values), {}),
            ("channels", list(n.channels), []),
            ("when", _optional_match_doc(n.when), None),
            ("unless", _optional_match_doc(n.unless), None),
        ),
    }


def workflow_to_dict(spec: WorkflowSpec, *, registry: Registry | None = None) -> dict[str, Any]:
    """Return ``spec`` as a plain document (dicts, lists, strings, numbers, booleans).

    Args:
        spec: The definition.
        registry: Where its callbacks (and guards other than ``Guard.require_data`` /
            ``Guard.require_note`` ones) are registered by name.

    Raises:
        WrongTypeError: a guard or callback is not registered, or a target has a
            fraction of a second.
    """
    if not isinstance(spec, WorkflowSpec):
        raise WrongTypeError(f"workflow_to_dict needs a WorkflowSpec, got {type(spec).__name__}")
    reg = registry if registry is not None else Registry.standard()
    return {
        "format": FORMAT,
        "name": spec.name,
        "version": spec.version,
        **_unless_default(("description", spec.description, "")),
        "initial": spec.initial,
        **_unless_default(("vocabularies", _vocabularies_doc(spec), {})),
        "states": [_state_doc(s) for s in spec.states],
        "transitions": [_transition_doc(t, i, reg) for i, t in enumerate(spec.transitions)],
        **_declarations_doc(spec),
    }


def _vocabularies_doc(spec: WorkflowSpec) -> dict[str, Any]:
    """The vocabularies of ``spec`` that are not the defaults."""
    defaults = attrs.fields_dict(WorkflowSpec)
    return {
        k: _vocab_doc(getattr(spec, k))
        for k in _VOCAB_FIELDS
        if getattr(spec, k) != defaults[k].default
    }


def _declarations_doc(spec: WorkflowSpec) -> dict[str, Any]:
    """The SLA plan, notices and permissions of ``spec``, those it has, in that order."""
    sla = None if spec.sla is None else {"policies": [_policy_doc(p) for p in spec.sla.policies]}
    permissions = None if spec.permissions is None else _permissions_doc(spec.permissions)
    return _unless_default(
        ("sla", sla, None),
        ("notices", [_notice_doc(n) for n in spec.notices], []),
        ("permissions", permissions, None),
    )


def _state_doc(state: State) -> dict[str, Any]:
    return {
        "id": state.id,
        "label_id": state.label_id,
        "label_en": state.label_en,
        # the flags are written as true or left out
        **_unless_default(
            ("terminal", bool(state.terminal), False), ("waiting", bool(state.waiting), False)
        ),
    }


def _transition_doc(t: Transition, index: int, reg: Registry) -> dict[str, Any]:
    """The document of ``t``, the transition at ``index`` (named so in errors)."""
    where = f"transitions[{index}] ({t.trigger!r})"
    return {
        "trigger": t.trigger,
        "sources": list(t.sources),
        **_unless_default(
            ("dest", t.dest, None),
            ("guards", [_guard_doc(g, reg, where) for g in t.guards], []),
            ("callbacks", [_name_of(c, reg.callbacks, "callback", where) for c in t.callbacks], []),
            ("label_id", t.label_id, ""),
            ("label_en", t.label_en, ""),
        ),
    }


def _rule_doc(rule: Rule, action: str | None) -> dict[str, Any]:
    return {
        **_unless_default(("action", action, None)),
        "roles": list(rule.roles),
        **_unless_default(
            ("any_office", [r for r in rule.roles if r in rule.any_office], []),
            ("source", rule.source, OUR_DEFAULT),
            # written as true or left out
            ("confirmed", bool(rule.confirmed), False),
        ),
    }


def _permissions_doc(permissions: Permissions) -> dict[str, Any]:
    default = None if permissions.default is None else _rule_doc(permissions.default, None)
    return {
        "cross_office": sorted(permissions.cross_office),
        **_unless_default(("default", default, None)),
        "rules": [_rule_doc(rule, action) for action, rule in permissions.rules],
    }


_BARE: Final = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: str) -> str:
    return key if _BARE.match(key) else _toml_str(key)


def _toml_str(text: str) -> str:
    # JSON's string escapes are TOML's, except that TOML also wants DEL escaped
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_bool(value: bool) -> str:
    return "true" if value else "false"


def _toml_float(value: float) -> str:
    if not math.isfinite(value):
        raise WrongTypeError(f"cannot write {value!r} to a definition document")
    return repr(value)


def _toml_list(value: list[Any]) -> str:
    return "[" + ", ".join(_toml_value(v) for v in value) + "]"


def _toml_inline_table(value: Mapping[str, Any]) -> str:
    inner = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
    return "{ " + inner + " }" if inner else "{}"


#: How each kind of value is written, tried in order: bool before int (a bool is an int).
_TOML_WRITERS: Final[tuple[tuple[type | tuple[type, ...], Callable[[Any], str]], ...]] = (
    (bool, _toml_bool),
    (int, str),
    (float, _toml_float),
    (str, _toml_str),
    (list, _toml_list),
    (Mapping, _toml_inline_table),
)


def _toml_value(value: Any) -> str:
    for kind, write in _TOML_WRITERS:
        if isinstance(value, kind):
            return write(value)
    raise WrongTypeError(f"cannot write {type(value).__name__} to a definition document")


def _toml_table(lines: list[str], header: str, table: Mapping[str, Any]) -> None:
    lines.append("")
    lines.append(header)
    for key, value in table.items():
        if _is_table_list(value):
            # long lists of inline tables (vocabulary terms): one per line
            lines.append(f"{_toml_key(key)} = [")
            lines.extend(f"  {_toml_value(v)}," for v in value)
            lines.append("]")
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")


def _is_table_list(value: Any) -> bool:
    """Whether ``value`` is a list of tables (and not empty)."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _toml_tables(lines: list[str], header: str, items: Iterable[Mapping[str, Any]]) -> None:
    """An array of tables: one ``[[header]]`` table per item."""
    for item in items:
        _toml_table(lines, header, item)


def _is_section(value: Any) -> bool:
    """Whether a top-level value is written as a table or tables after the plain keys."""
    return isinstance(value, Mapping) or (
        isinstance(value, list) and bool(value) and isinstance(value[0], Mapping)
    )


def _toml_sla(lines: list[str], sla: Mapping[str, Any]) -> None:
    if not sla["policies"]:
        # an empty plan still has its table: it differs from no plan at all
        lines.extend(("", "[sla]", "policies = []"))
    _toml_tables(lines, "[[sla.policies]]", sla["policies"])


def _toml_permissions(lines: list[str], permissions: Mapping[str, Any]) -> None:
    head = {k: v for k, v in permissions.items() if k != "rules"}
    _toml_table(lines, "[permissions]", head)
    if not permissions["rules"]:
        lines.append("rules = []")
    _toml_tables(lines, "[[permissions.rules]]", permissions["rules"])


#: The document's sections after its plain keys, in the order they are written.
_TOML_SECTIONS: Final[tuple[tuple[str, Callable[[list[str], Any], None]], ...]] = (
    ("vocabularies", lambda lines, value: _toml_table(lines, "[vocabularies]", value)),
    ("states", lambda lines, value: _toml_tables(lines, "[[states]]", value)),
    ("transitions", lambda lines, value: _toml_tables(lines, "[[transitions]]", value)),
    ("sla", _toml_sla),
    ("notices", lambda lines, value: _toml_tables(lines, "[[notices]]", value)),
    ("permissions", _toml_permissions),
)


def _toml_document(doc: Mapping[str, Any]) -> str:
    lines = [
        f"{_toml_key(key)} = {_toml_value(value)}"
        for key, value in doc.items()
        if not _is_section(value)
    ]
    for key, write in _TOML_SECTIONS:
        if key in doc:
            write(lines, doc[key])
    return "\n".join(lines) + "\n"


def dump_workflow(
    spec: WorkflowSpec,
    format: Literal["toml", "json"] = "toml",
    *,
    registry: Registry | None = None,
) -> str:
    """Write ``spec`` as a TOML or JSON document (see :func:`workflow_to_dict`).

    Examples:
        >>> from migrantcare import outreach_spec
        >>> print(dump_workflow(outreach_spec()).splitlines()[0])
        format = "migrantcare.workflow/1"
    """
    doc = workflow_to_dict(spec, registry=registry)
    if format == "json":
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if format != "toml":
        raise WrongTypeError(f"unknown format {quote(format)}; use 'toml' or 'json'")
    return _toml_document(doc)


def workflow_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of the definition document.

    Examples:
        >>> workflow_schema()["$schema"]
        'https://json-schema.org/draft/2020-12/schema'
    """
    text = (
        importlib.resources.files("migrantcare")
        .joinpath("workflow.schema.json")
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema
