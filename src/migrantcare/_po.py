"""A strict, linear reader of gettext ``.po`` files.

Babel's reader is lenient: it skips a line it cannot read, joins a string that lost its
closing quote with the next one, and lets a second definition of a ``msgid`` silently
replace the first. A translator's typo then changes a notice without any error. This
reader refuses what GNU ``msgfmt --check`` refuses (unterminated or unquoted strings,
characters after a closing quote, unknown escapes, a ``msgid`` without ``msgstr``,
plural forms out of order, duplicate definitions, an unreadable ``Plural-Forms``) and
names the file and line of each problem. It reads each line once, so a catalog of any
size is read in time proportional to its length.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Final

import attrs

#: A PO string escape and the character it stands for (the escapes of C, as msgfmt reads them).
_ESCAPES = MappingProxyType(
    {
        "n": "\n",
        "t": "\t",
        "r": "\r",
        '"': '"',
        "\\": "\\",
        "a": "\a",
        "b": "\b",
        "f": "\f",
        "v": "\v",
    }
)
_KEYWORD = re.compile(r"(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?(?=[\s\"]|$)")
_PLURAL_FORMS = re.compile(r"^\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*([^;]+);?\s*$")
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
#: Longest value quoted in a problem: a broken 2 MB line must not become a 2 MB message.
_QUOTE = 40


def quote(text: str, limit: int = _QUOTE) -> str:
    """Return ``repr(text)`` of at most ``limit`` characters of ``text`` (``…`` marks a cut)."""
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit]) + "…"


@attrs.frozen
class PoSyntaxError:
    """One malformed spot of a ``.po`` file.

    Attributes:
        line: The 1-based line number.
        detail: What is wrong, in words.
        key: The msgid concerned, when known.
    """

    line: int
    detail: str
    key: str = ""


@attrs.frozen
class PoEntry:
    """One message of a ``.po`` file.

    Attributes:
        msgid: The message key.
        strings: ``(msgstr,)``, or the ``msgstr[n]`` in order for a plural message.
        plural: Whether the entry has ``msgid_plural``.
        fuzzy: Whether the entry carries the ``fuzzy`` flag (msgfmt leaves it out).
        line: Line of the ``msgid`` keyword.
    """

    msgid: str
    strings: tuple[str, ...]
    plural: bool
    fuzzy: bool
    line: int


@attrs.frozen
class PoFile:
    """What a ``.po`` file holds, and what is wrong with it.

    Attributes:
        entries: The messages, header excluded, in file order.
        plural_forms: ``(nplurals, C expression)`` of the header, if it declares them.
        errors: Every malformed spot; a file with errors must not be used.
    """

    entries: tuple[PoEntry, ...]
    plural_forms: tuple[int, str] | None
    errors: tuple[PoSyntaxError, ...]


_UNTERMINATED: Final = "unterminated string: the closing double quote is missing"


def _unquote(text: str, start: int) -> tuple[str | None, str]:
    """Read the quoted string that starts at ``text[start]``: ``(value, "")`` or ``(None, why)``."""
    if start >= len(text) or text[start] != '"':
        return None, f"expected a string in double quotes, found {quote(text[start:])}"
    plain = _plain_string(text, start)
    if plain is not None:
        return plain, ""
    return _unescape(text, start + 1)


def _unescape(text: str, i: int) -> tuple[str | None, str]:
    """Read a quoted string character by character from ``text[i]``, just after its quote."""
    out: list[str] = []
    n = len(text)
    while i < n:
        if text[i] == '"':
            return _closed(out, text[i + 1 :])
        char, width = _character(text, i)
        if width == 0:
            return None, char
        out.append(char)
        i += width
    return None, _UNTERMINATED


def _closed(out: list[str], rest: str) -> tuple[str | None, str]:
    """The string read into ``out``, if only space follows its closing quote (``rest``)."""
    rest = rest.strip()
    if rest:
        return None, f"unexpected characters after the closing quote: {quote(rest)}"
    return "".join(out), ""


def _character(text: str, i: int) -> tuple[str, int]:
    """The character that ``text[i]`` (inside a string) stands for, with an escape read.

    Returns ``(character, characters read)``, or ``(why, 0)``.
    """
    c = text[i]
    if c == "\\":
        if i + 1 >= len(text):
            return _UNTERMINATED, 0
        char, width = _escape(text, i + 1)
        return char, (1 + width if width else 0)
    if c < " " and c != "\t":
        return f"control character {c!r} inside a string; use an escape such as \\n", 0
    return c, 1


def _plain_string(text: str, start: int) -> str | None:
    """The common string: no escape, nothing after the closing quote; sliced at C speed.

    Returns its body, or ``None`` if the string must be read character by character.
    """
    end = text.rfind('"')
    if end <= start:
        return None
    body = text[start + 1 : end]
    return body if _is_plain(body) and not text[end + 1 :].strip() else None


def _is_plain(body: str) -> bool:
    """Whether a string's body holds no escape, quote or control character."""
    return "\\" not in body and '"' not in body and _CONTROL.search(body) is None


