"""The PHI detector loads spaCy once per test session (tests using it are ``slow``)."""

from __future__ import annotations

import pytest

from clinvault.phi import PhiDetector, build_detector
from clinvault.settings import PhiSettings


@pytest.fixture(scope="session")
def detector() -> PhiDetector:
    return build_detector(PhiSettings(backend="presidio"))
