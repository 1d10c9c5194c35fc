"""Workflow definitions and the engine that fires events on cases.

A :class:`WorkflowSpec` is a frozen description (states, transitions, guards,
vocabularies) that integrators derive from; :meth:`WorkflowSpec.build` validates it
and compiles it into a :class:`Workflow`, which holds exactly one ``transitions.Machine``.

Why one machine per definition: a ``Machine`` per case costs ~100 µs and ~26 KB and is
freed only by the cyclic GC; a shared machine with ``add_model`` leaks until
``remove_model`` and slows as its model list grows. Instead each event is triggered
against a throwaway carrier object that holds only the state, as the ``transitions``
maintainers recommend; the result is copied into a new :class:`Case`. The machine is
never told about cases, so nothing per case stays behind.

The machine is the compiled definition: after building it, the dispatch table used to
fire events is read back out of it (``machine.events[trigger].transitions[source]``),
so what fires is exactly what ``transitions`` accepted. Firing then resolves the
trigger against that table and evaluates guards and callbacks directly, without
``Event.trigger``'s per-call ``EventData``, queue and debug logging (about 7 µs an
event; see ``benchmarks/bench_workflow.py``).
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from json.encoder import encode_basestring as _json_text  # what json.dumps uses, in C
from typing import Any, TypeVar

import attrs
from transitions import Machine

from migrantcare._locales import in_language
from migrantcare._validate import (
    MAX_EMBEDDED_JSON,
    MAX_INT,
    MAX_TEXT,
    check_id,
    check_name,
    check_names,
    check_text,
    check_trigger,
    quote,
)
from migrantcare._vocab import (
    CATEGORIES,
    CHANNELS,
    COMPLAINANT_TYPES,
    PRIORITIES,
    Vocabulary,
    check_code,
)
from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.cases._access import CaseAccess
from migrantcare.cases._erasure import check_expected_version, erase_personal_data
from migrantcare.cases._notice_spec import (
    POINTS,
    NoticeSpec,
    check_messages,
    notice_index,
    source_parts,
)
from migrantcare.exceptions import (
    CalendarMismatchError,
    CallbackError,
    GuardRejectedError,
    InvalidArgumentError,
    InvalidTransitionError,
    MigrantCareError,
    UnknownTermError,
    WorkflowDefinitionError,
    WorkflowMismatchError,
    WrongTypeError,
)
from migrantcare.messages._messages import CatalogProblem, Messages
from migrantcare.offices._actors import SYSTEM, Actor, check_actor, recorded_text
from migrantcare.offices._offices import Offices, check_office_id
from migrantcare.offices._permissions import (
    CASE_ACTIONS,
    ERASE,
    MIGRATE,
    OPEN,
    OUR_DEFAULT,
    TRANSFER,
    AccessControl,
    CaseLike,
    CompiledRule,
    Permissions,
    PersonalData,
    Rule,
    matrix_markdown,
    roles_text,
)
from migrantcare.records._case import (
    Case,
    CaseEvent,
    Person,
    canonical_json,
    hash_head,
    in_time_order,
    make_event,
    new_case,
    next_case,
    utc,
)
from migrantcare.records._sla_state import SlaClock
from migrantcare.sla._sla import (
    SlaPlan,
    SlaStatus,
    check_calendar,
)
from migrantcare.sla._tracker import SlaTracker

#: ``sources=ANY`` in a :class:`Transition` means every non-terminal state, including
#: states an integrator adds later.
ANY = "*"
_RESERVED_TRIGGERS = frozenset({"open", "migrate", "transfer", "trigger", "to_state"})
#: What every CallbackError says a callback may do.
_CALLBACK_CONTRACT = (
    "Allowed: a callback returns None or a mapping of JSON-compatible data (str keys; str, "
    "int, finite float, bool, None, lists and dicts), merged into the event's data; it "
    "refuses an event by raising a MigrantCareError (checks belong in guards)"
)


def _label(what: str) -> Any:
    """An attrs validator: a label or description is storable text (it may be empty).

    Definitions loaded from files are checked as they are read; these catch the same
    texts built in Python (a lone surrogate here would surface far away, in a diagram or
    a report, as a ``UnicodeEncodeError``).
    """

    def check(_instance: object, _attribute: object, value: object) -> None:
        check_text(value, what, empty=True)

    return check


@attrs.frozen
class State:
    """A state of a workflow.

    Attributes:
        id: Short snake_case id, e.g. ``"in_handling"``.
        label_id: Indonesian label, e.g. ``"Dalam penanganan"``.
        label_en: English label, e.g. ``"In handling"``.
        terminal: The case is finished here (it may still be reopened).
        waiting: The case waits on someone outside the office here (the complainant, an
            embassy): every running SLA clock pauses, unless its policy says
            ``pause_on_waiting=False``.
    """

    id: str = attrs.field(validator=lambda _i, _a, v: check_code(v, "state id"))
    label_id: str = attrs.field(validator=_label("state label_id"))
    label_en: str = attrs.field(validator=_label("state label_en"))
    terminal: bool = False
    waiting: bool = False

    def label(self, lang: str) -> str:
        """Return the label in ``lang``: ``"id"`` or ``"en"`` (``"id-ID"``, ``"en_GB"`` work too).

        Raises:
            MissingMessageError: ``lang`` is neither Indonesian nor English (e.g. ``"fr"``):
                no silent English.
        """
        return in_language(lang, self.label_id, self.label_en)


@attrs.frozen
class Attempt:
    """What guards and callbacks see about an event being fired.

    Attributes:
        case: The case as it is before the event.
        trigger: The event's trigger.
        source: The state before.
        dest: The state after (equal to ``source`` for an internal event).
        at: When (aware, UTC).
        by: Who (the :class:`~migrantcare.Actor`).
        note: The note, if any.
        data: The event's data (a copy: changing it changes nothing).
    """

    case: Case
    trigger: str
    source: str
    dest: str
    at: _dt.datetime
    by: Actor
    note: str | None
    data: Mapping[str, Any]


@attrs.frozen
class Guard:
    """A named condition an event must meet to fire.

    Attributes:
        name: Short id shown in errors, e.g. ``"reason_given"``.
        check: ``check(attempt) -> bool``; ``False`` refuses the event.
        requirement: What is required, in words, for the error message.

    Examples:
        >>> g = Guard.require_data("reason", allowed=["unreachable", "referred"])
        >>> g.requirement
        "data['reason'] must be one of: unreachable, referred"
    """

    name: str
    check: Callable[[Attempt], bool] = attrs.field(eq=False)
    requirement: str

    @classmethod
    def require_data(cls, key: str, *, allowed: Iterable[str] | Vocabulary | None = None) -> Guard:
        """A guard that requires ``data[key]``, optionally one of ``allowed``."""
        check_text(key, "a required data key", limit=200)
        options: tuple[str, ...] | None
        if isinstance(allowed, Vocabulary):
            options = allowed.codes
        else:
            options = None if allowed is None else check_names(allowed, "allowed values")
        if options is None:
            requirement = f"data[{key!r}] must be given"
        else:
            requirement = f"data[{key!r}] must be one of: {', '.join(options)}"
        return cls(f"{key}_given", _DataGiven(key, options), requirement)

    @classmethod
    def require_note(cls) -> Guard:
        """A guard that requires a non-empty note (e.g. the reason for reopening)."""
        return cls("note_given", _note_given, "a non-empty note is required")


# The built-in checks are module-level values, not closures, so that a workflow pickles
# (hosts hand workflows to worker processes).
@attrs.frozen
class _DataGiven:
    key: str
    options: tuple[str, ...] | None

    def __call__(self, attempt: Attempt) -> bool:
        value = attempt.data.get(self.key)
        return value is not None and (self.options is None or value in self.options)


def _note_given(attempt: Attempt) -> bool:
    return bool(attempt.note and attempt.note.strip())


def _workflow_from(spec: WorkflowSpec, offices: Offices | None, checked: bool) -> Workflow:
    """A workflow rebuilt from what it was made of: how a pickled one comes back."""
    workflow = Workflow(spec)
    if offices is not None:
        workflow = workflow.bind(offices)
    return workflow if checked else workflow._unchecked()


#: A callback runs when its transition fires, after the guards pass. It may return a
#: mapping merged into the event's data, or ``None``. If it raises, nothing changes.
Callback = Callable[[Attempt], "Mapping[str, Any] | None"]


def _sources(value: str | Iterable[str]) -> tuple[str, ...]:
    return check_names(value, "a transition's source")


def _guards(value: Iterable[Guard]) -> tuple[Guard, ...]:
    out = _items(value, "guards")
    for guard in out:
        if not isinstance(guard, Guard):
            raise WrongTypeError(f"guards must be Guard values, got {type(guard).__name__}")
    return out


def _callbacks(value: Iterable[Callback]) -> tuple[Callback, ...]:
    out = _items(value, "callbacks")
    for callback in out:
        if not callable(callback):
            raise WrongTypeError(f"callbacks must be callables, got {type(callback).__name__}")
    return out


def _items(value: object, what: str) -> tuple[Any, ...]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise WrongTypeError(f"{what} must be an iterable, got {type(value).__name__}")
    return tuple(value)


@attrs.frozen
class Transition:
    """An event that moves a case from one of ``sources`` to ``dest``.

    Attributes:
        trigger: The event's snake_case name, e.g. ``"verify"``.
        sources: The states it may fire from; ``("*",)`` means every non-terminal state.
        dest: The state it leads to; ``None`` for an internal event that records
            something without changing the state (e.g. ``"escalate"``).
        guards: Conditions that must all hold.
        callbacks: Functions run when it fires (see :data:`Callback`).
        label_id: Indonesian label of the action, e.g. ``"Verifikasi"``.
        label_en: English label of the action.
    """

    trigger: str = attrs.field(validator=lambda _i, _a, v: check_code(v, "trigger"))
    sources: tuple[str, ...] = attrs.field(converter=_sources)
    dest: str | None
    guards: tuple[Guard, ...] = attrs.field(default=(), converter=_guards)
    callbacks: tuple[Callback, ...] = attrs.field(default=(), converter=_callbacks, eq=False)
    label_id: str = attrs.field(default="", validator=_label("transition label_id"))
    label_en: str = attrs.field(default="", validator=_label("transition label_en"))


def _notice_specs(value: Iterable[NoticeSpec]) -> tuple[NoticeSpec, ...]:
    out = tuple(value)
    for n in out:
        if not isinstance(n, NoticeSpec):
            raise WrongTypeError(f"notices must be NoticeSpec values, got {type(n).__name__}")
    return out


def _replace_state(states: tuple[State, ...], new: State) -> tuple[State, ...]:
    return tuple(new if s.id == new.id else s for s in states)


@attrs.frozen
class WorkflowSpec:
    """A workflow definition: a frozen value integrators derive new definitions from.

    Every ``with_*`` / ``without_*`` method returns a new spec; :meth:`build` validates
    it and returns a runnable :class:`Workflow`.

    Attributes:
        name: The workflow's name, stored on every case (``"complaint"``).
        version: The definition's version, stored on every case.
        initial: The state a new case starts in.
        states: The states.
        transitions: The transitions.
        categories: Allowed category codes.
        channels: Allowed channel codes.
        complainant_types: Allowed complainant / person kinds.
        priorities: Allowed priority codes.
        description: One line on what the workflow is for.
        sla: The SLA policies whose clocks run on this workflow's cases, if any.
        permissions: Who may act (see :class:`Permissions`); ``None`` lets every actor
            perform every action on every office's cases (the standard workflows have
            permissions; a definition of your own should too).
        notices: The notices its events produce (see :class:`NoticeSpec`), in order.
    """

    name: str = attrs.field(validator=lambda _i, _a, v: check_code(v, "workflow name"))
    version: int
    initial: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    categories: Vocabulary = CATEGORIES
    channels: Vocabulary = CHANNELS
    complainant_types: Vocabulary = COMPLAINANT_TYPES
    priorities: Vocabulary = PRIORITIES
    description: str = attrs.field(default="", validator=_label("workflow description"))
    sla: SlaPlan | None = None
    permissions: Permissions | None = None
    notices: tuple[NoticeSpec, ...] = attrs.field(default=(), converter=_notice_specs)
    _notice_index: dict[str, tuple[NoticeSpec, ...]] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # point -> notices, looked up for every event notices() is asked about
        object.__setattr__(self, "_notice_index", notice_index(self.notices))

    def notices_on(self, point: str) -> tuple[NoticeSpec, ...]:
        """Return the notices declared on ``point`` (a trigger, ``"open"``, ``"sla.breach"``…)."""
        return self._notice_index.get(point, ())

    def with_notice(self, *notices: NoticeSpec) -> WorkflowSpec:
        """Return a spec with ``notices`` added.

        A notice with the same point (``on``) and message key as a declared one
        replaces it, in its place; others are appended.
        """
        current = list(self.notices)
        for n in notices:
            if not isinstance(n, NoticeSpec):
                raise WrongTypeError(f"expected a NoticeSpec, got {type(n).__name__}")
            for i, old in enumerate(current):
                if (old.on, old.key) == (n.on, n.key):
                    current[i] = n
                    break
            else:
                current.append(n)
        return attrs.evolve(self, notices=tuple(current))

    def without_notice(self, on: str, key: str | None = None) -> WorkflowSpec:
        """Return a spec without the notices on point ``on`` (only message ``key`` when given).

        Raises:
            WorkflowDefinitionError: no such notice is declared.
        """
        kept = tuple(n for n in self.notices if not (n.on == on and key in (None, n.key)))
        if len(kept) == len(self.notices):
            what = f" with key {key!r}" if key else ""
            declared = sorted({n.on for n in self.notices})
            raise WorkflowDefinitionError(
                f"workflow {self.name!r} declares no notice on {on!r}{what}; notices are "
                f"declared on: {', '.join(declared) or 'nothing'}"
            )
        return attrs.evolve(self, notices=kept)

    def derive(self, *, name: str | None = None, version: int | None = None) -> WorkflowSpec:
        """Return a copy under a new name and/or version (start of an extension)."""
        return attrs.evolve(
            self,
            name=self.name if name is None else name,
            version=self.version if version is None else version,
        )

    def with_states(self, *states: State) -> WorkflowSpec:
        """Return a spec with ``states`` added (a state with an existing id replaces it)."""
        current = list(self.states)
        # id -> position, so adding thousands of states stays linear
        where = {s.id: i for i, s in enumerate(current)}
        for state in states:
            if not isinstance(state, State):
                raise WrongTypeError(f"expected a State, got {type(state).__name__}")
            i = where.get(state.id)
            if i is None:
                where[state.id] = len(current)
                current.append(state)
            else:
                current[i] = state
        return attrs.evolve(self, states=tuple(current))

    def with_transitions(self, *transitions: Transition) -> WorkflowSpec:
        """Return a spec with ``transitions`` added."""
        for t in transitions:
            if not isinstance(t, Transition):
                raise WrongTypeError(f"expected a Transition, got {type(t).__name__}")
        return attrs.evolve(self, transitions=self.transitions + tuple(transitions))

    def without_transition(self, trigger: str, *, source: str | None = None) -> WorkflowSpec:
        """Return a spec without ``trigger`` (only from ``source`` when given).

        When no transition ``trigger`` is left, the notices declared on it and its
        permission rule go too.

        Raises:
            WorkflowDefinitionError: no such transition exists.
        """
        kept: list[Transition] = []
        found = False
        for t in self.transitions:
            if t.trigger != trigger:
                kept.append(t)
                continue
            if source is None:
                found = True
                continue
            expanded = self._expand(t.sources)
            if source in expanded:
                found = True
                rest = tuple(s for s in expanded if s != source)
                if rest:
                    kept.append(attrs.evolve(t, sources=rest))
            else:
                kept.append(t)
        if not found:
            where = f" from {quote(source)}" if source else ""
            raise WorkflowDefinitionError(
                f"workflow {self.name!r} has no transition {quote(trigger)}{where} to remove"
            )
        notices, permissions = self.notices, self.permissions
        if not any(t.trigger == trigger for t in kept):
            # the trigger is gone: so are the notices declared on it and its permission
            # rule (a rule for an action the workflow lacks would fail build())
            notices = tuple(n for n in notices if n.on != trigger)
            if permissions is not None and trigger not in CASE_ACTIONS:
                permissions = permissions.without_rule(trigger)
        return attrs.evolve(self, transitions=tuple(kept), notices=notices, permissions=permissions)

    def with_labels(self, state: str, *, label_id: str, label_en: str) -> WorkflowSpec:
        """Return a spec in which state ``state`` carries new labels."""
        current = self._state(state)
        return attrs.evolve(
            self,
            states=_replace_state(
                self.states, attrs.evolve(current, label_id=label_id, label_en=label_en)
            ),
        )

    def with_guard(self, trigger: str, guard: Guard) -> WorkflowSpec:
        """Return a spec in which every transition ``trigger`` also requires ``guard``."""
        return self._amend(trigger, lambda t: attrs.evolve(t, guards=(*t.guards, guard)))

    def with_callback(self, trigger: str, callback: Callback) -> WorkflowSpec:
        """Return a spec in which every transition ``trigger`` also runs ``callback``."""
        return self._amend(trigger, lambda t: attrs.evolve(t, callbacks=(*t.callbacks, callback)))

    def _amend(self, trigger: str, change: Callable[[Transition], Transition]) -> WorkflowSpec:
        if not any(t.trigger == trigger for t in self.transitions):
            raise WorkflowDefinitionError(f"workflow {self.name!r} has no trigger {quote(trigger)}")
        return attrs.evolve(
            self,
            transitions=tuple(change(t) if t.trigger == trigger else t for t in self.transitions),
        )

    def with_sla(self, plan: SlaPlan | None) -> WorkflowSpec:
        """Return a spec whose cases carry the clocks of ``plan`` (``None``: no SLA)."""
        if plan is not None and not isinstance(plan, SlaPlan):
            raise WrongTypeError(f"expected an SlaPlan, got {type(plan).__name__}")
        return attrs.evolve(self, sla=plan)

    def with_permissions(self, permissions: Permissions | None) -> WorkflowSpec:
        """Return a spec with ``permissions`` (``None``: no restriction on who may act)."""
        if permissions is not None and not isinstance(permissions, Permissions):
            raise WrongTypeError(f"expected Permissions, got {type(permissions).__name__}")
        return attrs.evolve(self, permissions=permissions)

    def with_roles(
        self,
        action: str,
        *roles: str,
        any_office: Iterable[str] = (),
        source: str = OUR_DEFAULT,
        confirmed: bool = False,
    ) -> WorkflowSpec:
        """Return a spec in which only ``roles`` may perform ``action``.

        Args:
            action: A trigger, or ``open``, ``transfer``, ``migrate``, ``erase``,
                ``read_personal_data``.
            *roles: The roles allowed, in order of preference (none: nobody may).
            any_office: Those of ``roles`` that may act on any office's case.
            source: Where the rule comes from (a regulation, or our own default).
            confirmed: ``True`` when ``source`` says who decides.

        Raises:
            WorkflowDefinitionError: ``action`` is neither a trigger nor a case-wide action.
        """
        if action not in CASE_ACTIONS and not any(t.trigger == action for t in self.transitions):
            raise WorkflowDefinitionError(
                f"workflow {self.name!r} has no trigger {action!r} to set roles for (case-wide "
                f"actions: {', '.join(CASE_ACTIONS)})"
            )
        rule = Rule(roles, any_office=any_office, source=source, confirmed=confirmed)
        return attrs.evolve(self, permissions=self._permissions().with_rule(action, rule))

    def with_cross_office(self, *roles: str) -> WorkflowSpec:
        """Return a spec in which ``roles`` act on every office's cases."""
        return attrs.evolve(self, permissions=self._permissions().with_cross_office(*roles))

    def without_cross_office(self, *roles: str) -> WorkflowSpec:
        """Return a spec in which ``roles`` act only on their own office's cases."""
        return attrs.evolve(self, permissions=self._permissions().without_cross_office(*roles))

    def _permissions(self) -> Permissions:
        return Permissions() if self.permissions is None else self.permissions

    def with_vocabularies(
        self,
        *,
        categories: Vocabulary | None = None,
        channels: Vocabulary | None = None,
        complainant_types: Vocabulary | None = None,
        priorities: Vocabulary | None = None,
    ) -> WorkflowSpec:
        """Return a spec with some vocabularies replaced (e.g. extended categories)."""
        return attrs.evolve(
            self,
            categories=categories or self.categories,
            channels=channels or self.channels,
            complainant_types=complainant_types or self.complainant_types,
            priorities=priorities or self.priorities,
        )

    def _state(self, state_id: str) -> State:
        for s in self.states:
            if s.id == state_id:
                return s
        raise WorkflowDefinitionError(
            f"workflow {self.name!r} has no state {quote(state_id)}; states: "
            f"{', '.join(s.id for s in self.states)}"
        )

    def _expand(self, sources: tuple[str, ...]) -> tuple[str, ...]:
        if ANY in sources:
            return tuple(s.id for s in self.states if not s.terminal)
        return sources

    def build(self) -> Workflow:
        """Validate the definition and compile it.

        Raises:
            WorkflowDefinitionError: duplicate or unknown states, unreachable states,
                non-terminal dead ends, or one trigger defined twice from one state.
        """
        return Workflow(self)


