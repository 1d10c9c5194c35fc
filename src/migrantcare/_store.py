"""A reference in-memory case store with optimistic locking.

Hosts keep cases in their own database; this store shows the contract (save only if
the stored version is the one the change was based on) and serves tests and examples.
"""

from __future__ import annotations

import threading

from migrantcare._case import Case
from migrantcare.exceptions import CaseNotFoundError, StaleCaseError


class InMemoryCaseStore:
    """A thread-safe dict of cases with compare-and-set saves.

    Examples:
        >>> store = InMemoryCaseStore()
        >>> len(store)
        0
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cases: dict[str, Case] = {}

    def __len__(self) -> int:
        return len(self._cases)

    def get(self, case_id: str) -> Case:
        """Return the stored case ``case_id``.

        Raises:
            CaseNotFoundError: no case has that id.
        """
        with self._lock:
            try:
                return self._cases[case_id]
            except KeyError:
                raise CaseNotFoundError(f"no stored case {case_id!r}") from None

    def save(self, case: Case, *, expected_version: int | None) -> None:
        """Store ``case`` if the stored version is ``expected_version``.

        Args:
            case: The new case value.
            expected_version: The version the change was based on; ``None`` for a new case.

        Raises:
            StaleCaseError: someone else saved a different version in the meantime.
        """
        with self._lock:
            current = self._cases.get(case.id)
            actual = None if current is None else current.version
            if actual != expected_version:
                raise StaleCaseError(
                    f"case {case.id!r} is stored at version {actual}, not {expected_version}; "
                    "reload it and apply the change again",
                    expected=-1 if expected_version is None else expected_version,
                    actual=-1 if actual is None else actual,
                )
            self._cases[case.id] = case
