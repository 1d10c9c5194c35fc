"""Every error migrantcare raises.

All of them derive from :class:`MigrantCareError`, so a host can catch the library's
errors in one place. Each one *also* derives from the builtin exception that fits
(``ValueError``, ``LookupError``, ``TypeError``), so code that already catches those
keeps working.

Messages name the offending value and what would have been accepted. They never
contain a worker's personal data (names, passport numbers, NIK, phone numbers).

Each class carries its HTTP meaning as the class attribute ``http_status``, so a web
service maps every migrantcare error in one place (``status_code=exc.http_status``):

* 403: the actor may not do this (:class:`PermissionDeniedError`);
* 404: the case or office named does not exist;
* 409: the request conflicts with the case as stored (a stale version, an event the
  case's state does not allow, a case on another workflow version);
* 422: the request itself is invalid (a wrong type, an impossible value, an unknown
  term, a naive datetime);
* 500: the deployment or the stored data is at fault (a broken definition or catalog,
  a history that fails verification, a callback that raised).

The status agrees with the builtin the class also derives from: ``TypeError`` is 422,
``PermissionError`` 403, ``RuntimeError`` 500, ``LookupError`` 404 or 422 (or 500 for
what the deployment should have shipped), ``ValueError`` 409, 422 or 500.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "CalendarCoverageError",
    "CalendarMismatchError",
    "CallbackError",
    "CaseExistsError",
    "CaseNotFoundError",
    "CatalogError",
    "DateOutOfRangeError",
    "DefinitionFileError",
    "GuardRejectedError",
    "IntegrityError",
    "InvalidArgumentError",
    "InvalidScheduleError",
    "InvalidTransitionError",
    "MigrantCareError",
    "MissingMessageError",
    "NaiveDatetimeError",
    "OfficeConfigError",
    "PermissionDeniedError",
    "SchemaError",
    "StaleCaseError",
    "UnknownOfficeError",
    "UnknownProvinceError",
    "UnknownTermError",
    "UnknownTimezoneError",
    "WorkflowDefinitionError",
    "WorkflowMismatchError",
    "WrongTypeError",
]


#: The longest message an error carries; values in messages are quoted shorter still.
MESSAGE_LIMIT = 2_000


class MigrantCareError(Exception):
    """Root of every error raised by migrantcare.

    A message longer than :data:`MESSAGE_LIMIT` characters is cut: no input, however
    large, turns into a huge message or log line.

    Attributes:
        http_status: The HTTP status a web service answers with when this error leaves
            a request (class attribute; 500 for an error without a more precise one).
    """

    http_status: ClassVar[int] = 500

    def __init__(self, *args: object) -> None:
        if args and isinstance(args[0], str) and len(args[0]) > MESSAGE_LIMIT:
            args = (args[0][:MESSAGE_LIMIT] + "… (message cut)", *args[1:])
        super().__init__(*args)


class NaiveDatetimeError(MigrantCareError, ValueError):
    """A datetime without a time zone was given where an instant is needed.

    migrantcare never guesses a zone: a naive ``10:00`` in a complaint from Hong Kong
    and the same ``10:00`` in a Jakarta office are an hour apart.
    """

    http_status: ClassVar[int] = 422


class WrongTypeError(MigrantCareError, TypeError):
    """An argument has the wrong type (e.g. a float where a whole number of days is needed)."""

    http_status: ClassVar[int] = 422


class InvalidArgumentError(MigrantCareError, ValueError):
    """An argument has the right type but an impossible value (e.g. an end before its start)."""

    http_status: ClassVar[int] = 422


class InvalidScheduleError(MigrantCareError, ValueError):
    """A working schedule is malformed: inverted, overlapping or out-of-day intervals."""

    http_status: ClassVar[int] = 422


class UnknownProvinceError(MigrantCareError, LookupError):
    """A province name is not one of Indonesia's 38 provinces."""

    http_status: ClassVar[int] = 422


class UnknownTimezoneError(MigrantCareError, LookupError):
    """A time-zone name is not a known IANA zone."""

    http_status: ClassVar[int] = 422


class DateOutOfRangeError(MigrantCareError, ValueError):
    """A date, or the result of an arithmetic step, falls outside the years a calendar covers."""

    http_status: ClassVar[int] = 422


class CalendarCoverageError(MigrantCareError, ValueError):
    """A strict calendar was asked to compute across a year whose holidays are not decreed.

    Raised only by calendars built with ``strict=True``; the default calendar computes on
    the estimated data and reports it as provisional instead.
    """

    http_status: ClassVar[int] = 422


class WorkflowDefinitionError(MigrantCareError, ValueError):
    """A workflow definition is inconsistent.

    For example unknown or unreachable states, dead ends, one trigger defined twice from
    one state, or an extension that names something absent.
    """

    http_status: ClassVar[int] = 500


class DefinitionFileError(WorkflowDefinitionError):
    """A workflow definition document (TOML or JSON) is malformed.

    Attributes:
        file: The file (or ``"<document>"`` for an in-memory one).
        path: The key path of the offending value, e.g. ``"transitions[3].dest"``.
    """

    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, file: str, path: str):
        super().__init__(message)
        self.file = file
        self.path = path


