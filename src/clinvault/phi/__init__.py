"""Free-text PHI detection: names, dates, contacts, addresses, identifiers in notes.

Use :func:`build_detector` with ``settings.phi``; the implementation is chosen by
``settings.phi.backend`` through :data:`DETECTORS`: ``ensemble`` (the default: the presidio
detector and the nursing-note rules, combined by a declared policy with precision rescue,
:mod:`clinvault.phi.ensemble`) or ``presidio`` (presidio + spaCy + the clinical recognizers
alone). See ``docs/phi.md``. Detectors return
:class:`~clinvault.phi.base.Span` lists; :func:`~clinvault.phi.pseudonymize.pseudonymize`
turns them into vault tokens and shifted dates.
"""

from __future__ import annotations

from clinvault.phi.base import (
    DetectionContext,
    DetectorFailed,
    KnownIdentifier,
    PhiDetector,
    PhiType,
    Span,
    Tokenizer,
)
from clinvault.registry import Registry
from clinvault.settings import PhiSettings

DETECTORS: Registry[PhiDetector] = Registry(
    "PHI detector",
    {
        "presidio": "clinvault.phi.presidio_detector:PresidioDetector",
        "ensemble": "clinvault.phi.ensemble:build_ensemble",
    },
)


def build_detector(settings: PhiSettings) -> PhiDetector:
    """The configured detector, loaded (model verified against its pins) and ready."""
    return DETECTORS.create(settings.backend, settings)


__all__ = [
    "DETECTORS",
    "DetectionContext",
    "DetectorFailed",
    "KnownIdentifier",
    "PhiDetector",
    "PhiType",
    "Span",
    "Tokenizer",
    "build_detector",
]
