"""What the runner observed for one item: the inputs every metric is computed from.

An outcome holds answer text and evidence for scoring; reports keep only its scores and
codes, never the text (re-identified answers carry real names and dates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["answered", "not-answerable", "refused", "blocked", "error"]
PROBE_UNAVAILABLE = "probe-unavailable"
"""Reason of a probe that could not be run here (its metric stays unmeasured)."""


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    item_id: str
    status: Status
    reason: str | None = None
    """Refusal reason or error code."""
    answer: str = ""
    pseudonymous: bool = False
    retrieved: tuple[str, ...] = ()
    """``Type/id`` of each evidence chunk's resource, in prompt order."""
    cited: tuple[str, ...] = ()
    """``Type/id`` of each cited resource."""
    cited_evidence: tuple[str, ...] = ()
    """Text of the cited chunks, in the same form as the answer (real dates if re-identified)."""
    prompt_leak_kinds: tuple[str, ...] | None = None
    """Identifier kinds found in the prompts sent for this item; ``None`` if none was sent."""
    output_leak_kinds: tuple[str, ...] = ()
    latency_ms: float | None = None
    top_k: int = 8
    extra: dict[str, str] = field(default_factory=dict)
