"""Untrusted text made safe to show: the characters a reviewer cannot see, and escaping for each output format.

User strings (agent files, policies, names a pull request's program registers)
reach terminals, CI logs, spreadsheets, Markdown and XML. Each writer escapes
for its format; none may let data act as markup, a formula or a control code:

* `invisible` finds characters that change or hide what a reviewer sees:
  control characters (C0 but tab and newline, DEL, C1: ANSI escapes start with
  ESC or the C1 CSI), Unicode format characters (category Cf: bidi embeddings,
  overrides and isolates as in "Trojan Source", CVE-2021-42574; zero-width
  space/joiners; the word joiner; BOM; tag characters), line and paragraph
  separators, and the invisible Hangul fillers. The loader refuses them in agent files.
* `visible` writes each of them as a `\\xNN` / `\\uNNNN` escape, so nothing is
  interpreted and nothing is hidden (terminal, CI log, error messages).
* `csv_cell`: OWASP's CSV-injection rule: a cell that starts (after any leading
  whitespace) with `=`, `+`, `-`, `@`, or starts with tab or CR, is prefixed with `'`
  (https://owasp.org/www-community/attacks/CSV_Injection).
* `markdown_text` / `markdown_code`: CommonMark backslash escapes and HTML entities;
  code spans fenced with a longer backtick run than the text holds.
* `xml_text`: characters XML 1.0 forbids (most C0 controls, U+FFFE/U+FFFF, lone
  surrogates; https://www.w3.org/TR/xml/#charsets) written as visible escapes.
"""

from __future__ import annotations

import re

# Unicode 14 categories Cc, Cf, Zl and Zp (tests/hostile check this list against unicodedata), plus the
# Hangul fillers (Lo, but drawn as nothing), the combining grapheme joiner and lone surrogates (no UTF-8 for them).
_INVISIBLE_RANGES = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u115f\u1160"
    "\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\u3164\ud800-\udfff\ufeff\uffa0\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
INVISIBLE = re.compile(f"[{_INVISIBLE_RANGES}]")
_INVISIBLE_OR_NEWLINE = re.compile(f"[{_INVISIBLE_RANGES}\t\n]")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape(char: str) -> str:
    code = ord(char)
    return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(char) or (f"\\x{code:02x}" if code < 0x100 else
                                                                   f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")


def invisible(text: str) -> re.Match[str] | None:
    """The first character of `text` that hides or changes what is shown, or None."""
    return INVISIBLE.search(text)


def describe_character(char: str) -> str:
    """`U+202E RIGHT-TO-LEFT OVERRIDE`, for error messages."""
    import unicodedata

    return f"U+{ord(char):04X} {unicodedata.name(char, 'control character')}"


def visible(text: str, one_line: bool = True) -> str:
    """`text` with every control, format and (when `one_line`) newline and tab character written as an escape."""
    pattern = _INVISIBLE_OR_NEWLINE if one_line else INVISIBLE
    return pattern.sub(lambda m: _escape(m.group()), text)


_FORMULA_START = ("=", "+", "-", "@")


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: formula prefixes neutralised (OWASP). Non-strings pass unchanged."""
    if not isinstance(value, str):
        return value
    if value[:1] in ("\t", "\r") or value.lstrip(" \t\r\n\u00a0\u3000")[:1] in _FORMULA_START or value[:1] in ("\uff1d", "\uff0b", "\uff0d", "\uff20"):
        return "'" + value
    return value


_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]|~])")  # emphasis, code, links, tables, strike-through
_MARKDOWN_LINE_START = re.compile(r"^(\s*)(?:([#+=-])|(\d+)([.)]))")  # headings, lists, setext underlines
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def markdown_text(text: str) -> str:
    """Text that renders as itself in CommonMark/GFM (tables included): one line, no markup, no HTML."""
    # trimmed: four leading spaces would make a code block; '>' as &gt; cannot start a quote
    escaped = re.sub(r'[&<>"]', lambda m: _HTML[m.group()], visible(text).strip())
    escaped = _MARKDOWN_INLINE.sub(r"\\\1", escaped)
    return _MARKDOWN_LINE_START.sub(
        lambda m: m.group(1) + (f"\\{m.group(2)}" if m.group(2) else f"{m.group(3)}\\{m.group(4)}"), escaped)


def markdown_code(text: str) -> str:
    """An inline code span holding `text` exactly (one line): the fence is longer than any backtick run inside."""
    text = visible(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def xml_text(text: str) -> str:
    """Text every XML 1.0 parser accepts (ElementTree then escapes &, < and >)."""
    return _NOT_XML.sub(lambda m: _escape(m.group()), text)
