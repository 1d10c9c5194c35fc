"""Who may act on a workflow's cases: the questions a workflow answers and enforces.

A :class:`CaseAccess` is owned by a workflow (one per binding: the office hierarchy
decides the scope). It holds the definition's permissions compiled
(:class:`~migrantcare.offices._permissions.AccessControl`) and answers what the
workflow's public methods ask (``may``, ``can_read``, ``check_read``, ``authorise``,
``personal_data``, ``export``), and what its operations need before they act: the actor
acting in the role a rule grants it, or a refusal.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from typing import Any, Final

from migrantcare.exceptions import InvalidArgumentError, WrongTypeError
from migrantcare.offices._actors import Actor, check_actor
from migrantcare.offices._permissions import (
    CASE_ACTIONS,
    READ_CASE,
    READ_PERSONAL_DATA,
    AccessControl,
    CaseLike,
    CompiledRule,
    PersonalData,
    denied,
    redacted_dict,
)
from migrantcare.records._case import Case

# What CaseAccess.role returns for a refusal (None means "no permissions defined").
_DENIED: Final = object()
#: How many (actor, role) copies are kept (see CaseAccess.acting).
_AS_ROLE_LIMIT: Final = 4096


class CaseAccess:
    """The permissions of one workflow, asked and enforced on its cases.

    Args:
        control: The definition's permissions compiled; ``None`` lets every actor do
            everything (a definition without permissions, or the copy a replay uses).
        defined: Every ``(state, trigger)`` pair the workflow defines: an action is
            one of its triggers from the case's state, or a case-wide action.
        workflow: The workflow's name, for errors.
    """

    __slots__ = ("_as_role", "_defined", "_workflow", "control")

    def __init__(
        self, control: AccessControl | None, defined: Container[tuple[str, str]], workflow: str
    ) -> None:
        self.control = control
        self._defined = defined
        self._workflow = workflow
        # (actor id, office, roles, role) -> the actor recording that role: see acting
        self._as_role: dict[tuple[str, str | None, frozenset[str], str], Actor] = {}

    def with_parents(self, parents: Mapping[str, str | None]) -> CaseAccess:
        """The same rules with the office hierarchy of ``parents`` (a binding's)."""
        control = self.control
        if control is None:
            return self
        return CaseAccess(control.with_parents(parents), self._defined, self._workflow)

    def unchecked(self) -> CaseAccess:
        """The same questions, every actor allowed everything (for replay)."""
        return CaseAccess(None, self._defined, self._workflow)

    # ------------------------------------------------------------------ enforcing

    def acting(self, rule: CompiledRule | None, actor: Actor, office: str, case_id: str) -> Actor:
        """``actor`` acting in the role ``rule`` grants it on ``office``'s case, or refuse.

        Runs before any guard, callback or recorded effect, so a refusal changes nothing.

        Raises:
            PermissionDeniedError: ``actor`` may not.
        """
        control = self.control
        if rule is None or control is None:  # a definition without permissions
            return actor
        role = control.role_for(rule, actor, office)
        if role is None:
            raise denied(rule, actor, office, case_id)
        if role == actor.role:
            return actor
        # An actor with several roles (a head of office is also an officer) acts in the
        # one the rule prefers: the copy recording it is made once, not on every event.
        # The key holds everything the copy is made of, so equal actors share it.
        key = (actor.id, actor.office, actor.roles, role)
        acting = self._as_role.get(key)
        if acting is None:
            if len(self._as_role) >= _AS_ROLE_LIMIT:
                self._as_role.clear()  # a bound on memory, not a correctness matter
            acting = self._as_role[key] = actor.acting_as(role)
        return acting

    def acting_for(self, action: str, by: object, office: str, case_id: str) -> Actor:
        """``by`` acting in the role the case-wide ``action``'s rule grants it, or refuse.

        Raises:
            InvalidArgumentError: the definition has no rule for ``action``.
            WrongTypeError: ``by`` is not an Actor.
            PermissionDeniedError: ``by`` may not.
        """
        rule = None if self.control is None else self.control.for_action(action)
        return self.acting(rule, check_actor(by), office, case_id)

    def role(self, case: Case, action: str, actor: Actor, *, raise_denied: bool) -> object:
        """The role that authorises ``actor`` (``None``: no permissions defined).

        A refusal raises when ``raise_denied``, else returns a sentinel that is neither.
        """
        control = self.control
        rule: CompiledRule | None
        if action in CASE_ACTIONS:
            if control is None:
                return None
            rule = control.for_action(action)
        else:
            if (case.state, action) not in self._defined:
                raise InvalidArgumentError(
                    f"{action!r} is neither an event from state {case.state!r} of workflow "
                    f"{self._workflow!r} nor a case-wide action ({', '.join(CASE_ACTIONS)})"
                )
            rule = None if control is None else control.for_step(case.state, action)
            if control is None or rule is None:
                return None
        role = control.role_for(rule, actor, case.office)
        if role is not None:
            return role
        if raise_denied:
            raise denied(rule, actor, case.office, case.id)
        return _DENIED

    # ------------------------------------------------------------------ asking

    def may(self, case: Case, action: str, by: object) -> bool:
        """Whether ``by`` may perform ``action`` on ``case`` now (see ``Workflow.may``)."""
        return self.role(case, action, check_actor(by), raise_denied=False) is not _DENIED

    def authorise(self, case: Case, action: str, by: object) -> Actor:
        """``by`` acting in the role that allows ``action``, or refuse (``Workflow.authorise``)."""
        actor = check_actor(by)
        role = self.role(case, action, actor, raise_denied=True)
        return actor if role is None else actor.acting_as(str(role))

    def reader(self, case: Case | CaseLike, by: object, *, raise_denied: bool) -> bool:
        """Whether ``by`` may see ``case`` (the ``read_case`` rule); refuse if ``raise_denied``."""
        actor = check_actor(by)
        control = self.control
        if control is None:
            return True
        office, case_id = getattr(case, "office", None), getattr(case, "id", None)
        if not isinstance(office, str) or not isinstance(case_id, str):
            raise WrongTypeError(
                f"expected a Case or a summary with a str id and office, got {type(case).__name__}"
            )
        rule = control.for_action(READ_CASE)
        if control.role_for(rule, actor, office) is not None:
            return True
        if raise_denied:
            raise denied(rule, actor, office, case_id)
        return False

    def personal_data(self, case: Case, by: object) -> PersonalData:
        """The case's personal data, if ``by`` may read it (``Workflow.personal_data``)."""
        self.role(case, READ_PERSONAL_DATA, check_actor(by), raise_denied=True)
        return PersonalData(case.complainant, case.worker)

    def export(self, case: Case, by: object | None) -> dict[str, Any]:
        """The case for export, its personal data only if ``by`` may read it."""
        if by is not None:
            actor = check_actor(by)
            if self.role(case, READ_PERSONAL_DATA, actor, raise_denied=False) is not _DENIED:
                return case.to_dict()
        return redacted_dict(case)

    def permitted(
        self, case_or_state: Case | str, triggers: tuple[str, ...], by: object | None
    ) -> tuple[str, ...]:
        """Those of ``triggers`` (defined from the case's state) ``by`` may fire on the case.

        All of them when ``by`` is ``None`` or the definition has no permissions.
        """
        control = self.control
        if by is None or control is None:
            return triggers
        if not isinstance(case_or_state, Case):
            raise WrongTypeError("allowed_events(..., by=actor) needs a Case, not a state id")
        actor, state, office = check_actor(by), case_or_state.state, case_or_state.office
        rules = ((t, control.for_step(state, t)) for t in triggers)
        return tuple(t for t, r in rules if r is not None and control.role_for(r, actor, office))
