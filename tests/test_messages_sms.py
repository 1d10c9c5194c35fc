"""SMS segment counts match how handsets split texts (property tests against a reference)."""

from __future__ import annotations

from hypothesis import given

from migrantcare import sms_info
from migrantcare.messages._messages import _GSM7, _GSM7_EXT

from .strategies import GSM7_TEXT, UCS2_TEXT

ESC = "\x1b"


def reference(text: str) -> tuple[str, int, int]:
    """Encode ``text`` into units, then cut segments where a handset would.

    GSM-7: one septet a character, ESC + septet for the extension table; UCS-2 here is
    UTF-16 code units. A segment of a multi-part message carries 153 septets or 67 units,
    minus one when it would otherwise end on an ESC or a high surrogate: the pair moves
    to the next segment whole.
    """
    if all(c in _GSM7 or c in _GSM7_EXT for c in text):
        units = [u for c in text for u in ((ESC, c) if c in _GSM7_EXT else (c,))]
        single, multi, encoding = 160, 153, "GSM-7"

        def leads(u: str) -> bool:
            return u == ESC

    else:
        raw = text.encode("utf-16-be")
        units = [raw[i : i + 2].decode("latin-1") for i in range(0, len(raw), 2)]
        single, multi, encoding = 70, 67, "UCS-2"

        def leads(u: str) -> bool:
            return 0xD8 <= ord(u[0]) <= 0xDB

    if len(units) <= single:
        return encoding, len(units), 1
    segments, start = 0, 0
    while start < len(units):
        end = min(start + multi, len(units))
        if end < len(units) and leads(units[end - 1]):
            end -= 1
        segments, start = segments + 1, end
    return encoding, len(units), segments


def test_the_example_of_the_issue() -> None:
    assert sms_info("a" * 152 + "€" + "a" * 152).segments == 3
    assert reference("a" * 152 + "€" + "a" * 152)[2] == 3
    assert sms_info("a" * 66 + "😀" + "漢" * 66).segments == 3  # the emoji moves on
    assert sms_info("a" * 151 + "€" + "a" * 152).segments == 2  # the pair fits
    assert sms_info("€" * 80).segments == 1  # 160 septets fit one SMS


@given(GSM7_TEXT)
def test_gsm7_matches_the_reference(text: str) -> None:
    info = sms_info(text)
    assert (info.encoding, info.units, info.segments) == reference(text)


@given(UCS2_TEXT)
def test_ucs2_matches_the_reference(text: str) -> None:
    info = sms_info(text)
    assert (info.encoding, info.units, info.segments) == reference(text)


@given(GSM7_TEXT)
def test_segments_never_fewer_than_a_plain_division(text: str) -> None:
    info = sms_info(text)
    assert info.segments >= -(-info.units // 153)
