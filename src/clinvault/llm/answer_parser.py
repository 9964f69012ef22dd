"""Reading what real models write: their citation styles, back to the ``[n]`` contract.

The prompt (``docs/prompting.md``) asks for ``[n]`` markers. Real models drift: GPT-style
answers write ``[1][2]`` or ``【3】``, Llama-style ones ``(Source: 3)`` or a closing
``Sources: 1, 3`` line, Mistral-style ones ``[1, 2]``, ``[1-3]``, footnotes ``[^2]`` or
superscripts ``¹``; most use markdown (``**bold**``, ``### headings``, ``*`` or ``1.``
lists). :func:`parse_answer` rewrites every recognised citation to ``[n]`` / ``[n, m]``,
headings and bold labels to plain ``Label:`` lines (a line introducing a list), and list
bullets to ``-``; it then keeps only the ids that name an evidence item (``1..count``).
Ids naming anything else (an item that was never retrieved) are dropped from the text and
reported, and the answer is marked (``ParsedAnswer.marked``); the ask service's citation
check reports them as invalid citations and the answer as not grounded.

What is deliberately *not* a citation: a bare ``(2)`` (values, list numbers), a number
after ``^`` in a value (``10^3``), and a superscript that is part of a unit (``kg/m²``,
``cm³``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"

_NUMBER_LIST = r"\d+(?:\s*(?:-|–|,|;|and|&)\s*\d+)*"
_BRACKETED = re.compile(r"\[\s*(?:\^|#)?(" + _NUMBER_LIST + r")\s*\]")
"""``[1]``, ``[1, 2]``, ``[1-3]``, ``[1; 2]``, ``[^1]`` (footnote), ``[#2]``."""
_WORD_CITED = re.compile(
    r"[\[(]\s*(?:sources?|refs?\.?|references?|items?|evidence|citations?|docs?)\s*[:#]?\s*("
    + _NUMBER_LIST
    + r")\s*[\])]"
    r"|\b(?:sources?|evidence items?)\s*[:#]?\s*(" + _NUMBER_LIST + r")\b",
    re.IGNORECASE,
)
"""``(Source: 3)``, ``[Source 2]``, ``(Sources: 1, 2)``, ``(item 4)``, inline ``Source 2``."""
_LENTICULAR = re.compile(r"【\s*(\d+)(?:[†:][^】]*)?】")
"""``【3】`` or ``【3†source】`` (a chat assistant's file-citation marks)."""
_SUPER_RUN = re.compile(
    r"(?<=[A-Za-z.,;:!?)\]%])([" + _SUPERSCRIPTS + r"]+(?:\s*[,،]\s*[" + _SUPERSCRIPTS + r"]+)*)"
)
_UNIT_BEFORE = re.compile(r"(?:(?<![A-Za-z])(?:m|cm|mm|km|dm|um|µm|ft|in|s|sec)|/\w*)$")
"""A superscript right after a unit (``m²``, ``kg/m²``) is a power, not a citation."""
_CLOSING_SOURCES = re.compile(
    r"^[ \t]*[*_]*(?:sources?|references?|citations?|cited)[*_]*[ \t]*:[ \t]*[*_]*[ \t]*"
    r"(?P<ids>(?:\[?[ \t]*\d+[ \t]*\]?[ \t]*(?:,|;|and|&)?[ \t]*)+)\.?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
"""A closing ``Sources: 1, 3`` or ``References: [1] [3]`` line (ids only)."""
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_BULLET = re.compile(r"^([ \t]*)[*•+][ \t]+", re.MULTILINE)
_MARKER = re.compile(r"\[(\d+(?:, \d+)*)\]")


@dataclass(frozen=True, slots=True)
class ParsedAnswer:
    text: str
    """The answer with every citation written ``[n]`` / ``[n, m]`` and only valid ids."""
    cited: tuple[int, ...]
    """Valid evidence ids, in order of first citation."""
    dropped: tuple[int, ...]
    """Ids the answer cited that name no evidence item; removed from ``text``."""

    @property
    def marked(self) -> bool:
        """The model cited something it was not given: the answer is not grounded."""
        return bool(self.dropped)


def _numbers(group: str) -> list[int]:
    """``1, 2`` / ``1-3`` / ``1 and 4`` as ids (a range at most 20 wide is expanded)."""
    out: list[int] = []
    for part in re.split(r"\s*(?:,|;|and|&)\s*", group.strip()):
        bounds = re.split(r"\s*[-–]\s*", part)
        if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
            low, high = int(bounds[0]), int(bounds[1])
            out.extend(range(low, high + 1) if 0 <= high - low <= 20 else (low, high))
        elif part.isdigit():
            out.append(int(part))
    return list(dict.fromkeys(out))


def _marker(numbers: list[int]) -> str:
    return "[" + ", ".join(str(n) for n in numbers) + "]"


def normalize_citations(text: str) -> str:
    """Every citation style this module knows, rewritten as ``[n]`` / ``[n, m]`` markers;
    markdown headings and bold labels as plain text, bullets as ``-``. Ids are not checked."""
    text = _CLOSING_SOURCES.sub(lambda m: _marker(_numbers(re.sub(r"[\[\]]", " ", m["ids"]))), text)
    text = _LENTICULAR.sub(lambda m: f"[{m.group(1)}]", text)
    text = _WORD_CITED.sub(lambda m: _marker(_numbers(m.group(1) or m.group(2))), text)
    text = _BRACKETED.sub(lambda m: _marker(_numbers(m.group(1))), text)

    def superscript(match: re.Match[str]) -> str:
        if _UNIT_BEFORE.search(text[: match.start()]):
            return match.group(0)
        ids = [int(p.translate(_SUPERSCRIPT)) for p in re.split(r"\s*[,،]\s*", match.group(1))]
        return " " + _marker(ids)

    text = _SUPER_RUN.sub(superscript, text)
    text = _HEADING.sub(lambda m: m.group(1).rstrip(":") + ":", text)
    text = _BOLD.sub(lambda m: m.group(1) or m.group(2), text)
    text = _BULLET.sub(r"\1- ", text)
    # [1][2] and [1] [2] are one group
    return re.sub(r"(?<=\d)\] ?\[(?=\d)", ", ", text)


def parse_answer(text: str, evidence_count: int) -> ParsedAnswer:
    """``text`` normalized (:func:`normalize_citations`) with ids outside ``1..evidence_count``
    dropped; what was cited and what was dropped."""
    normalized = normalize_citations(text)
    cited: list[int] = []
    dropped: list[int] = []

    def keep(match: re.Match[str]) -> str:
        numbers = [int(n) for n in match.group(1).split(", ")]
        valid = [n for n in numbers if 1 <= n <= evidence_count]
        dropped.extend(n for n in numbers if n not in valid and n not in dropped)
        cited.extend(n for n in valid if n not in cited)
        return _marker(valid) if valid else ""

    cleaned = _MARKER.sub(keep, normalized)
    if dropped:
        cleaned = re.sub(r"[ \t]+(?=[.,;:!?]|$)", "", cleaned, flags=re.MULTILINE)
    return ParsedAnswer(cleaned, tuple(cited), tuple(dropped))