def _sweep_problems(spec: WorkflowSpec, permissions: Permissions, where: str) -> list[str]:
    """Breach escalations fire as the sweeps' ``system`` actor: it must be allowed to."""
    if spec.sla is None:
        return []
    return [
        f"{where}: SLA policy {policy.name!r} escalates with {policy.escalate_with!r}, which "
        "the role 'system' (the sweeps' actor, no office) may not fire on every office's "
        f"cases; allow it with spec.with_roles({policy.escalate_with!r}, ..., 'system')"
        for policy in spec.sla.policies
        if policy.escalate_with is not None
        and not _system_may_fire(permissions, policy.escalate_with)
    ]


def _system_may_fire(permissions: Permissions, trigger: str) -> bool:
    """Whether the role ``system`` may fire ``trigger`` on the cases of every office.

    A trigger without a rule counts as allowed here: it is reported as a missing rule.
    """
    try:
        rule = permissions.rule(trigger)
    except InvalidArgumentError:
        return True
    anywhere = "system" in permissions.cross_office or "system" in rule.any_office
    return "system" in rule.roles and anywhere


def _validate(spec: WorkflowSpec) -> dict[tuple[str, str], Transition]:
    """Check ``spec`` and return its transition table keyed by (source, trigger)."""
    where = f"workflow {spec.name!r} v{spec.version}"
    known = _checked_states(spec, where)
    table: dict[tuple[str, str], Transition] = {}
    for t in spec.transitions:
        _add_transition(table, t, spec, known, where)
    triggers = {t.trigger for t in spec.transitions}
    if spec.sla is not None:
        _refuse(spec.sla.check_against(known, triggers, where))
    if spec.permissions is not None:
        _refuse(
            [
                *spec.permissions.problems(triggers, where),
                *_sweep_problems(spec, spec.permissions, where),
            ]
        )
    _refuse(_check_notices(spec, where))
    _check_ways(spec, table, where)
    return table


