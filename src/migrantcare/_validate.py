"""Input checks shared by every public entry point, and the one way to quote a value.

Every refusal is a :class:`~migrantcare.exceptions.MigrantCareError` that also
subclasses the fitting builtin, raised *before* anything is built, so a refused call
changes nothing. Nothing is coerced: ``None`` is not ``"None"``, ``True`` is not ``1``,
``"1"`` is not ``1``.

The limits below are part of the documented contract (``docs/reference/exceptions.md``).
"""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from itertools import accumulate
from types import MappingProxyType
from typing import Any, Final

from migrantcare.exceptions import InvalidArgumentError, SchemaError, WrongTypeError

#: How many characters of a value an error message quotes at most.
QUOTE_LIMIT: Final = 80
#: How deep lists and dicts may nest in attributes and event data.
MAX_DEPTH: Final = 32
#: The longest text accepted in a single string (ids, notes, values in data).
MAX_TEXT: Final = 100_000
#: The largest magnitude of an integer in attributes and event data (64-bit signed).
MAX_INT: Final = 2**63 - 1
#: The most entries (dict keys plus list items, all levels) in one data mapping.
MAX_ITEMS: Final = 10_000
#: The longest canonical JSON text of an object a string may hold instead of
#: :data:`MAX_TEXT` characters: a case's attributes, which its opening event records as
#: JSON text (their own values are held to the limits above).
MAX_EMBEDDED_JSON: Final = 1_000_000


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """Return a bounded ``repr`` of ``value`` for an error message.

    Strings and bytes are cut to their first ``limit`` characters before ``repr`` is
    taken, so a 2 MB value never becomes a 2 MB message; other values are shown by
    type and a cut ``repr``. Never use it on personal data: say "value not shown".

    Examples:
        >>> quote("x" * 500)[-16:]
        "xx'… (500 chars)"
    """
    if isinstance(value, str | bytes):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}… ({len(value)} chars)"
    if value is None or isinstance(value, bool | int | float):
        return _quote_number(value)
    if isinstance(value, list | tuple | dict | set | frozenset):
        # containers can be huge or deeply nested: their repr would be slow or recurse
        return f"<{type(value).__name__} of {len(value)} items>"
    return _quote_other(value, limit)


def _quote_number(value: bool | int | float | None) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"<int of {value.bit_length()} bits>"
    return repr(value)


def _quote_other(value: object, limit: int) -> str:
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ must not replace the real error
        text = f"<{type(value).__name__}>"
    if len(text) > limit:
        text = text[:limit] + "…"
    return text


def type_name(value: object) -> str:
    """The name of ``value``'s type, for messages."""
    return type(value).__name__


def _has_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def plain_text(value: object) -> bool:
    """Whether :func:`check_text` (not empty, default limit) returns ``value`` at once.

    A short ASCII ``str`` that is not blank; loads check the stored texts they read
    with it and send any other value down the checked path.
    """
    return (
        type(value) is str
        and 0 < len(value) <= MAX_TEXT
        and value.isascii()
        and not value.isspace()
        and "\x00" not in value
    )


def check_text(
    value: object,
    what: str,
    *,
    empty: bool = False,
    limit: int = MAX_TEXT,
    private: bool = False,
    error: type[InvalidArgumentError] | type[SchemaError] = InvalidArgumentError,
) -> str:
    """Return ``value`` if it is a ``str`` that can be stored and hashed.

    Args:
        value: The candidate.
        what: How the value is called in the message.
        empty: Whether an empty (or blank) string is allowed.
        limit: The longest length allowed.
        private: The value is personal data: never quote it.
        error: The class raised for a bad value (``SchemaError`` when loading).

    Raises:
        WrongTypeError: not a ``str`` (``SchemaError`` when loading).
        InvalidArgumentError: empty, too long, with a lone surrogate or with a NUL.
    """
    if type(value) is not str:
        raise _not_text(value, what, error)
    # the common case, checked without building anything: short, ASCII, not blank
    if (
        len(value) <= limit
        and value.isascii()
        and (empty or (not value.isspace() and value))
        and "\x00" not in value
    ):
        return value
    problem = _text_problem(value, what, empty=empty, limit=limit, private=private)
    if problem:
        raise error(problem)
    return value


