"""A short receipt for the complainant: the case, its opening's hash, the day it opened.

A worker abroad keeps it from the acknowledgement (the notice source ``receipt``). Later
the ombudsman checks it against a published digest: ``migrantcare audit prove`` gives
the case's head in the signed tree, and the stored chain (``verify_case``) starts with
an opening whose hash begins with the receipt's digits and leads to that head.
"""

from __future__ import annotations

from typing import Final

from migrantcare.exceptions import IntegrityError
from migrantcare.records._case import Case

#: Hex digits of the opening's hash a receipt carries (64 bits).
RECEIPT_DIGITS: Final = 16


def receipt_of(case: Case) -> str:
    """``"<case id> <first 16 hex digits of the opening's hash> <opening date, UTC>"``.

    Examples:
        >>> import datetime as dt
        >>> from migrantcare import Actor, complaint_workflow
        >>> wf = complaint_workflow(sla=False)
        >>> case = wf.open("PGD-1", at=dt.datetime(2026, 3, 2, 1, tzinfo=dt.timezone.utc),
        ...                by=Actor("cc", roles={"call_centre"}, office="bp3mi-ntt"),
        ...                office="bp3mi-ntt", category="unpaid_wages", channel="whatsapp")
        >>> text = receipt_of(case)
        >>> text.split()[0], len(text.split()[1]), text.split()[2]
        ('PGD-1', 16, '2026-03-02')
    """
    opening = case.events[0]
    # the digest's first bytes in hex, not the whole hash's hex cut: once per acknowledgement
    return f"{case.id} {opening.digest[: RECEIPT_DIGITS // 2].hex()} {opening.at.date()}"


def check_receipt(receipt: str, case: Case) -> None:
    """Check that ``receipt`` is the receipt of ``case`` (loaded and verified).

    Raises:
        IntegrityError: the receipt names another case, opening or day.
    """
    if receipt.split() != receipt_of(case).split():
        raise IntegrityError(
            f"case {case.id!r}: the receipt does not match the stored opening (another "
            "case, or a history rebuilt since)"
        )
