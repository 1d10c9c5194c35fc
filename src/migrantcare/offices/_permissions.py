"""Who may act: roles and office scope for every action of a workflow.

A :class:`Permissions` value is part of a workflow's definition. For each action — every
trigger, and the case-wide actions ``open``, ``transfer``, ``migrate``, ``erase`` and
``read_personal_data`` — a :class:`Rule` names the roles allowed, in order of
preference, and where each rule comes from (a regulation, or our own default).

Reading a case at all is the case-wide action ``read_case``: a host checks it before it
shows a case (``workflow.check_read(case, by=actor)``). A definition without its own
``read_case`` rule lets every role it names read the cases in that role's scope.

Office scope: an actor acts on cases held by its own office or by a post under it (a
P4MI under its BP3MI). Roles in :attr:`Permissions.cross_office` (by default
``ministry_hq``, ``crisis_centre`` and ``system``) act on every office's cases; a rule
can widen the scope of one more role for that action only (the call centre registers
complaints for every office, but does not close them).

The check runs once per event, so it is compiled: :class:`AccessControl` resolves every
(state, trigger) pair of a workflow to a :class:`CompiledRule` up front, and a check is
a set-disjointness test plus a short loop over the rule's roles (see
``benchmarks/bench_permissions.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final, Protocol

import attrs

from migrantcare._locales import in_language
from migrantcare._vocab import check_code
from migrantcare.exceptions import (
    InvalidArgumentError,
    PermissionDeniedError,
    WorkflowDefinitionError,
    WrongTypeError,
)
from migrantcare.offices._actors import STANDARD_ROLES
from migrantcare.records._case import Case, Person

#: The case-wide actions that are not triggers, in the order the docs list them.
OPEN: Final = "open"
TRANSFER: Final = "transfer"
MIGRATE: Final = "migrate"
ERASE: Final = "erase"
READ_PERSONAL_DATA: Final = "read_personal_data"
READ_CASE: Final = "read_case"
CASE_ACTIONS: Final = (OPEN, TRANSFER, MIGRATE, ERASE, READ_PERSONAL_DATA, READ_CASE)
#: Case-wide actions a definition may leave without a rule (see Permissions.rule).
OPTIONAL_ACTIONS: Final = frozenset({READ_CASE})

#: Roles that act on every office's cases unless a definition says otherwise.
CROSS_OFFICE_ROLES: Final = frozenset({"ministry_hq", "crisis_centre", "system"})
#: The ``source`` of a rule that is ours, not a regulation's.
OUR_DEFAULT: Final = "migrantcare default; not regulation"

_NO_OFFICES: Final[frozenset[str]] = frozenset()


class ActorLike(Protocol):
    """What the check needs of an actor: its id, roles and office."""

    @property
    def id(self) -> str:
        """The actor's id (not personal data)."""

    @property
    def roles(self) -> frozenset[str]:
        """The roles it holds."""

    @property
    def office(self) -> str | None:
        """The office it belongs to (``None``: none, e.g. the system actor)."""


class CaseLike(Protocol):
    """What a read check needs of a case: its id and the office holding it.

    A :class:`~migrantcare.Case` and a :class:`~migrantcare.CaseSummary` both are.
    """

    @property
    def id(self) -> str:
        """The case id."""

    @property
    def office(self) -> str:
        """The office holding the case."""


