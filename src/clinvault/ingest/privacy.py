"""The pseudonymizing step between the vault and the index, as one injectable part.

``IngestPipeline.privacy`` decides what the index sees of each resource and which chunks
may be written. Production uses :class:`Pseudonymizing` (the only implementation in this
package; no setting selects another): resources are pseudonymized, chunks are rescanned for
identifiers learned later, and the fail-closed leak gate refuses any chunk still holding a
known identifier. The evaluation harness's privacy ablation supplies its own step, only for
verified synthetic cohorts in throwaway homes (``clinvault.eval.ablation``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from clinvault.ingest.leak_gate import LeakGate, Refusal
from clinvault.model import Chunk
from clinvault.vault import PatientContext
from clinvault.vault.pseudonymizer import Pseudonymizer


class IndexPrivacy(Protocol):
    def resource(self, pseudonymizer: Pseudonymizer, resource: dict[str, Any]) -> dict[str, Any]:
        """The form of ``resource`` that is rendered into chunks. Must run ``pseudonymizer``
        over it: that is how the patient's vault context learns its identifiers."""

    def admit(
        self, ctx: PatientContext, chunks: Sequence[Chunk], gate: LeakGate
    ) -> tuple[list[Chunk], list[Refusal]]:
        """The chunks that may be written to the index, and the refused ones."""


@dataclass(frozen=True)
class Pseudonymizing:
    """The production step: pseudonymized resources, rescanned chunks, leak gate."""

    def resource(self, pseudonymizer: Pseudonymizer, resource: dict[str, Any]) -> dict[str, Any]:
        return pseudonymizer.pseudonymize(resource)

    def admit(
        self, ctx: PatientContext, chunks: Sequence[Chunk], gate: LeakGate
    ) -> tuple[list[Chunk], list[Refusal]]:
        # Values learned from resources read later (an insurer named in a claim, a
        # practitioner in an encounter) are replaced in every chunk before the gate.
        return gate.check([_rescanned(c, ctx) for c in chunks])


def _rescanned(chunk: Chunk, ctx: PatientContext) -> Chunk:
    text = ctx.replace_known(chunk.text)
    display = ctx.replace_known(chunk.display) if chunk.display else chunk.display
    if text == chunk.text and display == chunk.display:
        return chunk
    return replace(chunk, text=text, display=display)
