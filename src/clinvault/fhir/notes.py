"""Free text of a resource, and splitting it into passages for the index.

``note_texts(resource)`` returns every piece of free text with the element it
came from (``part``):

- ``DocumentReference.content[i].attachment`` and ``DiagnosticReport.presentedForm[i]``:
  base64 ``data`` of a ``text/*`` attachment (``text/html`` is reduced to text).
  Attachments that only have a ``url``, and non-text attachments (PDF, images),
  are skipped without decoding their data. Without a ``contentType`` the first
  bytes are checked and the attachment is read only if it is UTF-8 text.
- ``DiagnosticReport.conclusion``, ``note[i].text`` annotations, ``Observation.valueString``;
- ``text.div`` narrative of any resource, tags stripped and entities unescaped.
  Narrative with ``text.status = generated`` only restates the structured
  elements (which ``render`` covers) and is skipped unless asked for.

A text attachment that cannot be decoded (bad base64, unknown charset, bytes
that are not in the charset) raises ``InputError`` naming the element, never
its content: the caller quarantines the resource rather than lose its note.

``split_passages(text)`` cuts a note into passages of at most ``max_chars``
characters on paragraph, line and sentence boundaries, with about ``overlap``
characters of context repeated from the previous passage.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from clinvault.errors import InputError
from clinvault.fhir.codes import as_dict, as_list

SNIFF_BASE64_CHARS = 1368
"""Base64 characters decoded to decide whether an untyped attachment is text (1026 bytes)."""
HTML_TYPES = ("text/html", "application/xhtml+xml")
BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "pre"}
)
SKIPPED_TAGS = frozenset({"script", "style"})
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


@dataclass(frozen=True, slots=True)
class NoteText:
    text: str
    part: str
    """The element it came from, e.g. ``content[0].attachment`` or ``note[1]``."""


def note_texts(
    resource: Mapping[str, Any], *, include_generated_narrative: bool = False
) -> list[NoteText]:
    return [note for note in _notes(resource, include_generated_narrative) if note.text]


def _notes(resource: Mapping[str, Any], include_generated: bool) -> Iterator[NoteText]:
    resource_type = resource.get("resourceType")
    if resource_type == "DocumentReference":
        for position, content in enumerate(as_list(resource.get("content"))):
            part = f"content[{position}].attachment"
            text = attachment_text(as_dict(content.get("attachment")), part)
            if text is not None:
                yield NoteText(text, part)
    if resource_type == "DiagnosticReport":
        for position, attachment in enumerate(as_list(resource.get("presentedForm"))):
            part = f"presentedForm[{position}]"
            text = attachment_text(attachment, part)
            if text is not None:
                yield NoteText(text, part)
        yield NoteText(_clean(resource.get("conclusion")), "conclusion")
    if resource_type == "Observation":
        yield NoteText(_clean(resource.get("valueString")), "valueString")
    for position, annotation in enumerate(as_list(resource.get("note"))):
        yield NoteText(_clean(annotation.get("text")), f"note[{position}]")
    narrative = as_dict(resource.get("text"))
    if include_generated or narrative.get("status") != "generated":
        div = narrative.get("div")
        if isinstance(div, str):
            yield NoteText(html_to_text(div), "text.div")


def attachment_text(attachment: Mapping[str, Any], part: str) -> str | None:
    """The text of an inline text attachment; ``None`` for url-only or non-text ones."""
    data = attachment.get("data")
    if not isinstance(data, str) or not data:
        return None
    content_type = attachment.get("contentType")
    media_type, charset = _media_type(content_type if isinstance(content_type, str) else "")
    if not media_type:
        if not _looks_like_text(data):
            return None
    elif not (media_type.startswith("text/") or media_type in HTML_TYPES):
        return None
    raw = _decode_base64(data, part)
    try:
        text = raw.decode(charset or "utf-8-sig")
    except LookupError as exc:
        raise InputError("attachment charset is unknown", where=part) from exc
    except UnicodeDecodeError as exc:
        raise InputError("attachment bytes do not match its charset", where=part) from exc
    if media_type in HTML_TYPES:
        text = html_to_text(text)
    return _clean(text)


def html_to_text(markup: str) -> str:
    """Text of an XHTML/HTML fragment: tags removed, entities unescaped, blocks on new lines."""
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    return _clean(parser.text())


def split_passages(text: str, max_chars: int = 800, overlap: int = 100) -> list[str]:
    if max_chars <= 0 or overlap < 0 or overlap >= max_chars:
        raise ValueError("need max_chars > overlap >= 0")
    passages: list[str] = []
    current: list[tuple[str, str]] = []
    for unit in _units(text, max_chars):
        if current and _length([*current, unit]) > max_chars:
            passages.append(_join(current))
            current = _tail(current, overlap)
            if _length([*current, unit]) > max_chars:
                current = []
        current.append(unit)
    if current:
        passages.append(_join(current))
    return [passage for passage in passages if passage]


def _units(text: str, max_chars: int) -> Iterator[tuple[str, str]]:
    """(separator, piece) pairs: paragraphs, then lines, then sentences, then hard cuts."""
    for p_index, paragraph in enumerate(PARAGRAPH_BREAK.split(text.strip())):
        for l_index, line in enumerate(paragraph.split("\n")):
            for s_index, sentence in enumerate(SENTENCE_END.split(line.strip())):
                if not sentence.strip():
                    continue
                separator = _separator(p_index, l_index, s_index)
                for c_index, piece in enumerate(_hard_split(sentence.strip(), max_chars)):
                    yield (separator if c_index == 0 else " "), piece


def _separator(paragraph: int, line: int, sentence: int) -> str:
    if sentence:
        return " "
    if line:
        return "\n"
    return "\n\n" if paragraph else ""


def _hard_split(sentence: str, max_chars: int) -> Iterator[str]:
    while len(sentence) > max_chars:
        cut = sentence.rfind(" ", 0, max_chars + 1)
        cut = cut if cut > 0 else max_chars
        yield sentence[:cut].strip()
        sentence = sentence[cut:].strip()
    if sentence:
        yield sentence


def _tail(units: list[tuple[str, str]], overlap: int) -> list[tuple[str, str]]:
    kept: list[tuple[str, str]] = []
    for unit in reversed(units):
        if _length([unit, *kept]) > overlap:
            break
        kept.insert(0, unit)
    return kept


def _length(units: list[tuple[str, str]]) -> int:
    return len(_join(units))


def _join(units: list[tuple[str, str]]) -> str:
    return "".join(sep + piece for sep, piece in units).strip()


def _media_type(content_type: str) -> tuple[str, str | None]:
    media_type, *params = (part.strip() for part in content_type.split(";"))
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"') or None
    return media_type.lower(), charset


def _looks_like_text(data: str) -> bool:
    head = re.sub(r"\s+", "", data[: SNIFF_BASE64_CHARS * 2])[:SNIFF_BASE64_CHARS]
    try:
        sample = base64.b64decode(head[: len(head) - len(head) % 4])
    except (binascii.Error, ValueError):
        return False
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(sample) - 3  # a character cut at the sample's end
    return True


def _decode_base64(data: str, part: str) -> bytes:
    try:
        return base64.b64decode(re.sub(r"\s+", "", data), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError("attachment data is not valid base64", where=part) from exc


def _clean(value: object) -> str:
    if not isinstance(value, str):
        return ""
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in value.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self._skipping += 1
        elif tag in BLOCK_TAGS:
            self._parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in BLOCK_TAGS:
            self._parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._parts.append(data)

    def text(self) -> str:
        return "".join(self._parts)  # entities were converted by the parser