def _not_text(value: object, what: str, error: type[Exception]) -> Exception:
    """The error for a value that is not a ``str`` at all."""
    if error is SchemaError:
        return SchemaError(f"{what} must be a string, got {type_name(value)}")
    return WrongTypeError(f"{what} must be a str, got {type_name(value)}")


def _text_problem(value: str, what: str, *, empty: bool, limit: int, private: bool) -> str:
    """Why :func:`check_text` refuses ``value``, or ``""`` if it does not."""
    shown = "(value not shown)" if private else quote(value)
    if not empty and not value.strip():
        return f"{what} must not be empty, got {shown}"
    if len(value) > limit:
        return f"{what} is {len(value)} characters long; at most {limit} are accepted"
    if _has_surrogate(value):
        return (
            f"{what} contains a lone surrogate (text that is not valid Unicode, often "
            f"from a mis-decoded file) {shown}; pass valid UTF-8 text"
        )
    if "\x00" in value:
        return f"{what} contains {_NUL_PROBLEM}"
    return ""


#: Why a NUL is refused, for messages: every backend refuses it alike.
_NUL_PROBLEM: Final = (
    "a NUL character (U+0000), which PostgreSQL cannot store in text or JSON; remove it"
)


def check_optional_text(
    value: object,
    what: str,
    *,
    error: type[InvalidArgumentError] | type[SchemaError] = InvalidArgumentError,
    private: bool = False,
) -> str | None:
    """Return ``value`` if it is ``None`` or a storable ``str`` (which may be empty)."""
    if value is None:
        return None
    return check_text(value, what, empty=True, error=error, private=private)


def check_int(
    value: object,
    what: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    error: type[InvalidArgumentError] | type[SchemaError] = InvalidArgumentError,
) -> int:
    """Return ``value`` if it is an ``int`` (not a bool) within the bounds."""
    if type(value) is not int:
        raise _not_int(value, what, error)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise error(f"{what} must be{_bounds(minimum, maximum)}, got {quote(value)}")
    return value


def _not_int(value: object, what: str, error: type[Exception]) -> Exception:
    """The error for a value that is not an ``int`` (a bool is not one)."""
    if error is SchemaError:
        return SchemaError(f"{what} must be a whole number, got {type_name(value)}")
    return WrongTypeError(
        f"{what} must be an int, got {type_name(value)} {quote(value)}"
        + (" (bools are not numbers)" if isinstance(value, bool) else "")
    )


def _bounds(minimum: int | None, maximum: int | None) -> str:
    """The bounds for a message, e.g. `` >= 1 and <= 9`` (with the leading space)."""
    low = "" if minimum is None else f" >= {minimum}"
    high = "" if maximum is None else f" <= {maximum}"
    joint = " and" if low and high else ""
    return f"{low}{joint}{high}"


def _fast_count(item: Any, depth: int) -> int:
    """Values inside the container ``item`` if all are fine, else -1 (no message built).

    Recursion is safe here: it stops at :data:`MAX_DEPTH` levels.
    """
    if depth >= MAX_DEPTH or len(item) >= MAX_ITEMS:  # at a limit: the full walk decides
        return -1
    if type(item) is dict:
        return _fast_values(item.values(), len(item), depth) if _fine_keys(item) else -1
    return _fast_values(item, len(item), depth)


def _fast_values(values: Iterable[Any], count: int, depth: int) -> int:
    """``count`` plus the values nested in ``values`` if all are fine, else -1."""
    for v in values:
        t = type(v)
        # the commonest values, texts and small integers, are judged here; the others
        # (and an integer out of range) through the table below
        if t is str:
            if len(v) > MAX_TEXT or "\x00" in v or (not v.isascii() and _has_surrogate(v)):
                return -1
            continue
        if t is int and -MAX_INT <= v <= MAX_INT:
            continue
        inner = _FAST_COUNT.get(t, _fast_refused)(v, depth + 1)
        if inner < 0:
            return -1
        count += inner
        if count >= MAX_ITEMS:
            return -1
    return count


def _fine_keys(mapping: dict[Any, Any]) -> bool:
    for k in mapping:
        if (
            type(k) is not str
            or len(k) > MAX_TEXT
            or "\x00" in k
            or (not k.isascii() and _has_surrogate(k))
        ):
            return False
    return True


