"""ACK messages (original acknowledgment mode): MSH, MSA (AA/AE/AR), ERR for errors.

The ERR segment names where and what (segment, field, HL7 table 0357 code, severity),
never a value. The ACK echoes MSH-10 of the message acknowledged in MSA-2.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinvault.interop.hl7v2.message import Message

ACCEPT, ERROR, REJECT = "AA", "AE", "AR"


@dataclass(frozen=True, slots=True)
class Problem:
    segment: str
    field: int
    code: str
    """Table 0357: 100 segment sequence, 101 required field missing, 102 data type,
    200 unsupported message type, 201 unsupported event, 207 application internal error."""
    text: str


def build_ack(
    message: Message | None, code: str, control_id: str, now: str, problem: Problem | None = None
) -> bytes:
    """An ACK for ``message`` (or for an unreadable frame when ``message`` is None)."""
    if message is not None:
        msh = message.msh
        sender = f"{msh.raw(5)}|{msh.raw(6)}|{msh.raw(3)}|{msh.raw(4)}"
        trigger = message.trigger_event
        version = message.version or "2.5"
        original = message.control_id
    else:
        sender, trigger, version, original = "|||", "", "2.5", ""
    segments = [
        f"MSH|^~\\&|{sender}|{now}||ACK^{trigger}^ACK|{control_id}|P|{version}",
        f"MSA|{code}|{_clean(original)}",
    ]
    if problem is not None:
        location = f"{problem.segment}^1^{problem.field}" if problem.field else problem.segment
        severity = "E"
        segments.append(f"ERR||{location}|{problem.code}^{_clean(problem.text)}^HL70357|{severity}")
    return ("\r".join(segments) + "\r").encode("utf-8")


def _clean(text: str) -> str:
    """Separators out of a value placed in the ACK (a control id, an error text)."""
    return "".join(c if c not in "|^~\\&\r\n" else " " for c in text)[:199]