def _roles(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        # a bare string is a classic slip ("officer" would become o, f, f, ...)
        raise WrongTypeError(f"roles must be an iterable of role ids, not the str {value!r}")
    roles = tuple(value)
    for role in roles:
        check_code(role, "role")
    if len(set(roles)) != len(roles):
        raise InvalidArgumentError(f"roles list a role twice: {', '.join(roles)}")
    return roles


def _role_set(value: Iterable[str]) -> frozenset[str]:
    return frozenset(_roles(value))


@attrs.frozen
class Rule:
    """Who may perform one action.

    Attributes:
        roles: The roles allowed, in order of preference: when an actor holds several,
            the first that covers the case is the one recorded on the event.
        any_office: Roles of ``roles`` that may perform this action on any office's case
            (on top of the definition's cross-office roles).
        source: Where the rule comes from: a regulation, or ``OUR_DEFAULT``.
        confirmed: ``True`` only when ``source`` is a regulation that says who decides.

    Examples:
        >>> Rule(("officer", "head_of_office")).roles
        ('officer', 'head_of_office')
    """

    roles: tuple[str, ...] = attrs.field(converter=_roles)
    any_office: frozenset[str] = attrs.field(default=frozenset(), converter=_role_set)
    source: str = OUR_DEFAULT
    confirmed: bool = False

    def __attrs_post_init__(self) -> None:
        stray = sorted(self.any_office - set(self.roles))
        if stray:
            raise InvalidArgumentError(
                f"any_office names roles that are not allowed by the rule: {', '.join(stray)}; "
                f"allowed: {', '.join(self.roles) or 'none'}"
            )


def _rules(value: Mapping[str, Rule] | Iterable[tuple[str, Rule]]) -> tuple[tuple[str, Rule], ...]:
    given: object = value  # as called: any value may come in
    if isinstance(given, str | bytes) or not isinstance(given, Mapping | Iterable):
        raise WrongTypeError(
            f"rules must be a mapping or (action, rule) pairs, got {type(value).__name__}"
        )
    pairs = tuple(value.items() if isinstance(value, Mapping) else value)
    seen: set[str] = set()
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise WrongTypeError(f"rules must be (action, rule) pairs, got {type(pair).__name__}")
        action, rule = pair
        check_code(action, "action")
        if not isinstance(rule, Rule):
            raise WrongTypeError(
                f"the rule of {action!r} must be a Rule, got {type(rule).__name__}"
            )
        if action in seen:
            raise InvalidArgumentError(f"action {action!r} has two rules")
        seen.add(action)
    return pairs


@attrs.frozen
class Permissions:
    """The permission model of a workflow definition: a frozen value.

    Every ``with_*`` method returns a new value. Attach it to a definition with
    ``WorkflowSpec.with_permissions`` (or change one rule with ``spec.with_roles``).

    Attributes:
        rules: ``(action, rule)`` pairs: an action is a trigger or one of
            ``open``, ``transfer``, ``migrate``, ``erase``, ``read_personal_data``.
        default: The rule of a trigger without its own (``None``: every trigger needs
            one, checked when the workflow is built).
        cross_office: Roles that act on every office's cases.

    Examples:
        >>> p = Permissions({"verify": Rule(("officer",))})
        >>> p.with_roles("verify", "officer", "head_of_office").rule("verify").roles
        ('officer', 'head_of_office')
    """

    rules: tuple[tuple[str, Rule], ...] = attrs.field(default=(), converter=_rules)
    default: Rule | None = None
    cross_office: frozenset[str] = attrs.field(default=CROSS_OFFICE_ROLES, converter=_role_set)
    # action -> rule, for look-ups: a definition may have tens of thousands of triggers
    _by_action: Mapping[str, Rule] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_by_action", dict(self.rules))

    @property
    def actions(self) -> tuple[str, ...]:
        """The actions that have their own rule, in definition order."""
        return tuple(action for action, _ in self.rules)

    def rule(self, action: str) -> Rule:
        """Return the rule of ``action`` (the default rule for a trigger without one).

        Raises:
            InvalidArgumentError: no rule and no default.
        """
        own = self._by_action.get(action) if isinstance(action, str) else None
        if own is not None:
            return own
        if self.default is not None and action not in CASE_ACTIONS:
            return self.default
        if action == READ_CASE:
            # reading is as wide as acting: whoever acts on a case in some role may see it
            return Rule(
                self.roles(),
                source=f"{OUR_DEFAULT}: every role the definition names, in its office scope",
            )
        raise InvalidArgumentError(
            f"no permission rule for action {action!r} and no default rule; rules exist for: "
            f"{', '.join(self.actions) or 'nothing'}"
        )

    def with_rule(self, action: str, rule: Rule) -> Permissions:
        """Return permissions in which ``action`` follows ``rule`` (replacing its old one)."""
        check_code(action, "action")
        if not isinstance(rule, Rule):
            raise WrongTypeError(f"expected a Rule, got {type(rule).__name__}")
        if action in self._by_action:
            rules = tuple((a, rule if a == action else r) for a, r in self.rules)
        else:
            rules = (*self.rules, (action, rule))
        return attrs.evolve(self, rules=rules)

    def with_rules(self, rules: Mapping[str, Rule] | Iterable[tuple[str, Rule]]) -> Permissions:
        """Return permissions in which each action of ``rules`` follows its rule.

        A rule replaces the action's old one in its place; the others are appended in
        order. One pass, however many rules: a definition document gives them all at once.
        """
        new = dict(_rules(rules))
        kept = tuple((a, new.pop(a, r)) for a, r in self.rules)
        return attrs.evolve(self, rules=(*kept, *new.items()))

    def without_rule(self, action: str) -> Permissions:
        """Return permissions without ``action``'s own rule (unchanged if it has none).

        ``WorkflowSpec.without_transition`` calls it when a trigger is removed: a rule
        for an action the workflow no longer has would make it invalid.
        """
        return attrs.evolve(self, rules=tuple((a, r) for a, r in self.rules if a != action))

    def with_roles(
        self,
        action: str,
        *roles: str,
        any_office: Iterable[str] = (),
        source: str = OUR_DEFAULT,
        confirmed: bool = False,
    ) -> Permissions:
        """Return permissions in which only ``roles`` may perform ``action``.

        Args:
            action: A trigger, or ``open``, ``transfer``, ``migrate``, ``erase``,
                ``read_personal_data``.
            *roles: The roles allowed, in order of preference (none: nobody may).
            any_office: Those of ``roles`` that may act on any office's case.
            source: Where the rule comes from (a regulation, or our own default).
            confirmed: ``True`` when ``source`` says who decides.
        """
        return self.with_rule(
            action, Rule(roles, any_office=any_office, source=source, confirmed=confirmed)
        )

    def with_cross_office(self, *roles: str) -> Permissions:
        """Return permissions in which ``roles`` act on every office's cases."""
        return attrs.evolve(self, cross_office=self.cross_office | _role_set(roles))

    def without_cross_office(self, *roles: str) -> Permissions:
        """Return permissions in which ``roles`` act only within their own office."""
        return attrs.evolve(self, cross_office=self.cross_office - _role_set(roles))

    def with_default(self, rule: Rule | None) -> Permissions:
        """Return permissions whose triggers without a rule follow ``rule``."""
        if rule is not None and not isinstance(rule, Rule):
            raise WrongTypeError(f"expected a Rule or None, got {type(rule).__name__}")
        return attrs.evolve(self, default=rule)

    def roles(self) -> tuple[str, ...]:
        """Every role a rule names, standard roles first, then the others sorted."""
        named: set[str] = set()
        for _, rule in self.rules:
            named.update(rule.roles)
        if self.default is not None:
            named.update(self.default.roles)
        return (
            *(r for r in STANDARD_ROLES if r in named),
            *sorted(named - set(STANDARD_ROLES)),
        )

    def problems(self, triggers: Iterable[str], where: str) -> list[str]:
        """Return what is wrong with these permissions for a workflow with ``triggers``."""
        known = set(triggers)
        problems = [
            f"{where}: permission rule for {action!r}, which is neither a trigger nor one of "
            f"{', '.join(CASE_ACTIONS)}"
            for action in self.actions
            if action not in known and action not in CASE_ACTIONS
        ]
        required = [a for a in CASE_ACTIONS if a not in OPTIONAL_ACTIONS]
        if self.default is None:
            missing = [a for a in (*sorted(known), *required) if a not in self._by_action]
            if missing:
                problems.append(
                    f"{where}: no permission rule for {', '.join(missing)} and no default rule; "
                    "add them with spec.with_roles(action, *roles)"
                )
        else:
            missing = [a for a in required if a not in self._by_action]
            if missing:
                problems.append(
                    f"{where}: no permission rule for {', '.join(missing)} (the default rule "
                    "covers triggers only); add them with spec.with_roles(action, *roles)"
                )
        return problems


class CompiledRule:
    """A rule ready for checking: its roles in order, as a set, and the wide-scope ones."""

    __slots__ = ("action", "allowed", "anywhere", "order", "rule")

    def __init__(self, action: str, rule: Rule, cross_office: frozenset[str]) -> None:
        self.action = action
        self.rule = rule
        self.order = rule.roles
        self.allowed = frozenset(rule.roles)
        self.anywhere = (self.allowed & cross_office) | rule.any_office


def ancestors_of(parents: Mapping[str, str | None]) -> dict[str, frozenset[str]]:
    """Return, for each office, the offices above it (its parent, the parent's parent, …).

    Raises:
        InvalidArgumentError: the parent links form a cycle.
    """
    result: dict[str, frozenset[str]] = {}
    for office in parents:
        chain: list[str] = []
        current = parents.get(office)
        while current is not None:
            if current == office or current in chain:
                raise InvalidArgumentError(
                    f"office {office!r}: its parent links form a cycle "
                    f"({' -> '.join([office, *chain, current])})"
                )
            chain.append(current)
            current = parents.get(current)
        result[office] = frozenset(chain)
    return result


class AccessControl:
    """A workflow's permissions compiled for checking; immutable once built.

    Args:
        permissions: The definition's permissions.
        steps: Every ``(state, trigger)`` pair the workflow defines.
        parents: Office id -> the office it is a post of (from the office registry);
            an actor of an office acts on the cases of every post under it.

    Raises:
        WorkflowDefinitionError: a trigger has no rule and there is no default.
    """

    __slots__ = ("_actions", "_ancestors", "_steps", "permissions")

    def __init__(
        self,
        permissions: Permissions,
        steps: Iterable[tuple[str, str]],
        parents: Mapping[str, str | None] | None = None,
    ) -> None:
        self.permissions = permissions
        cross = permissions.cross_office
        by_action: dict[str, CompiledRule] = {}

        def compiled(action: str) -> CompiledRule:
            if action not in by_action:
                try:
                    rule = permissions.rule(action)
                except InvalidArgumentError as exc:
                    raise WorkflowDefinitionError(str(exc)) from None
                by_action[action] = CompiledRule(action, rule, cross)
            return by_action[action]

        # one entry per (state, trigger), sharing the compiled rule of the trigger
        self._steps = {(state, trigger): compiled(trigger) for state, trigger in steps}
        self._actions = {
            action: compiled(action)
            for action in CASE_ACTIONS
            if action in permissions.actions
            or permissions.default is None
            or action in OPTIONAL_ACTIONS
        }
        self._ancestors = ancestors_of(parents or {})

    def with_parents(self, parents: Mapping[str, str | None]) -> AccessControl:
        """Return the same compiled rules with the office hierarchy of ``parents``."""
        clone = object.__new__(AccessControl)
        clone.permissions = self.permissions
        clone._steps = self._steps
        clone._actions = self._actions
        clone._ancestors = ancestors_of(parents)
        return clone

    def for_step(self, state: str, trigger: str) -> CompiledRule | None:
        """Return the compiled rule of ``trigger`` from ``state`` (``None``: not defined)."""
        return self._steps.get((state, trigger))

    def for_action(self, action: str) -> CompiledRule:
        """Return the compiled rule of a case-wide action (``open``, ``transfer``, …).

        Raises:
            InvalidArgumentError: the definition has no rule for it.
        """
        try:
            return self._actions[action]
        except KeyError:
            raise InvalidArgumentError(
                f"no permission rule for {action!r}; case-wide actions: {', '.join(CASE_ACTIONS)}"
            ) from None

    def role_for(self, rule: CompiledRule, actor: ActorLike, office: str) -> str | None:
        """Return the role under which ``actor`` may act on a case of ``office``, or ``None``.

        This is the hot path (once per event): a disjointness test refuses most
        outsiders before the office is looked at.
        """
        held = actor.roles
        if rule.allowed.isdisjoint(held):
            return None
        home = actor.office
        local = home is not None and (
            home == office or home in self._ancestors.get(office, _NO_OFFICES)
        )
        for role in rule.order:
            if role in held and (local or role in rule.anywhere):
                return role
        return None

    def authorise(
        self, rule: CompiledRule, actor: ActorLike, office: str, *, case_id: str | None = None
    ) -> str:
        """Return the role that authorises ``actor`` to act on a case of ``office``.

        Raises:
            PermissionDeniedError: naming the actor, the action and the roles allowed.
        """
        role = self.role_for(rule, actor, office)
        if role is None:
            raise denied(rule, actor, office, case_id)
        return role

    def in_scope(self, actor: ActorLike, office: str) -> bool:
        """Whether ``actor``'s office is ``office`` or an office above it."""
        home = actor.office
        return home is not None and (
            home == office or home in self._ancestors.get(office, _NO_OFFICES)
        )


def denied(
    rule: CompiledRule, actor: ActorLike, office: str, case_id: str | None
) -> PermissionDeniedError:
    """Build the refusal for ``actor``: who, what, where, and who would be allowed.

    Only ids appear (actor, case, office, roles): never a person's data.
    """
    local = [r for r in rule.order if r not in rule.anywhere]
    anywhere = [r for r in rule.order if r in rule.anywhere]
    allowed = []
    if local:
        allowed.append(f"{', '.join(local)} of office {office!r} or an office above it")
    if anywhere:
        allowed.append(f"{', '.join(anywhere)} of any office")
    held = ", ".join(sorted(actor.roles)) or "none"
    target = f"case {case_id!r}" if case_id is not None else "a case"
    return PermissionDeniedError(
        f"actor {actor.id!r} (roles: {held}; office: {actor.office!r}) may not "
        f"{_verb(rule.action)} {target} of office {office!r}; allowed: "
        f"{'; '.join(allowed) or 'nobody'}",
        actor=actor.id,
        action=rule.action,
        allowed=rule.order,
        office=office,
    )


def _verb(action: str) -> str:
    if action == READ_PERSONAL_DATA:
        return "read the personal data of"
    if action == READ_CASE:
        return "read"
    if action in CASE_ACTIONS:
        return f"{action}"
    return f"fire {action!r} on"


# --------------------------------------------------------------------------- personal data


@attrs.frozen
class PersonalData:
    """The personal data of a case, handed to an actor allowed to read it.

    ``repr`` stays redacted (each :class:`~migrantcare.Person` redacts itself); read the
    fields to use them.

    Attributes:
        complainant: Who complained, if recorded.
        worker: The worker concerned, if recorded apart from the complainant.
    """

    complainant: Person | None
    worker: Person | None


def redacted_dict(case: Case) -> dict[str, Any]:
    """Return ``case.to_dict()`` without personal data: persons and notes left out.

    Notes are free text typed by people and may name people, so they go too. The
    ``"personal_data": "withheld"`` key says so to the reader. Every event keeps its
    hashes, so whoever holds the full record can match them; the redacted record itself
    is for reading, not for :meth:`~migrantcare.Case.from_dict`.
    """
    record = case.to_dict()
    record["complainant"] = None
    record["worker"] = None
    for event in record["events"]:
        event["note"] = None
    record["personal_data"] = "withheld"
    return record


# --------------------------------------------------------------------------- matrices


_ACTION_LABELS: Final = (
    (OPEN, "Buka kasus", "Open a case"),
    (TRANSFER, "Alihkan ke kantor lain", "Transfer to another office"),
    (MIGRATE, "Pindahkan ke definisi baru", "Migrate to a new definition"),
    (ERASE, "Hapus data pribadi", "Erase personal data"),
    (READ_PERSONAL_DATA, "Baca data pribadi", "Read personal data"),
    (READ_CASE, "Lihat kasus", "Read the case"),
)


def _rule_rows(
    permissions: Permissions, triggers: Iterable[tuple[str, str]], lang: str
) -> Iterator[tuple[str, str, Rule, bool]]:
    """Yield (action, label, rule, from_default) for each trigger, then the case actions."""
    for trigger, label in triggers:
        own = trigger in permissions.actions
        yield trigger, label, permissions.rule(trigger), not own
    for action, label_id, label_en in _ACTION_LABELS:
        if action in permissions.actions:
            label = in_language(lang, label_id, label_en)
            yield action, label, permissions.rule(action), False


def roles_text(permissions: Permissions, rule: Rule) -> str:
    """Return the roles of ``rule`` for a diagram: ``*`` marks those acting on any office."""
    anywhere = (frozenset(rule.roles) & permissions.cross_office) | rule.any_office
    return ", ".join(f"{r}*" if r in anywhere else r for r in rule.roles) or "nobody"


def _short_source(rule: Rule) -> str:
    if rule.confirmed:
        return f"{rule.source} (confirmed)"
    if rule.source == OUR_DEFAULT:
        return "our default"
    if rule.source.startswith(f"{OUR_DEFAULT}: "):
        return f"our default: {rule.source[len(OUR_DEFAULT) + 2 :]}"
    return f"{rule.source} (not confirmed)"


def matrix_markdown(
    permissions: Permissions, triggers: Iterable[tuple[str, str]], lang: str = "en"
) -> str:
    """Return the permission matrix as a Markdown table.

    A tick means "on the cases of the actor's own office or of a post under it";
    "any office" means on every office's cases.

    Args:
        permissions: The definition's permissions.
        triggers: ``(trigger, label)`` for each trigger, in the order to list them.
        lang: The language of the case-wide actions' labels (``"id"`` or ``"en"``).
    """
    roles = permissions.roles()
    header = ["action", *(f"`{r}`" for r in roles), "source"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for action, label, rule, from_default in _rule_rows(permissions, triggers, lang):
        anywhere = (frozenset(rule.roles) & permissions.cross_office) | rule.any_office
        cells = []
        for role in roles:
            if role not in rule.roles:
                cells.append("")
            elif role in anywhere:
                cells.append("✓ any office")
            else:
                cells.append("✓")
        source = _short_source(rule)
        if from_default:
            source += " (the rule of triggers without their own)"
        lines.append(f"| `{action}` {label} | " + " | ".join(cells) + f" | {source} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- standard matrices

_OFFICE = ("officer", "head_of_office")
# Those who take cases in (by phone, in person, in a crisis) besides the handling office.
_INTAKE = ("officer", "head_of_office", "call_centre", "crisis_centre")
_DEFAULT_RULE = Rule(_OFFICE, source=f"{OUR_DEFAULT}: the handling office's staff")
_ESCALATE_SOURCE = (
    f"{OUR_DEFAULT}: escalation goes to the crisis centre, which answers around the clock; "
    "a breached SLA escalates as the system"
)


def _case_rules(*, reads: tuple[str, ...], read_anywhere: tuple[str, ...]) -> dict[str, Rule]:
    # Seeing a case (its state, deadlines, audit trail; personal data is apart): those who
    # act on it, the ministry and the system anywhere, and whoever reads its personal data.
    viewers = dict.fromkeys((*_OFFICE, *reads, "ministry_hq", "crisis_centre", "system"))
    return {
        READ_CASE: Rule(
            tuple(viewers),
            any_office=read_anywhere,
            source=f"{OUR_DEFAULT}: the holding office (and the offices above it), those "
            "who take cases in, the crisis centre and the ministry",
        ),
        TRANSFER: Rule(
            ("head_of_office", "call_centre", "ministry_hq"),
            source=f"{OUR_DEFAULT}: the head of the holding office, the call centre for "
            "cases its own office holds (it registers, a BP3MI handles), or the ministry",
        ),
        MIGRATE: Rule(
            ("ministry_hq", "system"),
            source=f"{OUR_DEFAULT}: moving cases to a new definition is a ministry decision",
        ),
        ERASE: Rule(
            ("head_of_office", "ministry_hq"),
            source=f"{OUR_DEFAULT}: erasure under UU 27/2022 is decided by the data controller",
        ),
        READ_PERSONAL_DATA: Rule(
            reads,
            any_office=read_anywhere,
            source=f"{OUR_DEFAULT}: only those who talk to the person or handle the case",
        ),
    }


def _intake_case_rules() -> dict[str, Rule]:
    """Escalation and the case rules of a workflow whose cases arrive through intake.

    Complaints and repatriation requests both come in through the call centre and the
    crisis centre, so those staff escalate and read personal data alongside the office.
    """
    return {
        "escalate": Rule(
            (*_INTAKE, "system"),
            any_office=("call_centre",),
            source=_ESCALATE_SOURCE,
        ),
        **_case_rules(reads=_INTAKE, read_anywhere=("call_centre",)),
    }


def complaint_permissions() -> Permissions:
    """Who may act on a complaint, by default.

    Our sources (``shared/reference/complaint-handling.md``) set the grounds and stages
    (Peraturan BP2MI 6/2024 Pasal 28 and 30, Peraturan KP2MI 23/2025) but not which
    role decides; every rule here is therefore marked as our default
    (``confirmed=False``), citing the rule it implements where there is one.
    Integrators replace any rule with ``spec.with_roles``.
    """
    handling = Rule(
        _OFFICE,
        source=f"{OUR_DEFAULT}: the handling officer conducts clarifications and "
        "facilitated mediation (stages of Peraturan KP2MI 23/2025; the role is not set there)",
    )
    rules: dict[str, Rule] = {
        OPEN: Rule(
            _INTAKE,
            any_office=("call_centre",),
            source=f"{OUR_DEFAULT}: complaints arrive at the call centre (for every office), "
            "the crisis centre and the walk-in desks of BP3MI/P4MI",
        ),
        "start_verification": Rule(_OFFICE),
        "request_documents": Rule(_OFFICE),
        "documents_received": Rule(_OFFICE),
        "verify": Rule(
            _OFFICE,
            source=f"{OUR_DEFAULT}: SP4N-LAPOR! requires verification within 3 working "
            "days, not who verifies",
        ),
        "request_clarification": Rule(_OFFICE),
        "complainant_replied": Rule(
            ("officer", "head_of_office", "call_centre"),
            any_office=("call_centre",),
            source=f"{OUR_DEFAULT}: the complainant may answer through the call centre",
        ),
        "invite_clarification": handling,
        "second_clarification": handling,
        "mediate": handling,
        "refer": Rule(
            _OFFICE,
            source=f"{OUR_DEFAULT}: referral is a ground to close in Peraturan BP2MI 6/2024 "
            "Pasal 30(1)d; the role is not set there",
        ),
        "resolve": Rule(
            _OFFICE,
            source=f"{OUR_DEFAULT}: the handling officer applies the criteria of "
            "Peraturan BP2MI 6/2024 Pasal 28",
        ),
        "close": Rule(
            _OFFICE,
            source=f"{OUR_DEFAULT}: the handling officer closes on a ground of Peraturan "
            "BP2MI 6/2024 Pasal 30(1)",
        ),
        "reopen": Rule(
            ("head_of_office", "ministry_hq"),
            source=f"{OUR_DEFAULT}: reopening overrides a decision, so a head decides",
        ),
        **_intake_case_rules(),
    }
    return Permissions(rules, default=_DEFAULT_RULE)


def repatriation_permissions() -> Permissions:
    """Who may act on a repatriation, by default (all our defaults, see the source)."""
    arranging = Rule(
        _OFFICE,
        source=f"{OUR_DEFAULT}: the office arranges the return; abroad the mission "
        "repatriates (UU 18/2017 Pasal 21), which has no role here",
    )
    rules: dict[str, Rule] = {
        OPEN: Rule(
            _INTAKE,
            any_office=("call_centre",),
            source=f"{OUR_DEFAULT}: requests arrive like complaints",
        ),
        "start_verification": arranging,
        "arrange_travel": arranging,
        "confirm_deceased": Rule(
            ("head_of_office", "officer"),
            source=f"{OUR_DEFAULT}: a death is confirmed with the mission; the head is preferred",
        ),
        "arrive": arranging,
        "hand_over": arranging,
        "close": arranging,
        "cancel": Rule(
            ("head_of_office",),
            source=f"{OUR_DEFAULT}: cancelling a repatriation is the head's decision",
        ),
        **_intake_case_rules(),
    }
    return Permissions(rules, default=_DEFAULT_RULE)


def outreach_permissions() -> Permissions:
    """Who may act on an outreach event, by default (all our defaults, see the source)."""
    rules: dict[str, Rule] = {
        OPEN: Rule(
            ("officer", "head_of_office", "ministry_hq"),
            source=f"{OUR_DEFAULT}: offices plan outreach; the ministry may plan it for them",
        ),
        "coordinate": Rule(_OFFICE),
        "hold": Rule(_OFFICE),
        "report": Rule(_OFFICE),
        "evaluate": Rule(
            ("head_of_office", "ministry_hq"),
            source=f"{OUR_DEFAULT}: programmes continue with evaluation (the minister, "
            "17 Sep 2025); heads and the ministry evaluate",
        ),
        "cancel": Rule(
            ("head_of_office",),
            source=f"{OUR_DEFAULT}: cancelling is the head's decision",
        ),
        **_case_rules(reads=_OFFICE, read_anywhere=()),
    }
    return Permissions(rules, default=_DEFAULT_RULE)
