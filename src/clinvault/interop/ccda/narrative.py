"""CDA narrative blocks (section ``<text>``) as plain text for notes and ``originalText``.

Tables become one line per row with cells joined by `` | ``, list items one line each,
paragraphs and ``<br/>`` line breaks; footnotes and captions stay in reading order.
``narrative_ids(root)`` maps every narrative ``ID`` to its text, for ``originalText``
references (``<reference value="#prob1"/>``).
"""

from __future__ import annotations

import re

from lxml import etree

from clinvault.interop.ccda.xpath import V3, all_of, local_name

BLOCKS = frozenset(
    {
        "paragraph",
        "list",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "caption",
        "renderMultiMedia",
        "footnote",
        "text",
    }
)
LINE_ENDS = frozenset({"item", "tr", "br", "paragraph", "caption"})
CELLS = frozenset({"td", "th"})
SPACES = re.compile(r"[ \t\u00a0]+")
BLANK_LINES = re.compile(r"\n{3,}")


def narrative_text(element: etree._Element | None) -> str:
    """The readable text of a narrative block; empty when there is none."""
    if element is None:
        return ""
    parts: list[str] = []
    _walk(element, parts)
    lines = [SPACES.sub(" ", line).strip(" |") for line in "".join(parts).split("\n")]
    text = "\n".join(line.strip() for line in lines)
    return BLANK_LINES.sub("\n\n", text).strip()


def _walk(node: etree._Element, parts: list[str]) -> None:
    name = local_name(node) if isinstance(node.tag, str) else ""
    if node.text and name != "br":
        parts.append(node.text.replace("\n", " "))
    for child in node:
        if not isinstance(child.tag, str):
            if child.tail:
                parts.append(child.tail.replace("\n", " "))
            continue
        child_name = local_name(child)
        if child_name in BLOCKS:
            parts.append("\n")
        _walk(child, parts)
        if child_name in CELLS:
            parts.append(" | ")
        elif child_name in LINE_ENDS or child_name in BLOCKS:
            parts.append("\n")
        if child.tail:
            parts.append(child.tail.replace("\n", " "))


def narrative_ids(root: etree._Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in all_of(root, "//v:section/v:text//*[@ID]"):
        key = node.get("ID")
        text = " ".join(narrative_text(node).split())
        if key and text:
            out[key] = text
    return out


__all__ = ["V3"]