def _fast_int(number: int, _depth: int) -> int:
    return 0 if -MAX_INT <= number <= MAX_INT else -1


def _fast_float(number: float, _depth: int) -> int:
    return 0 if number - number == 0.0 else -1  # NaN and ±infinity, without a call


def _fast_fine(_value: object, _depth: int) -> int:
    return 0


def _fast_refused(_value: object, _depth: int) -> int:
    return -1


#: How :func:`_fast_values` judges a value other than a ``str``, by its exact type and
#: at its depth: the values it holds (0 for a scalar), or -1. Subclasses, as any type
#: missing here, go down the explaining walk of :func:`check_json`.
_FAST_COUNT: Final[Mapping[type, Callable[[Any, int], int]]] = MappingProxyType(
    {
        int: _fast_int,
        float: _fast_float,
        bool: _fast_fine,
        type(None): _fast_fine,
        dict: _fast_count,
        list: _fast_count,
        tuple: _fast_count,
    }
)
_JSON_CONTAINERS: Final = frozenset({dict, list, tuple})


#: An entry of the explaining walk: the value, its key, its depth, its parent's entry.
_Entry = tuple[object, object, int, Any]


def check_json(value: object, what: str, *, error: type[Exception] = InvalidArgumentError) -> None:
    """Check that ``value`` is strict, bounded JSON data.

    Accepted: ``dict`` with ``str`` keys, ``list``/``tuple``, ``str``, ``int`` within
    ±(2**63 - 1), finite ``float``, ``bool``, ``None``; nesting at most
    :data:`MAX_DEPTH` levels, at most :data:`MAX_ITEMS` entries, strings at most
    :data:`MAX_TEXT` characters and valid Unicode (no lone surrogates).

    Raises:
        InvalidArgumentError: (or ``error``) naming the path of the first bad value.
    """
    # the common case in one quick pass; the walk below only runs to explain a refusal
    if type(value) in _JSON_CONTAINERS and _fast_count(value, 0) >= 0:
        return
    count = 0
    # An explicit stack: hostile nesting must not hit the interpreter's recursion
    # limit. Each entry keeps its parent's entry and its key, so the path of a bad
    # value is only spelled out when there is one.
    stack: list[_Entry] = [(value, None, 0, None)]
    while stack:
        entry = stack.pop()
        count += 1
        if count > MAX_ITEMS:
            raise error(f"{what} has more than {MAX_ITEMS} values; store big data elsewhere")
        explain = _EXPLAIN_JSON.get(type(entry[0]), _explain_json_type)
        explain(entry, stack, what, error)


def _explain_json_text(
    entry: _Entry, _stack: list[_Entry], what: str, error: type[Exception]
) -> None:
    text: str = entry[0]  # type: ignore[assignment]
    if len(text) > MAX_TEXT or not text.isascii() or "\x00" in text:
        _check_json_text(text, entry, what, error)


def _explain_json_fine(
    _entry: _Entry, _stack: list[_Entry], _what: str, _error: type[Exception]
) -> None:
    pass


def _explain_json_int(
    entry: _Entry, _stack: list[_Entry], what: str, error: type[Exception]
) -> None:
    number: int = entry[0]  # type: ignore[assignment]
    if not -MAX_INT <= number <= MAX_INT:
        raise error(f"{_path(entry, what)} is an integer beyond ±(2**63 - 1): {quote(number)}")


def _explain_json_float(
    entry: _Entry, _stack: list[_Entry], what: str, error: type[Exception]
) -> None:
    number: float = entry[0]  # type: ignore[assignment]
    if not math.isfinite(number):
        raise error(
            f"{_path(entry, what)} is {number!r}; NaN and infinity are not JSON: use a "
            "number or None"
        )


def _explain_json_dict(
    entry: _Entry, stack: list[_Entry], what: str, error: type[Exception]
) -> None:
    mapping: dict[object, object] = entry[0]  # type: ignore[assignment]
    depth = entry[2]
    if depth >= MAX_DEPTH:
        raise error(f"{what} nests deeper than {MAX_DEPTH} levels")
    for key, sub in mapping.items():
        if type(key) is not str:
            raise error(
                f"{_path(entry, what)} has a key of type {type_name(key)}; JSON keys are str"
            )
        if len(key) > MAX_TEXT or not key.isascii() or "\x00" in key:
            _check_json_text(key, (key, key, depth + 1, entry), what, error, embedded=False)
        stack.append((sub, key, depth + 1, entry))


