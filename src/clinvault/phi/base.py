"""The PHI detector contract: span types, spans, detection context, the Protocols.

A detector finds PHI in free text and returns character spans into that text. It does
not replace anything: turning spans into vault tokens is :mod:`clinvault.phi.pseudonymize`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from clinvault.errors import PrivacyError


class PhiType(StrEnum):
    """The clinical PHI types a detector reports; each maps onto a vault token kind."""

    NAME = "NAME"
    """A person: patient, relative, neighbour, provider."""
    DATE = "DATE"
    """A date or date expression; shifted with the patient's offset, never removed."""
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    ADDR = "ADDR"
    """Street address, city, ZIP code."""
    ID = "ID"
    """Account, licence, card, bank and other identifying numbers."""
    SSN = "SSN"
    MRN = "MRN"
    URL = "URL"
    IP = "IP"
    ORG = "ORG"
    """A facility, employer or other organization."""
    AGE = "AGE"
    """An age over 89 (Safe Harbor); becomes ``90+``."""


@dataclass(frozen=True, slots=True)
class Span:
    """PHI found at ``text[start:end]`` of the analyzed text."""

    start: int
    end: int
    type: PhiType
    score: float
    text: str
    source: str = ""
    """The recognizer that found it (for evaluation and tuning, never logged with ``text``)."""

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError("a span needs 0 <= start < end")

    def __len__(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class KnownIdentifier:
    """An identifier the record already lists for the patient (deny-list entry)."""

    value: str
    type: PhiType


@dataclass(frozen=True, slots=True)
class DetectionContext:
    """What the record tells the detector about one patient's text."""

    known: tuple[KnownIdentifier, ...] = ()
    """The patient's own identifiers: always PHI wherever they occur, allow-list or not."""
    provider_names: tuple[str, ...] = field(default=())
    """Names learned from ingested Practitioner resources."""
    facility_names: tuple[str, ...] = field(default=())
    """Names learned from ingested Organization and Location resources."""


class DetectorFailed(PrivacyError):
    """A detector (or an ensemble member) failed: the text is refused, never passed on
    unscrubbed (fail closed). The message names the member and the exception type only."""


class PhiDetector(Protocol):
    """Finds PHI in free text. Implementations are chosen by ``settings.phi.backend``."""

    def detect(self, text: str, *, context: DetectionContext | None = None) -> list[Span]:
        """Non-overlapping spans, sorted by start offset."""
        ...

    def detect_batch(
        self, texts: Sequence[str], *, context: DetectionContext | None = None
    ) -> list[list[Span]]:
        """``detect`` over many texts at once (one NLP pass in batches); same order."""
        ...


class Tokenizer(Protocol):
    """Turns one PHI value into its replacement; the vault implements it per patient."""

    def tokenize(self, kind: str, value: str) -> str:
        """A reversible token such as ``[NAME-7F3A2C91]`` for ``value`` of ``kind``."""
        ...

    def shift_date(self, text: str) -> str | None:
        """The shifted form of one date expression, or ``None`` if it cannot be parsed."""
        ...