def _escape(text: str, at: int) -> tuple[str, int]:
    """The character the escape after the backslash at ``text[at - 1]`` stands for.

    Returns ``(character, characters read after the backslash)``, or ``(why, 0)``.
    """
    e = text[at]
    if e in _ESCAPES:
        return _ESCAPES[e], 1
    return _code_escape(text, at)


def _code_escape(text: str, at: int) -> tuple[str, int]:
    r"""An octal (``\101``) or hex (``\x41``) escape, as :func:`_escape` returns it."""
    match = re.match(r"[0-7]{1,3}|x[0-9A-Fa-f]{1,2}", text[at:])
    if match is None:
        return f"unknown escape sequence \\{text[at]}", 0
    digits = match.group()
    code = int(digits[1:], 16) if digits[0] == "x" else int(digits, 8)
    if code == 0 or code > 0x7F:
        # a byte escape above ASCII would be half of a UTF-8 character
        return f"escape \\{digits} is not an ASCII character; write the character", 0
    return chr(code), len(digits)


class _Builder:
    """Collects one entry at a time as the lines arrive."""

    def __init__(self) -> None:
        self.entries: list[PoEntry] = []
        self.errors: list[PoSyntaxError] = []
        self.seen: dict[str, int] = {}
        self.header: str | None = None
        self.header_line = 0
        self.pending_fuzzy = False  # a "#, fuzzy" flag read for the entry to come
        self.reset(fuzzy=False)

    def reset(self, *, fuzzy: bool) -> None:
        self.fuzzy = fuzzy
        self.broken = False  # a string of this entry could not be read: do not use it
        self.msgid: list[str] | None = None
        self.msgid_line = 0
        self.plural: list[str] | None = None
        self.strings: dict[int, list[str]] = {}
        self.current: list[str] | None = None  # where a continuation string goes
        self.last: str = ""  # the last keyword read in this entry

    def error(self, line: int, detail: str) -> None:
        key = "".join(self.msgid) if self.msgid is not None else ""
        self.errors.append(PoSyntaxError(line, detail, key[:_QUOTE]))

    def line(self, stripped: str, number: int) -> None:
        """Read one line that is not blank (``stripped`` of its surrounding space)."""
        if stripped.startswith("#"):
            self.comment(stripped)
        elif stripped.startswith('"'):
            self.string_line(stripped, number)
        else:
            self.keyword_line(stripped, number)

    def comment(self, stripped: str) -> None:
        if stripped.startswith("#~"):
            return  # obsolete entry: kept by translation tools, ignored by msgfmt
        if self.msgid is not None and self.last == "msgstr":
            self.finish()  # a comment opens the next entry
        if stripped.startswith("#,"):
            self.flags(stripped[2:])

    def flags(self, text: str) -> None:
        """A ``#,`` line's flags: ``fuzzy`` marks the entry to come."""
        if "fuzzy" in {f.strip() for f in text.split(",")}:
            self.pending_fuzzy = True

    def string_line(self, stripped: str, number: int) -> None:
        value, why = _unquote(stripped, 0)
        if value is None:
            self.error(number, why)
            self.broken = True
        else:
            self.continuation(value, number)

    def keyword_line(self, stripped: str, number: int) -> None:
        match = _KEYWORD.match(stripped)
        if match is None:
            self.error(number, f"not a PO keyword, comment or string: {quote(stripped)}")
            self.current = None
            self.broken = self.msgid is not None
            return
        value, why = _unquote(stripped[match.end() :].lstrip(), 0)
        if match.group(1) == "msgid":
            self.finish()
            self.reset(fuzzy=self.pending_fuzzy)
            self.pending_fuzzy = False
        self.keyword(match.group(1), match.group(2), value or "", number)
        if value is None:
            self.error(number, f"{match.group(0)}: {why}")
            self.broken = True

    def finish(self) -> None:
        """Close the entry being read (at a new ``msgid``, a comment block or the end)."""
        if self.msgid is not None and not self.broken:
            self.complete("".join(self.msgid))
        self.reset(fuzzy=False)

    def complete(self, msgid: str) -> None:
        """Keep the entry of ``msgid`` if it has the strings it needs, else say what is missing."""
        if not self.strings:
            self.error(self.msgid_line, f"msgid {quote(msgid)} has no msgstr")
        elif self.plural is not None and 0 not in self.strings:
            self.error(self.msgid_line, f"msgid {quote(msgid)} has msgid_plural but no msgstr[0]")
        else:
            self.store(msgid, tuple("".join(self.strings[i]) for i in sorted(self.strings)))

    def store(self, msgid: str, strings: tuple[str, ...]) -> None:
        """Keep a complete entry: the header, or a message not defined before."""
        if msgid == "" and self.plural is None:
            if self.header is not None:
                self.error(self.msgid_line, "a second header entry (empty msgid)")
            self.header, self.header_line = strings[0], self.msgid_line
        elif msgid in self.seen:
            self.error(
                self.msgid_line,
                f"duplicate message definition of {quote(msgid)} "
                f"(first defined on line {self.seen[msgid]})",
            )
        else:
            self.seen[msgid] = self.msgid_line
            self.entries.append(
                PoEntry(msgid, strings, self.plural is not None, self.fuzzy, self.msgid_line)
            )

    def keyword(self, word: str, index: str | None, value: str, line: int) -> None:
        if word == "msgctxt":
            self.finish()
            self.error(line, "msgctxt is not used by migrantcare catalogs: keys are unique ids")
        elif word == "msgid":
            self.msgid, self.msgid_line = [value], line
            self.current, self.last = self.msgid, "msgid"
        elif self.msgid is None:
            self.error(line, f"{word} without a preceding msgid")
            self.current = None
        elif word == "msgid_plural":
            self.msgid_plural(value, line)
        else:
            self.msgstr(index, value, line)

    def msgid_plural(self, value: str, line: int) -> None:
        if self.last != "msgid":
            self.error(line, "msgid_plural must follow msgid directly")
            return
        self.plural = [value]
        self.current, self.last = self.plural, "msgid_plural"

    def msgstr(self, index: str | None, value: str, line: int) -> None:
        """``msgstr`` (``index`` ``None``) or ``msgstr[index]``."""
        problem = self.msgstr_problem(index)
        if problem:
            self.error(line, problem)
            return
        n = int(index) if index is not None else 0
        self.strings[n] = [value]
        self.current, self.last = self.strings[n], "msgstr"

    def msgstr_problem(self, index: str | None) -> str:
        """Why a ``msgstr`` cannot come here, or ``""``."""
        if index is None:
            return self.plain_msgstr_problem()
        return self.indexed_msgstr_problem(index)

    def plain_msgstr_problem(self) -> str:
        """Why a ``msgstr`` without an index cannot come here, or ``""``."""
        if self.plural is not None:
            return "a message with msgid_plural needs msgstr[0], msgstr[1]…, not msgstr"
        if self.strings:
            return "msgstr out of order: expected no further msgstr"
        return ""

    def indexed_msgstr_problem(self, index: str) -> str:
        """Why ``msgstr[index]`` cannot come here, or ``""``."""
        if self.plural is None:
            return f"msgstr[{index}] in a message without msgid_plural"
        if int(index) != len(self.strings):
            return f"msgstr[{index}] out of order: expected msgstr[{len(self.strings)}]"
        return ""

    def continuation(self, value: str, line: int) -> None:
        if self.current is None:
            self.error(line, "a string that does not follow msgid, msgid_plural or msgstr")
            return
        self.current.append(value)


