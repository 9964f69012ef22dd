from __future__ import annotations

import pytest

from clinvault.settings import Settings


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    """Embedded defaults, with the hashing embedder so ingest tests stay fast."""
    embedder = settings.index.embedder.model_copy(update={"backend": "hashing"})
    return settings.model_copy(
        update={"index": settings.index.model_copy(update={"embedder": embedder})}
    )
