"""``clinvault ingest --engine local|ray [--address ...]``: which pipeline an ingest runs.

The Ray engine (:mod:`clinvault.ingest.ray_engine`, the ``ray`` extra) is imported only when
asked for; the driver then loads no PHI detector (the cluster's actors do).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from clinvault.errors import ConfigError
from clinvault.ingest.note_scrubber import NoteScrubber
from clinvault.ingest.pipeline import IngestPipeline
from clinvault.settings import Settings

if TYPE_CHECKING:
    from clinvault.runtime import Runtime

ENGINES = ("local", "ray")


def with_engine(settings: Settings, engine: str | None, address: str | None) -> Settings:
    """The settings with the command line's ``--engine``/``--address`` applied."""
    if engine is not None and engine not in ENGINES:
        raise ConfigError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    chosen = engine or settings.ingest.engine
    if address is not None and chosen != "ray":
        raise ConfigError("--address names a Ray cluster: it needs --engine ray")
    ray = settings.ingest.ray
    if address is not None:
        ray = ray.model_copy(update={"address": address})
    ingest = settings.ingest.model_copy(update={"engine": chosen, "ray": ray})
    return settings.model_copy(update={"ingest": ingest})


@contextmanager
def engine_pipeline(runtime: Runtime) -> Iterator[IngestPipeline]:
    """The pipeline of ``ingest.engine``; a Ray cluster's actors live for the block."""
    if runtime.settings.ingest.engine == "local":
        yield runtime.ingest_pipeline()
        return
    if importlib.util.find_spec("ray") is None:
        raise ConfigError("--engine ray needs the ray extra: pip install 'clinvault[ray]'")
    from clinvault.ingest.ray_engine import RayCluster, ray_pipeline

    cluster = RayCluster.open(runtime.settings)
    try:
        # no detector on the driver: the prepare actors run it
        yield ray_pipeline(runtime.ingest_pipeline(notes=NoteScrubber(None)), cluster)
    finally:
        cluster.close()