def _plural_forms(header: str | None) -> tuple[tuple[int, str] | None, str]:
    """``((nplurals, expression), "")`` from a header, ``(None, "")`` if absent, or a reason."""
    if header is None:
        return None, ""
    for raw in header.split("\n"):
        name, sep, value = raw.partition(":")
        field = name.strip().lower() if sep else ""
        if field == "plural-forms":
            return _read_plural_forms(value)
        if field == "content-type":
            why = _charset_problem(value)
            if why:
                return None, why
    return None, ""


def _read_plural_forms(value: str) -> tuple[tuple[int, str] | None, str]:
    """``((nplurals, expression), "")`` from a Plural-Forms value, or ``(None, why)``."""
    match = _PLURAL_FORMS.match(value)
    if match is None:
        return None, f"Plural-Forms {quote(value.strip())} is not 'nplurals=N; plural=EXPR;'"
    nplurals, expr = int(match.group(1)), match.group(2).strip()
    if not 1 <= nplurals <= 6:
        return None, f"Plural-Forms has nplurals={nplurals}; CLDR uses 1 to 6"
    try:
        gettext.c2py(expr)
    except (ValueError, RecursionError):
        return None, f"Plural-Forms expression {quote(expr)} is not a valid C expression"
    return (nplurals, expr), ""