def _explain_json_list(
    entry: _Entry, stack: list[_Entry], what: str, error: type[Exception]
) -> None:
    items: list[object] = entry[0]  # type: ignore[assignment]
    depth = entry[2]
    if depth >= MAX_DEPTH:
        raise error(f"{what} nests deeper than {MAX_DEPTH} levels")
    for index, sub in enumerate(items):
        stack.append((sub, index, depth + 1, entry))


def _explain_json_type(
    entry: _Entry, _stack: list[_Entry], what: str, error: type[Exception]
) -> None:
    raise error(
        f"{_path(entry, what)} is of type {type_name(entry[0])}; {what} must be "
        "JSON-compatible: str, int, float, bool, None, lists, dicts with str keys"
    )


#: How the explaining walk of :func:`check_json` judges a value, by its exact type;
#: containers push their values onto the walk's stack.
_EXPLAIN_JSON: Final[
    Mapping[type, Callable[[_Entry, list[_Entry], str, type[Exception]], None]]
] = MappingProxyType(
    {
        str: _explain_json_text,
        type(None): _explain_json_fine,
        bool: _explain_json_fine,
        int: _explain_json_int,
        float: _explain_json_float,
        dict: _explain_json_dict,
        list: _explain_json_list,
        tuple: _explain_json_list,
    }
)


def _path(entry: _Entry, what: str) -> str:
    """Spell out where ``entry`` is, e.g. ``data['a'][0]`` (only when reporting it)."""
    keys = []
    while entry is not None and entry[3] is not None:
        keys.append(entry[1])
        entry = entry[3]
    return what + "".join(
        f"[{k}]" if isinstance(k, int) else f"[{quote(k, 30)}]" for k in reversed(keys)
    )


def _embedded_json(text: str) -> bool:
    """Whether ``text`` is the canonical JSON text of an object that passes :func:`check_json`.

    Such a text may be longer than :data:`MAX_TEXT` (see :data:`MAX_EMBEDDED_JSON`):
    an opening event records the case's attributes so, and a 100,000-character
    attribute must not be refused for the quotes and key around it.
    """
    if len(text) > MAX_EMBEDDED_JSON or not text.startswith("{"):
        return False
    if document_nesting(text, "json") > MAX_DEPTH:
        return False  # json.loads recurses per level
    try:
        value = json.loads(text)
        check_json(value, "embedded data")
    except (ValueError, RecursionError, InvalidArgumentError):
        return False
    return type(value) is dict and text == json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _check_json_text(
    text: str,
    entry: _Entry,
    what: str,
    error: type[Exception],
    *,
    embedded: bool = True,
) -> None:
    if len(text) > MAX_TEXT and not (embedded and _embedded_json(text)):
        raise error(
            f"{_path(entry, what)} is {len(text)} characters long; at most {MAX_TEXT} are accepted"
        )
    if _has_surrogate(text):
        raise error(
            f"{_path(entry, what)} contains a lone surrogate {quote(text)}; pass valid UTF-8 text"
        )
    if "\x00" in text:
        raise error(f"{_path(entry, what)} contains {_NUL_PROBLEM}")


def check_mapping(
    value: object, what: str, *, error: type[Exception] = SchemaError
) -> Mapping[str, Any]:
    """Return ``value`` if it is a mapping (a stored record), else raise ``error``."""
    if not isinstance(value, Mapping):
        raise error(f"{what} must be a mapping, got {type_name(value)}")
    return value


def check_list(
    value: object, what: str, *, error: type[Exception] = SchemaError
) -> list[Any] | tuple[Any, ...]:
    """Return ``value`` if it is a list or tuple (never a str, dict or None)."""
    if type(value) not in (list, tuple):
        raise error(f"{what} must be a list, got {type_name(value)}")
    return value  # type: ignore[return-value]


def check_hex_digest(value: object, what: str) -> bytes:
    """Return the 32 bytes of a stored SHA-256 hex digest."""
    if type(value) is not str or len(value) != 64:
        raise SchemaError(f"{what} must be 64 hexadecimal digits, got {quote(value)}")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise SchemaError(f"{what} must be 64 hexadecimal digits, got {quote(value)}") from None


