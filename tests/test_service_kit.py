"""The service kit: what a web service built on migrantcare needs, in the library.

HTTP statuses on the errors, ``store.update`` (load, apply, save, retry when stale),
expected versions on transfer and erasure, and the ``read_case`` permission.
"""

from __future__ import annotations

import inspect

import pytest

import migrantcare.exceptions as errors
from migrantcare.exceptions import MigrantCareError

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
CONFLICTS |= {"WorkflowMismatchError"}
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