def _refuse(problems: list[str]) -> None:
    """Raise the problems found in a definition, all in one error, if there are any."""
    if problems:
        raise WorkflowDefinitionError("; ".join(problems))


def _checked_states(spec: WorkflowSpec, where: str) -> set[str]:
    """The ids of the states of ``spec``, once its version, states and initial are checked."""
    if type(spec.version) is not int or spec.version < 1:
        raise WorkflowDefinitionError(f"{where}: version must be an int >= 1")
    ids = [s.id for s in spec.states]
    known = set(ids)
    duplicates = (
        sorted(i for i, n in Counter(ids).items() if n > 1) if len(known) < len(ids) else []
    )
    if duplicates:
        raise WorkflowDefinitionError(f"{where}: duplicate states {duplicates}")
    if spec.initial not in known:
        raise WorkflowDefinitionError(f"{where}: initial state {spec.initial!r} is not a state")
    return known


def _add_transition(
    table: dict[tuple[str, str], Transition],
    t: Transition,
    spec: WorkflowSpec,
    known: set[str],
    where: str,
) -> None:
    """Put ``t`` in ``table`` once for each of its sources, refusing what cannot be."""
    if t.trigger in _RESERVED_TRIGGERS:
        raise WorkflowDefinitionError(f"{where}: trigger {t.trigger!r} is reserved")
    if t.dest is not None and t.dest not in known:
        raise WorkflowDefinitionError(
            f"{where}: transition {t.trigger!r} leads to unknown state {t.dest!r}"
        )
    for source in spec._expand(t.sources):
        if source not in known:
            raise WorkflowDefinitionError(
                f"{where}: transition {t.trigger!r} starts from unknown state {source!r}"
            )
        if (source, t.trigger) in table:
            raise WorkflowDefinitionError(
                f"{where}: trigger {t.trigger!r} is defined twice from state {source!r}"
            )
        table[source, t.trigger] = t


def _check_ways(
    spec: WorkflowSpec, table: Mapping[tuple[str, str], Transition], where: str
) -> None:
    """Refuse a state that cannot be reached, and one that is a dead end but not terminal."""
    edges = _edges(table)
    reached = _reached(spec.initial, edges)
    unreachable = [s.id for s in spec.states if s.id not in reached]
    if unreachable:
        raise WorkflowDefinitionError(
            f"{where}: states {unreachable} cannot be reached from {spec.initial!r}"
        )
    for s in spec.states:
        if not s.terminal and s.id not in edges:
            raise WorkflowDefinitionError(
                f"{where}: state {s.id!r} is a dead end (no way out) but is not terminal"
            )


def _edges(table: Mapping[tuple[str, str], Transition]) -> dict[str, list[str]]:
    """The states each state leads to (itself left out), over the table's rows."""
    edges: dict[str, list[str]] = {}
    for (source, _), t in table.items():
        if t.dest is not None and t.dest != source:
            edges.setdefault(source, []).append(t.dest)
    return edges


def _reached(initial: str, edges: Mapping[str, list[str]]) -> set[str]:
    """The states reachable from ``initial``.

    Linear in the edges listed once: a definition may have tens of thousands of states.
    """
    reached, frontier = {initial}, [initial]
    while frontier:
        for dest in edges.get(frontier.pop(), ()):
            if dest not in reached:
                reached.add(dest)
                frontier.append(dest)
    return reached


def _effective_plan(spec: WorkflowSpec) -> SlaPlan | None:
    """The SLA plan as the engine runs it: waiting states added to each policy's pauses."""
    plan = spec.sla
    if plan is None:
        return None
    waiting = frozenset(s.id for s in spec.states if s.waiting)
    if not waiting:
        return plan
    return SlaPlan(
        tuple(
            attrs.evolve(p, pause_states=p.pause_states | waiting) if p.pause_on_waiting else p
            for p in plan.policies
        )
    )


def _check_notices(spec: WorkflowSpec, where: str) -> list[str]:
    """Return problems of the declared notices against the triggers and SLA goals."""
    triggers = {t.trigger for t in spec.transitions}
    # A clock source of a goal the plan does not have (or of any goal, without a plan)
    # does not resolve and its alternative is used: a plan can be replaced without
    # rewriting the notices. Only a goal with nothing to fall back on is refused: a typo.
    goals = set(spec.sla.goals) if spec.sla is not None else set()
    problems = []
    for n in spec.notices:
        if n.on not in POINTS and n.on not in triggers:
            problems.append(
                f"{where}: notice {n.key!r} is declared on {n.on!r}, which is neither a trigger "
                f"of the workflow nor one of: {', '.join(POINTS)}"
            )
        problems.extend(_notice_goal_problems(n, goals, where))
    return problems


