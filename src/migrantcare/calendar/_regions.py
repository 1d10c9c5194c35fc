"""Indonesia's 38 provinces and their time zones.

Source: Keppres 41/1987 (WIB/WITA/WIT, no daylight saving) and IANA ``zone1970.tab``,
which has four zones for Indonesia; Kalimantan Barat and Kalimantan Tengah are WIB
but carry their own IANA zone (Asia/Pontianak).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType

from migrantcare._validate import quote
from migrantcare.exceptions import UnknownProvinceError, WrongTypeError

_WIB = "Asia/Jakarta"
_WIB_KALIMANTAN = "Asia/Pontianak"
_WITA = "Asia/Makassar"
_WIT = "Asia/Jayapura"

PROVINCE_TIMEZONES: Mapping[str, str] = MappingProxyType(
    {
        "Aceh": _WIB,
        "Sumatera Utara": _WIB,
        "Sumatera Barat": _WIB,
        "Riau": _WIB,
        "Kepulauan Riau": _WIB,
        "Jambi": _WIB,
        "Bengkulu": _WIB,
        "Sumatera Selatan": _WIB,
        "Kepulauan Bangka Belitung": _WIB,
        "Lampung": _WIB,
        "Banten": _WIB,
        "DKI Jakarta": _WIB,
        "Jawa Barat": _WIB,
        "Jawa Tengah": _WIB,
        "DI Yogyakarta": _WIB,
        "Jawa Timur": _WIB,
        "Kalimantan Barat": _WIB_KALIMANTAN,
        "Kalimantan Tengah": _WIB_KALIMANTAN,
        "Kalimantan Timur": _WITA,
        "Kalimantan Selatan": _WITA,
        "Kalimantan Utara": _WITA,
        "Bali": _WITA,
        "Nusa Tenggara Barat": _WITA,
        "Nusa Tenggara Timur": _WITA,
        "Sulawesi Utara": _WITA,
        "Gorontalo": _WITA,
        "Sulawesi Tengah": _WITA,
        "Sulawesi Barat": _WITA,
        "Sulawesi Selatan": _WITA,
        "Sulawesi Tenggara": _WITA,
        "Maluku": _WIT,
        "Maluku Utara": _WIT,
        "Papua": _WIT,
        "Papua Barat": _WIT,
        "Papua Tengah": _WIT,
        "Papua Pegunungan": _WIT,
        "Papua Selatan": _WIT,
        "Papua Barat Daya": _WIT,
    }
)
"""Province name (as the ministry writes it) -> IANA zone of the province's offices."""

ZONE_ABBREVIATIONS: Mapping[str, str] = MappingProxyType(
    {_WIB: "WIB", _WIB_KALIMANTAN: "WIB", _WITA: "WITA", _WIT: "WIT"}
)
"""IANA zone -> the Indonesian abbreviation (WIB, WITA, WIT)."""

_BY_KEY = MappingProxyType({" ".join(k.casefold().split()): k for k in PROVINCE_TIMEZONES})


def province_name(name: str) -> str:
    """Return the canonical spelling of province ``name`` (matched case-insensitively).

    Raises:
        WrongTypeError: ``name`` is not a string.
        UnknownProvinceError: ``name`` is not one of the 38 provinces.
    """
    if not isinstance(name, str):
        raise WrongTypeError(f"province must be a str, got {type(name).__name__} {quote(name)}")
    key = " ".join(name.casefold().split())
    try:
        return _BY_KEY[key]
    except KeyError:
        close = difflib.get_close_matches(key, list(_BY_KEY), n=3, cutoff=0.6)
        hint = (
            f"did you mean {', '.join(repr(_BY_KEY[c]) for c in close)}?"
            if close
            else "see migrantcare.PROVINCE_TIMEZONES for the 38 names"
        )
        raise UnknownProvinceError(f"unknown province {quote(name)}; {hint}") from None