#: The longest case, office or actor id accepted.
MAX_ID: Final = 200


def check_id(value: object, what: str) -> str:
    """Return ``value`` if it is a non-empty id of at most :data:`MAX_ID` characters."""
    return check_text(value, what, limit=MAX_ID)


def check_trigger(value: object) -> str:
    """Return ``value`` if it can name an event (a ``str``), else raise ``WrongTypeError``."""
    if type(value) is not str:
        raise WrongTypeError(f"an event (trigger) must be a str, got {type_name(value)}")
    return value


def check_name(value: object, what: str) -> str:
    """Return ``value`` if it is a ``str`` that can name a state, event or goal."""
    if type(value) is not str:
        raise WrongTypeError(f"{what} must be a str, got {type_name(value)} {quote(value)}")
    return value


def check_names(value: object, what: str) -> tuple[str, ...]:
    """Return ``value`` (a ``str`` or an iterable of ``str``) as a tuple of names."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, bytes | Mapping) or not isinstance(value, Iterable):
        raise WrongTypeError(f"{what} must be a str or an iterable of str, got {type_name(value)}")
    out = tuple(value)
    for item in out:
        check_name(item, what)
    return out


# --------------------------------------------------------------------------- documents

#: How deep tables and lists may nest in a document file (a workflow definition, an
#: office directory). Real documents nest five levels at most.
MAX_DOCUMENT_DEPTH: Final = 32

_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def decode_document(raw: bytes) -> tuple[str | None, str]:
    """Return ``(text, "")`` for a UTF-8 document file, else ``(None, what is wrong)``.

    A UTF-8 byte-order mark (Notepad writes one) is dropped. UTF-16 and UTF-32 files
    (what Windows editors call "Unicode") and binary files are named as such, so the
    caller's error says how to fix the file rather than where a decoder gave up.
    """
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return (
                None,
                f"the file is {name} text (it starts with a {name} byte-order mark); "
                "save it as UTF-8",
            )
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, (
            f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start} "
            "cannot be decoded); save it as UTF-8"
        )
    if "\x00" in text:
        return None, (
            "the file holds NUL bytes: it is binary, or UTF-16/UTF-32 text without a "
            "byte-order mark; save it as UTF-8"
        )
    return text, ""


# What does not count for nesting: strings and comments (brackets inside them are text).
# Multi-line strings come before one-line ones; an unclosed string runs to the end.
_JSON_SKIP: Final = re.compile(r'"(?:[^"\\]|\\.)*(?:"|\Z)', re.DOTALL)
_TOML_SKIP: Final = re.compile(
    r'"""(?:[^\\]|\\.)*?(?:"""|\Z)|\'\'\'.*?(?:\'\'\'|\Z)|"(?:[^"\\\n]|\\.)*(?:"|$)'
    r"|'[^'\n]*(?:'|$)|#[^\n]*",
    re.DOTALL | re.MULTILINE,
)
_NOT_BRACKET: Final = re.compile(r"[^\[\]{}]+")
_STEP: Final = MappingProxyType({"[": 1, "{": 1, "]": -1, "}": -1})


def document_nesting(text: str, fmt: str) -> int:
    """How deep the brackets of a TOML or JSON document ``text`` nest (outside strings).

    Measured on the text before a parser recurses into it: both ``json`` and
    ``tomllib`` recurse once per level, and a hostile document thousands of levels deep
    would otherwise end in ``RecursionError``. Linear, and done by the ``re`` engine:
    strings and comments are dropped, then the running sum of the brackets left is taken.
    """
    skip = _JSON_SKIP if fmt == "json" else _TOML_SKIP
    brackets = _NOT_BRACKET.sub("", skip.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


_SURROGATE_PROBLEM: Final = (
    "contains a lone surrogate (text that is not valid Unicode, often from a mis-decoded "
    "file); write valid UTF-8 text"
)


def document_problem(doc: object) -> tuple[str, str] | None:
    """The first value of a parsed document that no document may hold, or ``None``.

    Returns ``(path, problem)``, the path spelled like ``states[3].label_en``. Checked
    everywhere, whatever the key: nesting deeper than :data:`MAX_DOCUMENT_DEPTH`, text
    with a lone surrogate (not valid Unicode: it would fail far away, when a notice or a
    report is written), an integer beyond ±(2**63 - 1), a float that is NaN or
    infinite, and keys that are not text. The walk keeps its own stack, so a hostile
    document cannot exhaust the interpreter's, and looks at each value once.
    """
    if not isinstance(doc, Mapping | list | tuple):
        doc = [doc]  # a bare value: checked as the one item of a list
    stack: list[_DocEntry] = [(doc, 0, None)]
    while stack:
        found = _container_problem(stack.pop(), stack)
        if found is not None:
            return found
    return None


#: An entry of :func:`document_problem`'s walk: a container, its depth, and the link
#: ``(key, parent entry)`` to where it sits (``None`` for the document itself).
_DocEntry = tuple[object, int, Any]


def _container_problem(entry: _DocEntry, stack: list[_DocEntry]) -> tuple[str, str] | None:
    """The first problem among the keys and values of ``entry``'s container.

    Containers found inside are pushed onto ``stack`` for the walk to look at later.
    """
    container, depth, _link = entry
    if depth >= MAX_DOCUMENT_DEPTH:
        return _doc_path(entry), f"nests deeper than {MAX_DOCUMENT_DEPTH} levels"
    is_map = isinstance(container, Mapping)
    pairs: Iterable[tuple[Any, Any]] = (
        container.items() if is_map else enumerate(container)  # type: ignore[attr-defined, arg-type]
    )
    for key, value in pairs:
        if is_map and (type(key) is not str or not key.isascii()):
            found = _document_key_problem(key, entry)
            if found is not None:
                return found
        judge = _DOCUMENT_VALUE_PROBLEM.get(type(value))
        if judge is None:
            _push_document_container(value, (key, entry), stack)
            continue
        problem = judge(value)
        if problem is not None:
            return _doc_path((value, depth + 1, (key, entry))), problem
    return None


def _push_document_container(value: object, link: Any, stack: list[_DocEntry]) -> None:
    """Put ``value`` on the walk's stack if it is a container.

    Dates and times (TOML has them) and any other type pass: the readers judge those.
    """
    if type(value) in _DOCUMENT_CONTAINERS or isinstance(value, Mapping | list | tuple):
        stack.append((value, link[1][1] + 1, link))


def _document_key_problem(key: object, entry: _DocEntry) -> tuple[str, str] | None:
    """What is wrong with a mapping's key that is not plain ASCII text, if anything."""
    if type(key) is not str:
        return _doc_path(entry), f"has a key of type {type_name(key)}; keys are text"
    if _has_surrogate(key):
        return _doc_path((key, entry[1] + 1, (key, entry))), _SURROGATE_PROBLEM
    return None


def _no_document_problem(_value: object) -> str | None:
    return None


def _document_text_problem(text: str) -> str | None:
    if text.isascii() or not _has_surrogate(text):
        return None
    return _SURROGATE_PROBLEM


def _document_int_problem(number: int) -> str | None:
    if -MAX_INT <= number <= MAX_INT:
        return None
    return f"{quote(number)} is beyond ±(2**63 - 1), the largest number a document holds"


def _document_float_problem(number: float) -> str | None:
    if number - number == 0.0:  # finite, without a function call
        return None
    return f"{number!r} is not a number a document may hold"


_DOCUMENT_CONTAINERS: Final = frozenset({dict, list})
#: What is checked of a document's values that hold no others, by exact type (``bool``
#: is not an ``int`` here). A type missing here is pushed if it is a container.
_DOCUMENT_VALUE_PROBLEM: Final[Mapping[type, Callable[[Any], str | None]]] = MappingProxyType(
    {
        str: _document_text_problem,
        int: _document_int_problem,
        float: _document_float_problem,
        bool: _no_document_problem,
        type(None): _no_document_problem,
    }
)


def _doc_path(entry: _DocEntry) -> str:
    parts: list[str] = []
    link = entry[2]
    while link is not None:
        key, parent = link
        if isinstance(key, int):
            parts.append(f"[{key}]")
        else:
            shown = key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else quote(key, 30)
            parts.append(f".{shown}")
        link = parent[2]
    return "".join(reversed(parts)).lstrip(".")