def _notice_goal_problems(notice: NoticeSpec, goals: set[str], where: str) -> list[str]:
    """A problem for each value of ``notice`` that reads an SLA goal not in ``goals``."""
    problems = []
    for name, source in notice.values:
        head, _, goal = source_parts(source)[-1].partition(".")
        if head in ("due", "period") and goal not in goals:
            problems.append(
                f"{where}: notice {notice.key!r} value {name!r} reads SLA goal {goal!r}, which "
                f"the workflow does not have (goals: {', '.join(sorted(goals)) or 'none'}); "
                "add an alternative (e.g. '| event.at') or fix the goal"
            )
    return problems


@attrs.frozen(eq=False)  # compared and hashed by identity: one object per row, a cache key
class _Step:
    """One row of the dispatch table: what firing a trigger from a state does."""

    trigger: str
    source: str
    dest: str
    guards: tuple[Guard, ...]
    callbacks: tuple[Callback, ...]
    # who may fire it, compiled (None: the definition has no permissions)
    rule: CompiledRule | None = None
    # the hashed text of kind, name, source and dest: the same for every case
    head: str = ""


_W = TypeVar("_W", bound="CompiledWorkflow")


class CompiledWorkflow:
    """A :class:`WorkflowSpec` validated and compiled, as :class:`Workflow` runs it.

    The base of :class:`Workflow`: everything a workflow is and answers without changing
    a case. It holds one ``transitions.Machine`` and the dispatch table read back out of
    it, the description built from them (states, events, diagram, permission matrix,
    message checks), who may do what (a :class:`~migrantcare.cases._access.CaseAccess`),
    the SLA tracker its operations move the clocks with, and the binding to an office
    registry that says which calendar a case's clocks run on. :class:`Workflow` adds the
    operations on cases.
    """

    __slots__ = (
        "_allowed",
        "_case_access",
        "_machine",
        "_offices",
        "_open_head",
        "_plain",
        "_plan",
        "_sla",
        "_states",
        "_steps",
        "_table",
        "spec",
    )

    def __init__(self, spec: WorkflowSpec) -> None:
        """Validate ``spec`` and compile it; prefer :meth:`WorkflowSpec.build`."""
        self.spec = spec
        self._table = _validate(spec)
        self._states = {s.id: s for s in spec.states}
        self._offices: Offices | None = None
        # the hashed text of every opening event's kind, name, source and destination
        self._open_head = hash_head("opened", "open", None, spec.initial)
        self._plan = _effective_plan(spec)
        # one per definition, shared by its bindings: the clocks do not depend on offices
        self._sla = SlaTracker(self._plan)
        # Who may act, compiled once per (state, trigger) so a check is a set test.
        control = None if spec.permissions is None else AccessControl(spec.permissions, self._table)
        self._case_access = CaseAccess(control, self._table, spec.name)
        self._machine, self._steps = _compiled(spec, self._table, control)
        allowed: dict[str, list[str]] = {s.id: [] for s in spec.states}
        for source, trigger in self._table:  # definition order, for stable listings
            allowed[source].append(trigger)
        self._allowed = {k: tuple(v) for k, v in allowed.items()}
        # the copy without permission checks that replays use: made once (see _unchecked)
        self._plain: CompiledWorkflow | None = None

    # ------------------------------------------------------------------ description

    @property
    def name(self) -> str:
        """The workflow's name."""
        return self.spec.name

    @property
    def version(self) -> int:
        """The definition's version."""
        return self.spec.version

    @property
    def states(self) -> tuple[State, ...]:
        """The states, in definition order."""
        return self.spec.states

    @property
    def permissions(self) -> Permissions | None:
        """Who may act on this workflow's cases (``None``: every actor, every action)."""
        return self.spec.permissions

    def permission_matrix(self, lang: str = "en") -> str:
        """Return who may do what as a Markdown table (the docs generate theirs with it).

        Raises:
            InvalidArgumentError: the workflow has no permissions.
        """
        if self.spec.permissions is None:
            raise InvalidArgumentError(f"workflow {self.name!r} has no permissions to list")
        labels: dict[str, str] = {}
        for t in self.spec.transitions:  # a trigger may be defined more than once
            labels.setdefault(t.trigger, in_language(lang, t.label_id, t.label_en) or t.trigger)
        return matrix_markdown(self.spec.permissions, labels.items(), lang)

    def state(self, state_id: str) -> State:
        """Return the state ``state_id``.

        Raises:
            WorkflowDefinitionError: there is no such state.
        """
        try:
            return self._states[check_name(state_id, "state")]
        except KeyError:
            return self.spec._state(state_id)

    def __repr__(self) -> str:
        return (
            f"Workflow(name={self.name!r}, version={self.version}, states={len(self._states)}, "
            f"transitions={len(self._table)})"
        )

    def allowed_events(
        self, case_or_state: Case | str, *, by: Actor | None = None
    ) -> tuple[str, ...]:
        """Return the triggers defined from the case's state (guards are not evaluated).

        Args:
            case_or_state: A case, or a state id.
            by: Only the triggers this actor may fire on the case (needs a case: the
                office holding it decides the scope).
        """
        state = (
            case_or_state.state
            if isinstance(case_or_state, Case)
            else check_name(case_or_state, "state")
        )
        try:
            triggers = self._allowed[state]
        except KeyError:
            raise InvalidArgumentError(
                f"workflow {self.name!r} has no state {state!r}; states: {', '.join(self._states)}"
            ) from None
        return self._case_access.permitted(case_or_state, triggers, by)

    def destination(self, state: str, trigger: str) -> str:
        """Return the state ``trigger`` leads to from ``state`` (``state`` for internal events).

        Raises:
            InvalidArgumentError: ``trigger`` is not defined from ``state``.
        """
        step = self._steps.get((check_name(state, "state"), check_name(trigger, "trigger")))
        if step is None:
            raise InvalidArgumentError(
                f"workflow {self.name!r} has no event {quote(trigger)} from state {state!r}"
            )
        return step.dest

    def mermaid(self, lang: str = "en") -> str:
        """Return the workflow as a Mermaid ``stateDiagram-v2``, labels in ``lang``.

        When the definition has permissions, each arrow names the roles that may fire it
        (``*``: on any office's cases), and a note lists internal events and case-wide
        actions with theirs.

        Examples:
            >>> from migrantcare import outreach_workflow
            >>> print(outreach_workflow().mermaid().splitlines()[2])
                state "Coordinated with the regional government" as coordinated
        """
        return "\n".join(_mermaid_lines(self.spec, self._table, lang))

    def check_messages(self, messages: Messages | None = None) -> list[CatalogProblem]:
        """Check that ``messages`` render every notice this workflow declares, in every locale.

        Run it at start-up (and in your tests) with the catalogs you will send with,
        overrides included: a missing translation or a placeholder the notice does not
        pass is reported here, before any case exists, not at the first SLA warning.

        Args:
            messages: The catalogs; migrantcare's own when omitted.

        Returns:
            The problems (kinds ``"missing"``, ``"placeholders"``, ``"unused"``); empty
            when every notice renders.

        Examples:
            >>> from migrantcare import Messages, complaint_workflow
            >>> wf = complaint_workflow()
            >>> wf.check_messages()
            []
            >>> broken = Messages.default().with_messages("en", {"complaint.reopened": "{x}"})
            >>> print(wf.check_messages(broken)[0])  # doctest: +ELLIPSIS
            [placeholders] en:complaint.reopened: notice on 'reopen' to complainant: the ...
        """
        return check_messages(self.spec, Messages.default() if messages is None else messages)

    def _check_case(self, case: object) -> Case:
        if not isinstance(case, Case):
            raise WrongTypeError(f"expected a Case, got {type(case).__name__}")
        if case.workflow != self.name or case.workflow_version != self.version:
            raise WorkflowMismatchError(
                f"case {case.id!r} runs on workflow {case.workflow!r} v{case.workflow_version}, "
                f"not {self.name!r} v{self.version}; migrate it first"
            )
        return case

    def _not_allowed(self, case: Case, trigger: str) -> InvalidTransitionError:
        source = case.state
        allowed = self._allowed.get(source, ())
        if trigger in self._machine.events:
            problem = f"event {quote(trigger)} is not allowed from state {source!r}"
        else:
            problem = f"event {quote(trigger)} does not exist in workflow {self.name!r}"
        return InvalidTransitionError(
            f"{problem} (case {case.id!r}); allowed there: {', '.join(allowed) or 'nothing'}",
            trigger=trigger,
            state=source,
            allowed=allowed,
        )

    # ------------------------------------------------------------------ who may act

    def may(self, case: Case, action: str, *, by: Actor) -> bool:
        """Return whether ``by`` may perform ``action`` on ``case`` now.

        Args:
            case: The case.
            action: A trigger defined from the case's state, or ``transfer``,
                ``migrate``, ``erase``, ``read_personal_data``.
            by: The actor.

        Raises:
            InvalidArgumentError: ``action`` is neither.
        """
        return self._case_access.may(case, action, by)

    def can_read(self, case: Case | CaseLike, *, by: Actor) -> bool:
        """Return whether ``by`` may see ``case`` (the ``read_case`` rule, in its scope).

        Args:
            case: A case, or anything with its ``id`` and ``office`` (a
                :class:`~migrantcare.CaseSummary` of a query).
            by: The actor.
        """
        return self._case_access.reader(case, by, raise_denied=False)

    def check_read(self, case: Case | CaseLike, *, by: Actor) -> None:
        """Refuse ``by`` a case it may not see; call it before showing a case.

        The ``read_case`` rule decides, in the actor's office scope (its office and the
        posts under it; cross-office roles everywhere). It guards what a host shows:
        the state, deadlines, notices and audit trail; personal data is guarded apart
        (:meth:`personal_data`). A definition without a ``read_case`` rule lets every
        role it names read the cases in its scope.

        Args:
            case: A case, or anything with its ``id`` and ``office`` (a
                :class:`~migrantcare.CaseSummary`).
            by: The actor.

        Raises:
            PermissionDeniedError: ``by`` may not see it (``http_status`` 403); the
                error names the actor, the office and who may, never personal data.

        Examples:
            >>> import datetime as dt
            >>> from migrantcare import Actor, WorkingCalendar, complaint_workflow
            >>> wf, cal = complaint_workflow(), WorkingCalendar.indonesia()
            >>> t = dt.datetime(2026, 3, 2, 2, tzinfo=dt.timezone.utc)
            >>> case = wf.open("C-1", at=t, by=Actor("cc-1", roles={"call_centre"}),
            ...                office="bp3mi-ntt", category="unpaid_wages",
            ...                channel="call_center", calendar=cal)
            >>> wf.check_read(case, by=Actor("o-1", roles={"officer"}, office="bp3mi-ntt"))
            >>> wf.can_read(case, by=Actor("o-2", roles={"officer"}, office="bp3mi-ntb"))
            False
        """
        self._case_access.reader(case, by, raise_denied=True)

    def personal_data(self, case: Case, *, by: Actor) -> PersonalData:
        """Return the case's personal data, if ``by`` may read it.

        Raises:
            PermissionDeniedError: ``by`` may not (``read_personal_data``); the error
                names the actor and the roles allowed, never the data.
        """
        return self._case_access.personal_data(self._check_case(case), by)

    def export(self, case: Case, *, by: Actor | None = None) -> dict[str, Any]:
        """Return the case as a JSON-compatible dict for export, reports and third parties.

        Personal data (the persons, and the events' free-text notes, which may name
        people) is included only when ``by`` may read it; otherwise it is left out and the
        record says ``"personal_data": "withheld"``. For storage use
        :meth:`Case.to_dict`, which always carries everything.

        Args:
            case: The case.
            by: Who asks; ``None`` (a report, a third party) never sees personal data.
        """
        return self._case_access.export(self._check_case(case), by)

    def authorise(self, case: Case, action: str, *, by: Actor) -> Actor:
        """Check that ``by`` may perform ``action`` on ``case``; return it acting in its role.

        The operations of this workflow call it themselves; an operation built outside
        it (erasing personal data in a store, an export job) calls it before acting and
        records the returned actor's :attr:`~migrantcare.Actor.role`.

        Raises:
            PermissionDeniedError: ``by`` may not.
            InvalidArgumentError: ``action`` is neither an event from the case's state
                nor a case-wide action.
        """
        return self._case_access.authorise(case, action, by)

    # ------------------------------------------------------------------ binding

    def bind(self: _W, offices: Offices) -> _W:
        """Return this workflow bound to the ``offices`` registry (same compiled machine).

        A bound workflow resolves every case's calendar from ``case.office``: no
        operation needs a ``calendar=`` argument, and one that is given must be the
        office's (else :class:`~migrantcare.exceptions.CalendarMismatchError`).

        Examples:
            >>> from migrantcare import Offices, complaint_workflow
            >>> wf = complaint_workflow().bind(Offices.from_file("examples/offices.toml"))
            >>> wf.offices is not None
            True
        """
        if not isinstance(offices, Offices):
            raise WrongTypeError(f"bind() needs an Offices registry, got {type(offices).__name__}")
        bound = self._copy()
        bound._offices = offices
        # the same compiled rules; only the office hierarchy is new
        bound._case_access = self._case_access.with_parents({o.id: o.parent for o in offices})
        return bound

    def _unchecked(self: _W) -> _W:
        """This workflow without permission checks (for replay), same compiled machine."""
        if self._case_access.control is None:
            return self
        plain = self._plain
        if plain is None:
            # every replay asks (each load, each re-rendered notice): the copy is made once
            plain = self._copy()
            plain._case_access = self._case_access.unchecked()
            plain._plain = plain
            self._plain = plain
        return plain  # type: ignore[return-value]

    def _copy(self: _W) -> _W:
        clone = object.__new__(type(self))
        for slot in CompiledWorkflow.__slots__:
            object.__setattr__(clone, slot, getattr(self, slot))
        clone._plain = None  # a binding's own, made when it is first asked for
        return clone

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its spec and registry: the compiled machine and the memos are
        # derived from them (and the machine does not pickle). A spec with guards or
        # callbacks of the host's own pickles when they are module-level functions.
        return (_workflow_from, (self.spec, self._offices, self._case_access.control is not None))

    @property
    def offices(self) -> Offices | None:
        """The registry this workflow is bound to, or ``None``."""
        return self._offices

    def calendar_of(self, office: str) -> WorkingCalendar:
        """The calendar of ``office`` in the bound registry.

        Raises:
            InvalidArgumentError: the workflow is not bound.
            UnknownOfficeError: no such office.
        """
        if self._offices is None:
            raise InvalidArgumentError(
                f"workflow {self.name!r} is not bound to offices; use workflow.bind(offices)"
            )
        return self._offices.calendar(office)

    def _calendar(self, office: str, calendar: object) -> WorkingCalendar | None:
        """The calendar for a case of ``office``: the office's when bound, else ``calendar``."""
        offices = self._offices
        if offices is not None:
            entry = offices.get(office)
            own = offices.calendar(office) if entry is None else entry.calendar  # or raise
            if calendar is not None and calendar is not own:
                given = check_calendar(calendar)
                if given.version != own.version:
                    raise CalendarMismatchError(
                        f"calendar {given.version} ({given.tz}) was given for office "
                        f"{office!r}, whose calendar is {own.version} ({own.tz}); omit "
                        "calendar= (the bound workflow resolves it) or update the registry"
                    )
            return own
        if self._plan is None:
            if calendar is not None:
                check_calendar(calendar)
            return None
        return check_calendar(calendar)

    def _transfer_calendars(
        self, case: Case, to: str, calendar: object
    ) -> tuple[WorkingCalendar | None, WorkingCalendar | None]:
        """The calendars a transfer of ``case`` to office ``to`` moves its clocks between."""
        if self._offices is not None:
            return self._calendar(case.office, None), self._calendar(to, calendar)
        if self._plan is not None and case.clocks:
            raise InvalidArgumentError(
                f"workflow {self.name!r} tracks SLA clocks: a transfer needs both offices' "
                "calendars; bind the workflow to the registry (workflow.bind(offices))"
            )
        return None, (None if calendar is None else check_calendar(calendar))