class UnknownTermError(MigrantCareError, LookupError):
    """A category, channel, complainant type or priority is not in the workflow's vocabulary."""

    http_status: ClassVar[int] = 422


class InvalidTransitionError(MigrantCareError, ValueError):
    """An event cannot fire: it is unknown, or not allowed from the case's current state.

    Attributes:
        trigger: The event that was fired.
        state: The state the case was in.
        allowed: The events allowed from that state.
    """

    http_status: ClassVar[int] = 409

    def __init__(self, message: str, *, trigger: str, state: str, allowed: tuple[str, ...]):
        super().__init__(message)
        self.trigger = trigger
        self.state = state
        self.allowed = allowed


class GuardRejectedError(InvalidTransitionError):
    """A guard refused the event; the case is unchanged.

    Attributes:
        guard: The name of the guard that refused.
    """

    http_status: ClassVar[int] = 409

    def __init__(
        self, message: str, *, trigger: str, state: str, allowed: tuple[str, ...], guard: str
    ):
        super().__init__(message, trigger=trigger, state=state, allowed=allowed)
        self.guard = guard


class CallbackError(MigrantCareError, RuntimeError):
    """A workflow callback raised, or returned something other than ``None`` or JSON data.

    The case is unchanged. When the callback raised, the original exception is chained
    as ``__cause__``.

    Attributes:
        trigger: The event that was firing (``None`` when not known).
        state: The state the case was in (``None`` when not known).
    """

    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, trigger: str | None = None, state: str | None = None):
        super().__init__(message)
        self.trigger = trigger
        self.state = state


class StaleCaseError(MigrantCareError, ValueError):
    """The case was changed by someone else since it was read (optimistic locking).

    Attributes:
        expected: The version the caller based its change on.
        actual: The version that is current.
    """

    http_status: ClassVar[int] = 409

    def __init__(self, message: str, *, expected: int, actual: int):
        super().__init__(message)
        self.expected = expected
        self.actual = actual


class CaseExistsError(StaleCaseError):
    """A case with that id is already stored: ``add`` refuses it (load the case instead).

    A :class:`StaleCaseError` (``expected`` is 0, ``actual`` the stored version), so a
    load-apply-save retry loop treats it like any concurrent write.
    """

    http_status: ClassVar[int] = 409


class WorkflowMismatchError(MigrantCareError, ValueError):
    """A case was given to a workflow (name or version) that is not the one it runs on."""

    http_status: ClassVar[int] = 409


class SchemaError(MigrantCareError, ValueError):
    """A serialised case does not match the expected schema or schema version."""

    http_status: ClassVar[int] = 422


class IntegrityError(MigrantCareError, ValueError):
    """A case's event history fails verification: an event was edited, removed or reordered."""

    http_status: ClassVar[int] = 500


class CaseNotFoundError(MigrantCareError, LookupError):
    """A store has no case with the given id."""

    http_status: ClassVar[int] = 404


class CatalogError(MigrantCareError, ValueError):
    """A message catalog is malformed: a template does not parse or uses a refused form.

    Placeholders are plain names (``{due}``); attribute access (``{case.id}``),
    indexing (``{a[0]}``), conversions (``{a!r}``) and format specs (``{a:>10}``) are
    refused, because ``str.format`` on an untrusted template can read globals and a
    format spec can allocate gigabytes.
    """

    http_status: ClassVar[int] = 500


class MissingMessageError(MigrantCareError, LookupError):
    """A message key, or a whole locale, is not in the catalogs (never a silent fallback)."""

    http_status: ClassVar[int] = 500


class PermissionDeniedError(MigrantCareError, PermissionError):
    """An actor may not perform an action on a case; nothing changed, nothing was recorded.

    Raised before guards and callbacks run. The message names the actor, the action, the
    case's office and the roles that would be allowed, never personal data.

    Attributes:
        actor: The actor's id.
        action: The trigger, or ``open``, ``transfer``, ``migrate``, ``erase``,
            ``read_personal_data``.
        allowed: The roles the definition allows for that action.
        office: The office holding the case.
    """

    http_status: ClassVar[int] = 403

    def __init__(
        self, message: str, *, actor: str, action: str, allowed: tuple[str, ...], office: str
    ):
        super().__init__(message)
        self.actor = actor
        self.action = action
        self.allowed = allowed
        self.office = office


class CalendarMismatchError(MigrantCareError, ValueError):
    """A calendar was given that is not the one the case must be computed on.

    Raised when an explicit ``calendar=`` differs from the calendar of the case's office
    in a bound workflow, or when a calendar of another time zone than the case's clocks
    is given to any operation but a transfer. The message names both calendars.
    """

    http_status: ClassVar[int] = 422


class UnknownOfficeError(MigrantCareError, LookupError):
    """An office id is not in the :class:`~migrantcare.Offices` registry."""

    http_status: ClassVar[int] = 404


class OfficeConfigError(MigrantCareError, ValueError):
    """An office directory (TOML or JSON) is malformed; the message names file, key and value."""

    http_status: ClassVar[int] = 500
