"""The ensemble detector: members behind :class:`PhiDetector`, combined by a declared policy.

Members (each a ``PhiDetector`` of its own, scored alone by ``clinvault deid eval``):

- ``presidio``: presidio + spaCy NER with clinvault's clinical recognizers
  (:class:`~clinvault.phi.presidio_detector.PresidioDetector`);
- ``rules``: Philter-style patterns for nursing notes
  (:class:`~clinvault.phi.nursing_rules.NursingRulesDetector`).

Policy (:data:`POLICY`), in order:

1. **union** of every member's spans (recall first);
2. **precision rescue**: a person, organization or place span guessed by the NER member
   that is only clinical safe words,
   numbers and single letters (``NPN``, ``TSICU``, ``q2h``, ``s/p CABG``) is dropped unless
   a person cue precedes it; the patient's own known identifiers are never dropped;
   shift hours after a note header (``NPN 7p-7a``) are cut out of dates, and a place that
   starts with a quantity (``45 deg.\nDr``) is dropped (:mod:`clinvault.phi.rescue`);
3. **overlap resolution** (:func:`~clinvault.phi.spans.resolve_overlaps`: longer spans win,
   nothing any member found is left in the clear).

Fail closed: a member that raises makes the whole call raise :class:`DetectorFailed` (a
``PrivacyError``), so the note is refused, never indexed unscrubbed. The message names the
member and the exception type only.
"""

from __future__ import annotations

from collections.abc import Sequence

from clinvault.phi.base import DetectionContext, DetectorFailed, PhiDetector, PhiType, Span
from clinvault.phi.nursing_rules import NursingRulesDetector
from clinvault.phi.recognizers.known_identifiers import KnownIdentifierRecognizer
from clinvault.phi.rescue import misread_quantity, shift_regions, without_regions
from clinvault.phi.safe_words import SafeWords
from clinvault.phi.spans import resolve_overlaps
from clinvault.settings import PhiSettings

POLICY = (
    "union",
    "rescue: NER people/places of clinical safe words only unless cued; shift hours; quantities",
    "resolve",
)
RESCUED_MEMBERS = frozenset({"presidio"})
"""Members whose spans the safe-word rescue may drop."""
NER_SOURCE = "presidio:"
"""Only the NER guesses of those members (source ``presidio:PERSON`` ...); pattern finds such
as street addresses and ZIP codes are never dropped for holding safe words or numbers."""
RESCUED_TYPES = frozenset({PhiType.NAME, PhiType.ORG, PhiType.ADDR})
"""Only guessed people, organizations and places are rescued; numbers, dates and contact
details are never dropped for being made of safe words."""
KNOWN = KnownIdentifierRecognizer.name


class EnsembleDetector:
    """Named members combined by :data:`POLICY`; thread-compatible like its members."""

    def __init__(self, members: Sequence[tuple[str, PhiDetector]], safe_words: SafeWords) -> None:
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = tuple(members)
        self._safe = safe_words

    @classmethod
    def from_settings(cls, settings: PhiSettings) -> EnsembleDetector:
        from clinvault.phi.presidio_detector import PresidioDetector

        safe = SafeWords.packaged()
        return cls(
            (("presidio", PresidioDetector(settings)), ("rules", NursingRulesDetector(safe))), safe
        )

    def detect(self, text: str, *, context: DetectionContext | None = None) -> list[Span]:
        return self.detect_batch([text], context=context)[0]

    def with_member(self, name: str, member: PhiDetector) -> EnsembleDetector:
        """This ensemble with one more member (the evaluation's candidate members)."""
        return EnsembleDetector([*self.members, (name, member)], self._safe)

    def detect_batch(
        self, texts: Sequence[str], *, context: DetectionContext | None = None
    ) -> list[list[Span]]:
        per_member = [
            (name, self._run(name, member, texts, context)) for name, member in self.members
        ]
        return self.combine(texts, per_member)

    def combine(
        self, texts: Sequence[str], per_member: Sequence[tuple[str, Sequence[Sequence[Span]]]]
    ) -> list[list[Span]]:
        """:data:`POLICY` over the members' spans of ``texts`` (``(name, spans per text)``);
        the evaluation scores each member once and combines their spans with this."""
        combined: list[list[Span]] = []
        for index, text in enumerate(texts):
            shifts = shift_regions(text)
            spans: list[Span] = []
            for name, results in per_member:
                for span in results[index]:
                    if span.source == KNOWN:
                        spans.append(span)
                    elif not self._rescued(name, text, span):
                        spans += (
                            without_regions(text, span, shifts)
                            if span.type is PhiType.DATE
                            else [span]
                        )
            combined.append(resolve_overlaps(text, spans))
        return combined

    def _rescued(self, member: str, text: str, span: Span) -> bool:
        if misread_quantity(span):
            return True
        return (
            member in RESCUED_MEMBERS
            and span.source.startswith(NER_SOURCE)
            and span.type in RESCUED_TYPES
            and self._safe.only_clinical(text, span.start, span.end)
        )

    @staticmethod
    def _run(
        name: str, member: PhiDetector, texts: Sequence[str], context: DetectionContext | None
    ) -> list[list[Span]]:
        try:
            results = member.detect_batch(texts, context=context)
        except Exception as exc:  # noqa: BLE001  (fail closed: any member failure refuses the texts)
            raise DetectorFailed(
                f"PHI detector member {name!r} failed ({type(exc).__name__}); text refused"
            ) from None
        if len(results) != len(texts):
            raise DetectorFailed(f"PHI detector member {name!r} returned a wrong result count")
        return results


def build_ensemble(settings: PhiSettings) -> EnsembleDetector:
    """The registry factory of the ``ensemble`` backend."""
    return EnsembleDetector.from_settings(settings)