class Workflow(CompiledWorkflow):
    """A validated, compiled workflow: opens cases and fires events on them.

    A workflow holds one ``transitions.Machine`` and nothing per case; it is safe to
    share between threads. Build one from a :class:`WorkflowSpec`, or take a standard
    one: ``complaint_workflow()``, ``repatriation_workflow()``, ``outreach_workflow()``.
    What it is and who may act are answered by its base, :class:`CompiledWorkflow`;
    SLA clocks are moved by its :class:`~migrantcare.sla._tracker.SlaTracker`.
    """

    __slots__ = ()

    # ------------------------------------------------------------------ operations

    def open(
        self,
        case_id: str,
        *,
        at: _dt.datetime,
        by: Actor,
        office: str,
        category: str,
        channel: str,
        priority: str = "normal",
        complainant: Person | None = None,
        worker: Person | None = None,
        attributes: Mapping[str, Any] | None = None,
        note: str | None = None,
        calendar: WorkingCalendar | None = None,
    ) -> Case:
        """Open a new case in the initial state; its first event is ``"opened"``.

        Args:
            case_id: The host's case number.
            at: When the case was received (aware; any zone).
            by: Who registered it.
            office: The handling office's id (in the registry, when bound).
            category: A code of the workflow's ``categories``.
            channel: A code of ``channels``.
            priority: A code of ``priorities``.
            complainant: The complainant (personal data; kept off the audit trail).
            worker: The worker concerned, when not the complainant.
            attributes: JSON-compatible integrator attributes (destination country…).
            note: A note for the opening event.
            calendar: Unbound workflows with an SLA plan: the office's working calendar
                (deadlines are computed on it). Bound workflows resolve it.

        Raises:
            UnknownTermError: a code is not in its vocabulary.
            UnknownOfficeError: a bound workflow's registry has no office ``office``.
            CalendarMismatchError: ``calendar`` is not the office's.
            NaiveDatetimeError: ``at`` has no time zone.
        """
        check_id(case_id, "case_id")
        check_id(office, "office")
        _check_terms(self.spec, category, channel, priority, complainant, worker)
        when = utc(at, "at")
        actor = self._case_access.acting_for(OPEN, by, office, case_id)
        cal = self._calendar(office, calendar)
        attributes_json = _attributes_json(attributes)
        opening = _opening_data(
            self.name, self.version, case_id, office, category, channel, priority, attributes_json
        )
        event = make_event(
            None,
            "opened",
            "open",
            None,
            self.spec.initial,
            when,
            actor.id,
            actor.role,
            actor.office,
            note,
            opening,
            self._open_head,
            recorded_text(actor),
        )
        case = new_case(
            case_id,
            self.name,
            self.version,
            self.spec.initial,
            office,
            category,
            channel,
            priority,
            when,
            complainant,
            worker,
            attributes_json,
            (event,),
        )
        tracked = self._sla.clocks_after(case, event, cal)
        if tracked is not None:
            # the case was built just above and has not left this method: it takes its
            # clocks in place rather than by a second copy
            clocks, version, zone = tracked
            object.__setattr__(case, "clocks", clocks)
            object.__setattr__(case, "calendar_version", version)
            object.__setattr__(case, "calendar_zone", zone)
        return case

    def fire(
        self,
        case: Case,
        trigger: str,
        *,
        at: _dt.datetime,
        by: Actor,
        note: str | None = None,
        data: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
        calendar: WorkingCalendar | None = None,
    ) -> Case:
        """Fire ``trigger`` on ``case`` and return the new case with the event appended.

        Nothing changes if the event is not allowed, a guard refuses or a callback
        raises: the error says which event, from which state, and what is allowed. If
        the office's calendar has a new version, every running clock is recomputed on
        it first (one ``"recomputed"`` event), then the event is applied.

        Args:
            case: The case as last read.
            trigger: The event, e.g. ``"verify"``.
            at: When it happened (aware; any zone; stored in UTC).
            by: Who did it.
            note: A note for the file.
            data: JSON-compatible details, e.g. ``{"reason": "unreachable"}``.
            expected_version: The version the caller read; a different current version
                raises :class:`StaleCaseError` (optimistic locking).
            calendar: Unbound workflows with an SLA plan: the office's calendar.

        Raises:
            InvalidTransitionError: the event is unknown or not allowed from the state.
            GuardRejectedError: a guard refused.
            CallbackError: a callback raised.
            StaleCaseError: ``expected_version`` is not the case's version.
            CalendarMismatchError: ``calendar`` is not the office's, or is in another zone.
        """
        spec = self.spec
        # exact-type checks first; the general ones run (and explain) only otherwise
        if (
            type(case) is not Case
            or case.workflow != spec.name
            or case.workflow_version != spec.version
        ):
            self._check_case(case)
        if type(trigger) is not str:
            check_trigger(trigger)
        if expected_version is not None:
            check_expected_version(case, expected_version)
        when = utc(at, "at")
        actor = by if type(by) is Actor else check_actor(by)
        step = self._steps.get((case.state, trigger))
        if step is None:
            raise self._not_allowed(case, trigger)
        # who may act is settled before guards, callbacks and any recompute run
        if step.rule is not None:
            actor = self._case_access.acting(step.rule, actor, case.office, case.id)
        if when < case.events[-1].at:
            when = in_time_order(case, when)  # a little clock skew, or raises
        if calendar is None and self._offices is None and self._plan is None:
            cal = None  # what _calendar returns for a plain workflow
        else:
            cal = self._calendar(case.office, calendar)
        if cal is not None and case.calendar_version != cal.version:
            case = self._sla.sync(case, cal, when, actor)
        return self._fire(case, trigger, when, actor, note, data, cal, step)

    def _fire(  # noqa: PLR0917 - hot path, positional on purpose
        self,
        case: Case,
        trigger: str,
        when: _dt.datetime,
        by: Actor,
        note: str | None,
        data: Mapping[str, Any] | None,
        calendar: WorkingCalendar | None = None,
        step: _Step | None = None,
        instant: str | None = None,
    ) -> Case:
        # ``instant``: the ISO text of ``when`` as make_event writes it, when a replay
        # has it from the stored event (see is_instant_text)
        source = case.state
        if step is None:  # fire() passes the step it already looked up
            step = self._steps.get((source, trigger))
            if step is None:
                raise self._not_allowed(case, trigger)
        data_json = "{}" if data is None else canonical_json(data)
        if step.guards or step.callbacks:
            attempt = Attempt(case, trigger, source, step.dest, when, by, note, dict(data or {}))
            data_json = _run_hooks(step, attempt, self._allowed[source], data_json)
        event = make_event(
            case.events[-1],
            "transition",
            trigger,
            source,
            step.dest,
            when,
            by.id,
            by.role,
            by.office,
            note,
            data_json,
            step.head,
            recorded_text(by),
            instant,
        )
        tracked = (
            None if self._plan is None else self._sla.clocks_after(case, event, calendar, step)
        )
        if tracked is None:
            return case.evolved(step.dest, event)
        # one new case for the event and the clocks it moved
        return next_case(case, step.dest, (*case.events, event), *tracked)

    def _quiet(self, case: Case, step: _Step, calendar: WorkingCalendar | None) -> bool:
        """Whether firing ``step`` on ``case`` only records its event and moves the state.

        True when the step has no guard or callback and the event moves no clock: what
        :meth:`_fire` then does is make the event (:func:`make_event`) and evolve the
        case, its clocks and calendar unchanged. A replay of many such events makes them
        in a row and builds the case once. ``calendar`` is the one ``_fire`` would get.
        """
        if step.guards or step.callbacks:
            return False
        if self._plan is None or calendar is None:
            return True  # no clocks to move
        return self._sla.quiet(case, step, calendar)

    def transfer(
        self,
        case: Case,
        *,
        to: str,
        at: _dt.datetime,
        by: Actor,
        note: str | None = None,
        calendar: WorkingCalendar | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """Hand the case to office ``to``; its running clocks continue on ``to``'s calendar.

        Recorded as a ``"transferred"`` event (name ``"transfer"``, the state unchanged,
        data ``{"from_office": ..., "to_office": ...}``, and ``"from_calendar"``: the
        version of the calendar the case leaves, when it tracks clocks — what re-rendering
        an older notice checks). Time a clock used until ``at``
        (on the old office's calendar) stays used; the rest of its budget is counted on
        the new office's calendar from ``at``. Clocks already stopped, or already past
        their deadline, keep their outcome and deadline.

        Args:
            case: The case.
            to: The receiving office's id.
            at: When (aware).
            by: Who hands it over.
            note: Why.
            calendar: The receiving office's calendar, if given (must be the registry's
                when bound).
            expected_version: The version the caller read (``None``: do not check); a
                different current version raises :class:`StaleCaseError`.

        Raises:
            InvalidArgumentError: ``to`` is the case's office, or the workflow tracks SLA
                clocks and is not bound to offices (both calendars are needed).
            InvalidTransitionError: the case is in a terminal state.
            UnknownOfficeError: ``to`` is not in the bound registry.
            StaleCaseError: the case is not at ``expected_version``.
        """
        self._check_case(case)
        check_expected_version(case, expected_version)
        return self._transfer(case, to, at, by, note, calendar, record_calendar=True)

    def _transfer(  # noqa: PLR0917 - internal, the arguments of transfer
        self,
        case: Case,
        to: str,
        at: _dt.datetime,
        by: Actor,
        note: str | None,
        calendar: WorkingCalendar | None,
        *,
        record_calendar: bool,
    ) -> Case:
        """:meth:`transfer`, after its checks of the case and its version.

        ``record_calendar=False`` replays a transfer recorded before transfers named the
        calendar they left (its data has no ``from_calendar``).
        """
        when, actor = utc(at, "at"), check_actor(by)
        actor = self._case_access.acting_for(TRANSFER, actor, case.office, case.id)
        when = in_time_order(case, when)
        check_office_id(to, "to")
        if to == case.office:
            raise InvalidArgumentError(f"case {case.id!r} is already at office {to!r}")
        if self._states[case.state].terminal:
            raise InvalidTransitionError(
                f"case {case.id!r} is in terminal state {case.state!r}: a finished case is "
                "not transferred (reopen it first)",
                trigger="transfer",
                state=case.state,
                allowed=self._allowed[case.state],
            )
        old, new = self._transfer_calendars(case, to, calendar)
        case = self._sla.sync(case, old, when, actor)
        data = {"from_office": case.office, "to_office": to}
        if record_calendar and old is not None:
            data["from_calendar"] = old.version
        event = _fact(case, "transferred", "transfer", when, actor, note, data)
        moved = attrs.evolve(
            case,
            office=to,
            events=(*case.events, event),
            clocks=self._sla.rebased(case.clocks, old, new, when),
            calendar_version=case.calendar_version if new is None else new.version,
            calendar_zone=case.calendar_zone if new is None else new.tz,
        )
        return self._sla.track(moved, event, new)

    def migrate(
        self,
        case: Case,
        *,
        at: _dt.datetime,
        by: Actor,
        state_map: Mapping[str, str] | None = None,
        note: str | None = None,
        calendar: WorkingCalendar | None = None,
    ) -> Case:
        """Move an in-flight case onto this workflow (a new version or a derived one).

        The move is recorded as a ``"migrated"`` event naming both definitions.

        Args:
            case: A case on another workflow or version.
            at: When.
            by: Who.
            state_map: Old state id -> new state id, for states that are renamed or gone;
                states absent from the map keep their id.
            note: Why.
            calendar: Unbound workflows with an SLA plan: the office's calendar.

        Raises:
            InvalidArgumentError: the mapped state does not exist in this workflow.
        """
        if not isinstance(case, Case):
            raise WrongTypeError(f"expected a Case, got {type(case).__name__}")
        # the receiving definition decides who may move cases onto it
        actor = self._case_access.acting_for(MIGRATE, by, case.office, case.id)
        cal = self._calendar(case.office, calendar)
        mapping = _state_map(state_map)
        dest = mapping.get(case.state, case.state)
        if dest not in self._states:
            raise InvalidArgumentError(
                f"case {case.id!r} is in state {case.state!r}, which maps to {dest!r}: not a "
                f"state of {self.name!r} v{self.version}; add it to state_map (states: "
                f"{', '.join(self._states)})"
            )
        if case.workflow == self.name and case.workflow_version == self.version:
            raise InvalidArgumentError(
                f"case {case.id!r} already runs on {self.name!r} v{self.version}"
            )
        data = {
            "from_workflow": case.workflow,
            "from_version": case.workflow_version,
            "workflow": self.name,
            "workflow_version": self.version,
            "state_map": mapping,
        }
        when = in_time_order(case, utc(at, "at"))
        event = _fact(case, "migrated", "migrate", when, actor, note, data, dest)
        moved = case.evolved(dest, event, workflow=self.name, workflow_version=self.version)
        return self._sla.track(moved, event, cal)

    def erase_personal_data(
        self,
        case: Case,
        *,
        at: _dt.datetime,
        by: Actor,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """Erase the case's personal data (UU 27/2022) if ``by`` may (the ``erase`` rule).

        The persons become tombstones and one ``"erased"`` event records it, with the
        role that authorised it; see :func:`migrantcare.erase_personal_data` (which does
        the same without a definition to check against).

        Args:
            case: The case.
            at: When (aware; not before the case's newest event).
            by: Who erases.
            note: A note for the file (no personal data: it is kept forever).
            expected_version: The version the caller read (``None``: do not check).

        Raises:
            PermissionDeniedError: ``by`` may not erase this case's personal data.
            InvalidArgumentError: ``at`` is before the case's newest event.
            StaleCaseError: the case is not at ``expected_version``.
        """
        self._check_case(case)
        actor = self._case_access.acting_for(ERASE, by, case.office, case.id)
        return erase_personal_data(
            case, at=at, by=actor, note=note, expected_version=expected_version
        )

    # ------------------------------------------------------------------ SLA clocks

    def _append_fact(  # noqa: PLR0917 - internal, mirrors make_event
        self,
        case: Case,
        kind: str,
        name: str,
        at: _dt.datetime,
        by: Actor,
        data: Mapping[str, Any],
        note: str | None = None,
    ) -> Case:
        """Record a fact that does not move the state (an SLA warning, breach, recompute)."""
        return self._sla.append_fact(case, kind, name, at, by, data, note)

    def _recompute(
        self,
        case: Case,
        calendar: WorkingCalendar,
        when: _dt.datetime,
        by: Actor,
        data: Mapping[str, Any] | None = None,
    ) -> Case:
        """Record one ``recomputed`` event and move every unfinished clock to ``calendar``."""
        return self._sla.recompute_on(case, calendar, when, by, data)

    def _escalate(  # noqa: PLR0917 - the tracker's Escalate callback
        self,
        case: Case,
        trigger: str,
        when: _dt.datetime,
        by: Actor,
        data: Mapping[str, Any],
        calendar: WorkingCalendar,
    ) -> Case:
        """Fire a breach's escalation ``trigger`` if the case's state allows it."""
        step = self._steps.get((case.state, trigger))
        if step is None:
            return case
        # an escalation is an event like any other: the sweep's actor needs the role
        actor = self._case_access.acting(step.rule, by, case.office, case.id)
        return self._fire(case, trigger, when, actor, None, data, calendar, step)

    def status(
        self, case: Case, *, at: _dt.datetime, calendar: WorkingCalendar | None = None
    ) -> tuple[SlaStatus, ...]:
        """Return where each SLA goal of ``case`` stands at ``at`` (its newest cycle).

        Read-only: a calendar of a newer version is used for the answer (deadlines as
        they will be after the next recorded operation) but nothing is recorded.

        Args:
            case: The case.
            at: The instant to look at (aware).
            calendar: Unbound workflows: the office's working calendar.

        Raises:
            NaiveDatetimeError: ``at`` has no time zone.
            CalendarMismatchError: ``calendar`` is not the office's, or is in another zone.
        """
        self._check_case(case)
        when = utc(at, "at")
        if self._plan is None:
            if calendar is not None:
                check_calendar(calendar)
            return ()
        cal = self._calendar(case.office, calendar)
        assert cal is not None
        if self._offices is None:
            return self._sla.status(case, when, cal)
        return self._sla.status(case, when, cal, self._calendar_where_stopped)

    def _calendar_where_stopped(
        self, case: Case, clock: SlaClock, holding: WorkingCalendar
    ) -> WorkingCalendar:
        """The calendar of the office that held ``case`` when ``clock`` stopped.

        A clock stopped before a transfer keeps its outcome, deadline and calendar
        version; its elapsed and remaining time are measured on that office's calendar as
        the registry has it now (the version the clock names where nothing was revised
        since), never on the calendar of the office holding the case today (``holding``,
        also the answer for an office the registry no longer has).
        """
        offices, stopped = self._offices, clock.stopped_at
        assert offices is not None
        assert stopped is not None
        office = office_at(case, _stopping_seq(case, stopped))
        return offices.calendar(office) if office in offices else holding

    def next_due_at(self, case: Case) -> _dt.datetime | None:
        """The earliest instant at which :meth:`advance` will record a warning or breach.

        Reads only what the case carries (no calendar): call it after every change and
        schedule a wake-up. The instant may already be past (``advance`` is overdue);
        ``None`` means nothing is pending (all clocks paused or stopped).
        """
        if not isinstance(case, Case):
            raise WrongTypeError(f"expected a Case, got {type(case).__name__}")
        return self._sla.next_due_at(case)

    def due_cases(self, cases: Iterable[Case], *, at: _dt.datetime) -> list[Case]:
        """Return the cases whose :meth:`next_due_at` is at or before ``at`` (one pass)."""
        return self._sla.due_cases(cases, at=at)

    def advance(
        self,
        case: Case,
        *,
        at: _dt.datetime,
        by: Actor = SYSTEM,
        calendar: WorkingCalendar | None = None,
    ) -> Case:
        """Record the SLA warnings and breaches due at ``at``, and run breach actions.

        Each mark is an ``"sla"`` event (``"warning"`` or ``"breach"``) at ``at``; a
        breach of a policy with ``escalate_with`` then fires that workflow event (if the
        case's state allows it). Idempotent: a second call at the same ``at`` changes
        nothing. An ``at`` older than the case's newest event is taken as that event's
        time, so the audit trail stays in time order. If the office's calendar has a
        new version, every unfinished clock is recomputed on it first (one recorded
        ``"recomputed"`` event).

        Args:
            case: The case.
            at: The current instant (aware).
            by: The actor recorded on the events (the system by default).
            calendar: Unbound workflows: the office's working calendar.
        """
        self._check_case(case)
        # A wake-up for an instant older than the newest event (an officer acted after
        # the deadline, before the scheduler ran) is taken as happening now.
        when = max(utc(at, "at"), case.events[-1].at)
        actor = check_actor(by)
        cal = self._calendar(case.office, calendar)
        return self._sla.advance(case, when, actor, cal, self._escalate)

    def recompute(
        self,
        case: Case,
        *,
        at: _dt.datetime,
        by: Actor = SYSTEM,
        calendar: WorkingCalendar | None = None,
    ) -> Case:
        """Recompute the case's unfinished clocks on the office's current calendar.

        A change of calendar version is recorded as one ``"sla"`` event
        ``"recomputed"`` naming both versions; on the same version nothing changes.
        Stopped clocks are final and keep their outcome.

        Args:
            case: The case.
            at: When (aware).
            by: The actor recorded (the system by default).
            calendar: Unbound workflows: the new calendar.
        """
        self._check_case(case)
        when = utc(at, "at")
        actor = check_actor(by)
        return self._sla.recompute(case, when, actor, self._calendar(case.office, calendar))

    def replay_case(
        self, case: Case, workflows: Iterable[Workflow], calendar: WorkingCalendar | None = None
    ) -> Case:
        """``case`` rebuilt from its history through ``workflows`` (what ``Case.verify`` asks).

        Records sit below the engine, so :meth:`Case.verify` asks a workflow it was given
        to replay; see :func:`migrantcare.replay`.

        Raises:
            WrongTypeError: ``workflows`` holds something other than workflows.
            IntegrityError: the history does not replay.
        """
        from migrantcare.cases._loader import replay_checked  # noqa: PLC0415 - no cycle: _loader imports no _workflow

        return replay_checked(case, workflows, calendar, Workflow)


# ---------------------------------------------------------------------- compiling


def _compiled(
    spec: WorkflowSpec, table: Mapping[tuple[str, str], Transition], control: AccessControl | None
) -> tuple[Machine, dict[tuple[str, str], _Step]]:
    """The one machine of a validated spec, and the dispatch table read back out of it."""
    machine = Machine(
        model=None,
        states=[s.id for s in spec.states],
        initial=spec.initial,
        auto_transitions=False,
        send_event=True,
    )
    for (source, trigger), t in table.items():
        machine.add_transition(trigger, source, t.dest)
    steps: dict[tuple[str, str], _Step] = {}
    for trigger, event in machine.events.items():
        for source, compiled in event.transitions.items():
            (only,) = compiled  # _validate refused duplicates
            t = table[source, trigger]
            dest = source if only.dest is None else only.dest
            rule = None if control is None else control.for_step(source, trigger)
            head = hash_head("transition", trigger, source, dest)
            steps[source, trigger] = _Step(trigger, source, dest, t.guards, t.callbacks, rule, head)
    return machine, steps


def _mermaid_lines(
    spec: WorkflowSpec, table: Mapping[tuple[str, str], Transition], lang: str
) -> list[str]:
    """The lines of :meth:`CompiledWorkflow.mermaid`'s diagram."""
    permissions = spec.permissions

    def who(action: str) -> str:
        if permissions is None:
            return ""
        return f" ({roles_text(permissions, permissions.rule(action))})"

    lines = ["stateDiagram-v2"]
    lines += [f'    state "{s.label(lang)}" as {s.id}' for s in spec.states]
    if permissions is not None and OPEN in permissions.actions:
        lines.append(f"    [*] --> {spec.initial}: {OPEN}{who(OPEN)}")
    else:
        lines.append(f"    [*] --> {spec.initial}")
    internal: dict[str, list[str]] = {}
    for (source, trigger), t in table.items():
        if t.dest is None:
            internal.setdefault(trigger, []).append(source)
        else:
            lines.append(f"    {source} --> {t.dest}: {trigger}{who(trigger)}")
    lines += [f"    {s.id} --> [*]" for s in spec.states if s.terminal]
    # Internal events (no state change) would draw a loop on every state they leave.
    for trigger, sources in internal.items():
        lines.append(f"    %% internal event {trigger}: from {', '.join(sources)}")
    if permissions is not None:
        lines += _mermaid_note(spec.initial, permissions, internal, who)
    return lines


def _mermaid_note(
    initial: str,
    permissions: Permissions,
    internal: Iterable[str],
    who: Callable[[str], str],
) -> list[str]:
    """The diagram's note: who may fire the internal events and the case-wide actions."""
    notes = [f"{trigger}{who(trigger)}, without a change of state" for trigger in internal]
    notes += [f"{a}{who(a)}" for a in CASE_ACTIONS if a != OPEN and a in permissions.actions]
    notes.append("* on every office's cases, the others on their own office and its posts")
    return [
        f"    note right of {initial}",
        *(f"        {note}" for note in notes),
        "    end note",
    ]


# ---------------------------------------------------------------------- opening


def _check_terms(  # noqa: PLR0917 - internal, the codes open() checks
    spec: WorkflowSpec,
    category: str,
    channel: str,
    priority: str,
    complainant: Person | None,
    worker: Person | None,
) -> None:
    """Refuse a code outside its vocabulary, or a person of a kind the workflow lacks."""
    spec.categories.term(category)
    spec.channels.term(channel)
    spec.priorities.term(priority)
    for who, person in (("complainant", complainant), ("worker", worker)):
        if person is not None:
            if not isinstance(person, Person):
                raise WrongTypeError(f"{who} must be a Person, got {type(person).__name__}")
            if person.kind not in spec.complainant_types:
                # a Person field: its value is never quoted, even a code
                raise UnknownTermError(
                    f"the {who}'s kind is not a complainant type of {spec.name!r} (value "
                    f"not shown); allowed: {', '.join(spec.complainant_types.codes)}"
                )


def _attributes_json(attributes: Mapping[str, Any] | None) -> str:
    """The canonical JSON of a new case's attributes, refused when too long to record."""
    text = canonical_json(attributes, "attributes")
    if len(text) > MAX_EMBEDDED_JSON:
        # each value is within its limit, but the opening records them all as one text
        raise InvalidArgumentError(
            f"attributes are {len(text)} characters long as JSON; at most "
            f"{MAX_EMBEDDED_JSON} are accepted (store big data elsewhere)"
        )
    return text


def _opening_data(  # noqa: PLR0917 - internal, called once per open
    workflow: str,
    version: int,
    case_id: str,
    office: str,
    category: str,
    channel: str,
    priority: str,
    attributes_json: str,
) -> str:
    """The canonical JSON of the opening event's data (what replay reopens from).

    Every value is a ``str`` checked by ``open`` (ids, vocabulary codes, canonical
    JSON text) or the definition's validated name and version, so the text is
    written directly: the keys in sorted order, each string escaped by ``json``'s
    own encoder, exactly as ``canonical_json`` writes it (a test holds them equal)
    at a fifth of the cost. Anything unusual takes ``canonical_json``'s checked way.
    """
    if len(attributes_json) > MAX_TEXT or not (
        type(version) is int and -MAX_INT <= version <= MAX_INT
    ):
        return canonical_json(
            {
                "case_id": case_id,
                "workflow": workflow,
                "workflow_version": version,
                "office": office,
                "category": category,
                "channel": channel,
                "priority": priority,
                "attributes": attributes_json,
            }
        )
    text = _json_text
    return (
        f'{{"attributes":{text(attributes_json)},"case_id":{text(case_id)},'
        f'"category":{text(category)},"channel":{text(channel)},'
        f'"office":{text(office)},"priority":{text(priority)},'
        f'"workflow":{text(workflow)},"workflow_version":{version}}}'
    )


# ---------------------------------------------------------------------- firing


def _run_hooks(step: _Step, attempt: Attempt, allowed: tuple[str, ...], data_json: str) -> str:
    """Run the step's guards, then its callbacks; return the event's data as JSON.

    ``data_json`` is the data as given; callbacks may add to it. Raises (and so changes
    nothing) when a guard refuses or a callback fails.
    """
    for guard in step.guards:
        _check_guard(guard, attempt, allowed)
    extra: dict[str, Any] = {}
    for callback in step.callbacks:
        result = _call_back(callback, attempt)
        if result is not None:
            extra.update(result)
    if not extra:
        return data_json
    try:
        return canonical_json({**attempt.data, **extra}, "callback data")
    except MigrantCareError as exc:
        raise _callback_error(attempt, f"returned data that cannot be stored ({exc})") from None


def _call_back(callback: Callback, attempt: Attempt) -> Mapping[str, Any] | None:
    """Run one callback: what it returns, checked, or a :class:`CallbackError`."""
    try:
        result = callback(attempt)
    except MigrantCareError:
        raise
    except Exception as exc:
        raise _callback_error(attempt, f"raised {type(exc).__name__}") from exc
    if result is not None and not isinstance(result, Mapping):
        raise _callback_error(attempt, f"returned {type(result).__name__}")
    return result


def _callback_error(attempt: Attempt, what: str) -> CallbackError:
    return CallbackError(
        f"a callback of event {quote(attempt.trigger)} from state {attempt.source!r} {what}; "
        f"case {attempt.case.id!r} is unchanged. {_CALLBACK_CONTRACT}",
        trigger=attempt.trigger,
        state=attempt.source,
    )


def _check_guard(guard: Guard, attempt: Attempt, allowed: tuple[str, ...]) -> None:
    """Refuse the attempt unless ``guard`` passes (a guard that raises does not pass)."""
    error: Exception | None = None
    try:
        passed = bool(guard.check(attempt))
    except MigrantCareError:
        raise
    except Exception as exc:
        passed, error = False, exc
    if passed:
        return
    reason = f"its check raised {type(error).__name__}" if error else guard.requirement
    raise GuardRejectedError(
        f"event {attempt.trigger!r} from state {attempt.source!r} of case "
        f"{attempt.case.id!r} was refused by guard {guard.name!r}: {reason}",
        trigger=attempt.trigger,
        state=attempt.source,
        allowed=allowed,
        guard=guard.name,
    ) from error


# ---------------------------------------------------------------------- moving


def _state_map(state_map: object) -> dict[str, str]:
    """``migrate``'s ``state_map`` checked: old state id -> new state id."""
    if state_map is not None and not isinstance(state_map, Mapping):
        raise WrongTypeError(
            f"state_map must be a mapping of old to new state ids, got {type(state_map).__name__}"
        )
    mapping = dict(state_map or {})
    for old, new in mapping.items():
        check_name(old, "a state_map key")
        check_name(new, "a state_map value")
    return mapping


def _fact(  # noqa: PLR0917 - internal, mirrors make_event
    case: Case,
    kind: str,
    name: str,
    when: _dt.datetime,
    by: Actor,
    note: str | None,
    data: Mapping[str, Any],
    dest: str | None = None,
) -> CaseEvent:
    """The next event of ``case``: a transfer or migration, into ``dest`` (its state)."""
    return make_event(
        case.events[-1],
        kind,
        name,
        case.state,
        case.state if dest is None else dest,
        when,
        by.id,
        by.role,
        by.office,
        note,
        canonical_json(data),
    )


def office_at(case: Case, seq: int) -> str:
    """The office that held ``case`` right after its event ``seq``.

    The case's office, unless a later transfer moved it: then the office that transfer
    moved it from.
    """
    for event in case.events[seq + 1 :]:
        if event.kind == "transferred":
            return str(event.data["from_office"])
    return case.office


def _stopping_seq(case: Case, stopped: _dt.datetime) -> int:
    """The event that stopped a clock at ``stopped``: the first one then that is no transfer.

    A case built by hand may carry a clock stopped after its last event: that one.
    """
    late = len(case.events) - 1
    return next((e.seq for e in case.events if e.at >= stopped and e.kind != "transferred"), late)
