"""Reading HL7 v2 text: batches, messages, segments, with the message's own separators.

The tree is built by our own tolerant splitter, not by hl7apy: of the 139 messages of the
Microsoft FHIR-Converter samples hl7apy's parser refuses 30 outright (a UTF-8 byte-order
mark, segments it does not know for the declared version such as PRT in 2.5.1, v2.3.1
PPR messages), while every one of them is readable HL7. hl7apy still checks each message
against its version's structure (``validation.structure_report``); its findings are
warnings, never a reason to drop a message.

- Segment endings ``\\r``, ``\\n`` and ``\\r\\n`` (mixed too) all end a segment.
- A line that does not start with a segment name and the field separator continues the
  previous segment (a note pasted with line breaks); a warning says so.
- ``FHS``/``BHS``/``BTS``/``FTS`` batch envelopes are read and dropped; every ``MSH``
  starts a message. One bad message in a batch does not stop the others.
- Z-segments and unknown segments are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clinvault.interop.hl7v2.errors import Hl7ParseError
from clinvault.interop.hl7v2.message import HEADER_SEGMENTS, Encoding, Message, Segment

SEGMENT_NAME = re.compile(r"^[A-Z][A-Z0-9]{2}$")
LINE_BREAK = re.compile(r"\r\n|\r|\n")
ENVELOPE = frozenset({"FHS", "BHS", "BTS", "FTS"})
MLLP_CONTROL = "\x0b\x1c"


@dataclass(frozen=True, slots=True)
class Batch:
    """What a file or MLLP frame held: messages read, and problems naming where."""

    messages: tuple[Message, ...]
    errors: tuple[Hl7ParseError, ...]
    batch_header: bool


def decode(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else Latin-1 (every byte is a character)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def looks_like_hl7(head: bytes | str) -> bool:
    """True when the first non-blank characters are an MSH, FHS or BHS header."""
    text = head if isinstance(head, str) else decode(head[:64]) if head else ""
    text = text.lstrip("\ufeff\x0b \t\r\n")
    return len(text) > 8 and text[:3] in HEADER_SEGMENTS and not text[3].isalnum()


def parse_batch(data: bytes | str, where: str = "message") -> Batch:
    text = decode(data) if isinstance(data, bytes) else data.lstrip("\ufeff")
    lines = [
        line for line in LINE_BREAK.split(text.strip(MLLP_CONTROL + " \t\r\n")) if line.strip()
    ]
    chunks: list[list[str]] = []
    errors: list[Hl7ParseError] = []
    batch_header = False
    for number, line in enumerate(lines, start=1):
        name = line[:3]
        if name == "MSH":
            chunks.append([line])
        elif name in ENVELOPE and (len(line) == 3 or not line[3].isalnum()):
            batch_header = True
        elif chunks:
            chunks[-1].append(line)
        else:
            errors.append(
                Hl7ParseError(
                    f"line {number} comes before any MSH segment",
                    where=where,
                    segment="MSH",
                    code="100",
                )
            )
            break
    if not chunks and not errors:
        errors.append(Hl7ParseError("no MSH segment", where=where, segment="MSH", code="100"))
    messages: list[Message] = []
    for index, chunk in enumerate(chunks):
        message_where = f"{where}#message[{index}]" if len(chunks) > 1 or batch_header else where
        try:
            messages.append(_parse_lines(chunk, message_where))
        except Hl7ParseError as exc:
            errors.append(exc)
    return Batch(tuple(messages), tuple(errors), batch_header)


def parse_message(data: bytes | str, where: str = "message") -> Message:
    """Exactly one message; raises ``Hl7ParseError`` otherwise."""
    batch = parse_batch(data, where)
    if batch.errors:
        raise batch.errors[0]
    if len(batch.messages) != 1:
        raise Hl7ParseError(
            f"expected one message, found {len(batch.messages)}", where=where, code="100"
        )
    return batch.messages[0]


def _encoding(msh: str, where: str) -> Encoding:
    if len(msh) < 8:
        raise Hl7ParseError("MSH segment is too short", where=where, segment="MSH", field=1)
    field_sep = msh[3]
    end = msh.find(field_sep, 4)
    chars = msh[4:end] if end >= 0 else msh[4:]
    if chars == "^~\\\\&":
        chars = "^~\\&"  # the standard characters with the escape written twice (source-code copy)
    if field_sep.isalnum() or field_sep.isspace() or not 2 <= len(chars) <= 5:
        raise Hl7ParseError(
            "MSH-1/MSH-2 encoding characters are invalid", where=where, segment="MSH", field=2
        )
    all_chars = field_sep + chars
    if len(set(all_chars)) != len(all_chars) or any(c.isalnum() or c.isspace() for c in all_chars):
        raise Hl7ParseError(
            "MSH-2 encoding characters are not distinct separators",
            where=where,
            segment="MSH",
            field=2,
        )
    return Encoding(
        field=field_sep,
        component=chars[0],
        repetition=chars[1],
        escape=chars[2] if len(chars) > 2 else "",
        subcomponent=chars[3] if len(chars) > 3 else "\x00",
    )


def _parse_lines(lines: list[str], where: str) -> Message:
    encoding = _encoding(lines[0], where)
    raw_segments: list[str] = []
    warnings: list[str] = []
    for line in lines:
        if line.endswith("\\r") and not line.endswith(encoding.escape + "\\r"):
            line = line[:-2]  # a literal backslash-r left by a copy from source code
            warnings.append("a literal \\r ends a line")
        name = line[:3]
        if SEGMENT_NAME.match(name) and (len(line) == 3 or line[3] == encoding.field):
            raw_segments.append(line)
        elif raw_segments and not (len(line) > 3 and line[3] == encoding.field):
            raw_segments[-1] += "\n" + line
            warnings.append(
                f"segment {len(raw_segments)} ({raw_segments[-1][:3]}) continues on a new line"
            )
        else:
            raise Hl7ParseError("segment name is invalid", where=where, segment=name, code="100")
    segments: list[Segment] = []
    for position, raw in enumerate(raw_segments):
        fields = raw.split(encoding.field)
        segments.append(Segment(fields[0], tuple(fields), encoding, position))
    message = Message(tuple(segments), encoding, where, tuple(warnings))
    if not message.message_code:
        raise Hl7ParseError(
            "MSH-9 (message type) is missing", where=where, segment="MSH", field=9, code="101"
        )
    if not message.control_id:
        raise Hl7ParseError(
            "MSH-10 (message control id) is missing",
            where=where,
            segment="MSH",
            field=10,
            code="101",
        )
    return message