def _charset_problem(content_type: str) -> str:
    """Why a Content-Type header value is refused (a charset other than UTF-8), or ``""``."""
    charset = content_type.lower().partition("charset=")[2].strip()
    if charset and charset not in ("utf-8", "utf8", "charset"):
        return f"Content-Type declares charset {quote(charset)}; write the file in UTF-8"
    return ""


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(text.split("\n"), start=1):
        yield number, raw.removesuffix("\r")


def parse_po(text: str) -> PoFile:
    """Parse the text of a ``.po`` file strictly.

    Args:
        text: The whole file, decoded.

    Returns:
        The entries, the header's plural forms, and every malformed spot found.
    """
    b = _Builder()
    for number, line in _lines(text.removeprefix("\ufeff")):
        stripped = line.strip()
        if stripped:
            b.line(stripped, number)
    b.finish()
    plural_forms, why = _plural_forms(b.header)
    errors = [*b.errors, *_header_errors(b, plural_forms, why)]
    errors.sort(key=lambda e: e.line)
    return PoFile(tuple(b.entries), plural_forms, tuple(errors))


def _header_errors(
    b: _Builder, plural_forms: tuple[int, str] | None, why: str
) -> list[PoSyntaxError]:
    """What is wrong with the header (``why``), and plural entries that disagree with it."""
    errors = [PoSyntaxError(b.header_line, why)] if why else []
    if plural_forms is not None:
        errors.extend(_plural_count_errors(b.entries, plural_forms[0]))
    return errors


def _plural_count_errors(entries: list[PoEntry], nplurals: int) -> Iterator[PoSyntaxError]:
    """An error for each plural entry whose count of forms is not the header's."""
    for entry in entries:
        if entry.plural and len(entry.strings) != nplurals:
            yield PoSyntaxError(
                entry.line,
                f"{len(entry.strings)} plural forms but the header's Plural-Forms "
                f"says nplurals={nplurals}",
                entry.msgid[:_QUOTE],
            )


def read_po_file(path: Path) -> PoFile:
    """Read and parse ``path`` (UTF-8; a byte that is not UTF-8 is a named error)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return PoFile((), None, (PoSyntaxError(line, f"not UTF-8 ({exc.reason})"),))
    return parse_po(text)
