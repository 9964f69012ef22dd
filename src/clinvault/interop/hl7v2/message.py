"""The parsed form of one HL7 v2 message: segments of raw fields, read through accessors.

Fields stay raw (still escaped) until read; ``Segment.get(n, comp, sub, rep)`` splits by
the message's own encoding characters (MSH-1/MSH-2, so custom separators work) and
unescapes the leaf (``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\Xhh..\\ \\.br\\``). Numbering is HL7's:
fields, components and subcomponents are 1-based, and for MSH field 1 is the field
separator itself (MSH-2 the encoding characters, MSH-9 the message type, ...).
A field holding ``""`` (HL7's explicit null) reads as empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_HEX = re.compile(r"^[0-9A-Fa-f]*$")


@dataclass(frozen=True, slots=True)
class Encoding:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"

    def unescape(self, text: str) -> str:
        """Resolve escape sequences; an unknown or unterminated sequence is kept as written."""
        esc = self.escape
        if not esc or esc not in text:
            return text
        out: list[str] = []
        i = 0
        while i < len(text):
            char = text[i]
            end = text.find(esc, i + 1) if char == esc else -1
            if end < 0:
                out.append(char)
                i += 1
                continue
            out.append(self._sequence(text[i + 1 : end], text[i : end + 1]))
            i = end + 1
        return "".join(out)

    def _sequence(self, body: str, written: str) -> str:
        simple = {
            "F": self.field,
            "S": self.component,
            "T": self.subcomponent,
            "R": self.repetition,
            "E": self.escape,
            ".br": "\n",
            "H": "",
            "N": "",
        }
        if body in simple:
            return simple[body]
        if body.startswith("X") and _HEX.match(body[1:]) and len(body) % 2 == 1:
            data = bytes.fromhex(body[1:])
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                return data.decode("latin-1")
        if body.startswith((".sp", ".in", ".ti")):
            return "\n" if body.startswith(".sp") else ""
        return written


@dataclass(frozen=True, slots=True)
class Repetition:
    """One repetition of a field: components and subcomponents, unescaped when read."""

    raw: str
    encoding: Encoding

    def get(self, comp: int = 1, sub: int = 1) -> str:
        components = self.raw.split(self.encoding.component)
        if comp > len(components):
            return ""
        subs = components[comp - 1].split(self.encoding.subcomponent)
        if sub > len(subs):
            return ""
        value = subs[sub - 1]
        return "" if value == '""' else self.encoding.unescape(value)

    def component(self, comp: int) -> str:
        """A whole component with its subcomponents joined by spaces (``1000&Hospital Lane``)."""
        components = self.raw.split(self.encoding.component)
        if comp > len(components):
            return ""
        subs = [
            self.encoding.unescape(s)
            for s in components[comp - 1].split(self.encoding.subcomponent)
        ]
        return " ".join(s for s in subs if s and s != '""')

    @property
    def empty(self) -> bool:
        stripped = self.raw.replace(self.encoding.component, "").replace(
            self.encoding.subcomponent, ""
        )
        return stripped in ("", '""')


@dataclass(frozen=True, slots=True)
class Segment:
    name: str
    fields: tuple[str, ...]
    """Raw fields; ``fields[0]`` is the name. For MSH/FHS/BHS, ``fields[1]`` is MSH-2."""
    encoding: Encoding
    position: int
    """0-based position of the segment in its message (stable resource ids use it)."""

    def _raw(self, n: int) -> str:
        if self.name in HEADER_SEGMENTS:
            if n == 1:
                return self.encoding.field
            index = n - 1
        else:
            index = n
        return self.fields[index] if 0 < index < len(self.fields) else ""

    def raw(self, n: int) -> str:
        return self._raw(n)

    def repetitions(self, n: int) -> list[Repetition]:
        """Non-empty repetitions of field ``n`` (MSH-2 is never split)."""
        raw = self._raw(n)
        if not raw or raw == '""':
            return []
        if self.name in HEADER_SEGMENTS and n == 2:
            return [Repetition(raw, Encoding(self.encoding.field, "\x00", "\x00", "", "\x00"))]
        reps = (Repetition(r, self.encoding) for r in raw.split(self.encoding.repetition))
        return [r for r in reps if not r.empty]

    def get(self, n: int, comp: int = 1, sub: int = 1, rep: int = 1) -> str:
        """Unescaped value of field ``n`` (component, subcomponent, repetition); "" if absent."""
        raw = self._raw(n)
        if not raw:
            return ""
        if self.name in HEADER_SEGMENTS and n == 2:
            return raw
        reps = raw.split(self.encoding.repetition)
        if rep > len(reps):
            return ""
        return Repetition(reps[rep - 1], self.encoding).get(comp, sub)

    def first(self, n: int) -> Repetition | None:
        reps = self.repetitions(n)
        return reps[0] if reps else None

    def text(self, n: int) -> str:
        """Every repetition of a text field (TX/FT), unescaped, one per line."""
        return "\n".join(
            self.encoding.unescape(r.raw).replace(self.encoding.component, " ").strip()
            for r in self.repetitions(n)
        )


HEADER_SEGMENTS = frozenset({"MSH", "FHS", "BHS"})


@dataclass(frozen=True, slots=True)
class Message:
    segments: tuple[Segment, ...]
    encoding: Encoding
    where: str
    warnings: tuple[str, ...] = field(default=())

    @property
    def msh(self) -> Segment:
        return self.segments[0]

    @property
    def message_code(self) -> str:
        return self.msh.get(9, 1).upper()

    @property
    def trigger_event(self) -> str:
        return self.msh.get(9, 2).upper()

    @property
    def structure(self) -> str:
        return self.msh.get(9, 3).upper()

    @property
    def control_id(self) -> str:
        return self.msh.get(10)

    @property
    def version(self) -> str:
        return self.msh.get(12, 1)

    @property
    def sending_application(self) -> str:
        return self.msh.get(3, 1)

    @property
    def sending_facility(self) -> str:
        return self.msh.get(4, 1) or self.msh.get(4, 2)

    def all(self, name: str) -> list[Segment]:
        return [s for s in self.segments if s.name == name]

    def one(self, name: str) -> Segment | None:
        for segment in self.segments:
            if segment.name == name:
                return segment
        return None

    def __iter__(self) -> Iterator[Segment]:
        return iter(self.segments)
