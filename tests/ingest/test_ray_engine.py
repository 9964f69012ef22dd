"""``clinvault ingest --engine ray`` against the local engine on one 5-patient cohort.

A local Ray (``ray.init(num_cpus=2)``) runs the prepare actors (read, validate, PHI
detection: presidio + spaCy, one load per actor) and an embedding actor (the hashing
embedder, to keep it cheap). Both engines write a PostgreSQL vault (a private schema each)
and a ``qdrant-local`` index: only the Ray driver writes, so the single-process local Qdrant
is enough (a Qdrant server cannot run here; its client is covered by the index contract
suite). Both runs use the same seeded random bytes and a fixed clock, so the two vaults must
hold the very same rows, ciphertexts included, and the two indexes the same points.

Each actor kind dies once in the middle of its first task (``os._exit`` through the
``CLINVAULT_TEST_RAY_CRASH`` hook): Ray restarts it and retries the task, and the result must
still equal the local engine's, with no duplicate.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, inspect, select, text
from sqlalchemy.exc import OperationalError

from clinvault.clock import FixedClock, seeded_random
from clinvault.db import make_engine
from clinvault.errors import ConfigError
from clinvault.ingest.note_scrubber import NoteScrubber
from clinvault.ingest.report import IngestReport
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from clinvault.synth import SynthConfig, write_cohort
from tests.conftest import POSTGRES_URL
from tests.ingest.conftest import truth

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install '.[ray]')")

from clinvault.ingest.ray_engine import RayCluster, ray_pipeline, tls_environment  # noqa: E402
from clinvault.ingest.ray_workers import CRASH_ENV  # noqa: E402

pytestmark = pytest.mark.postgres

SEED = 1313
CLOCK_START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ray-cohort")
    write_cohort(SynthConfig(patients=5, seed=29), out, force=True)
    return out


@pytest.fixture
def schemas() -> Iterator[dict[str, str]]:
    """A private PostgreSQL schema per engine, dropped afterwards."""
    admin = make_engine(POSTGRES_URL)
    names = {engine: f"t_ray_{engine}_{uuid.uuid4().hex[:12]}" for engine in ("local", "ray")}
    try:
        with admin.begin() as connection:
            for name in names.values():
                connection.execute(text(f"CREATE SCHEMA {name}"))
    except OperationalError:
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable in CI")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    try:
        yield {engine: _schema_url(name) for engine, name in names.items()}
    finally:
        with admin.begin() as connection:
            for name in names.values():
                connection.execute(text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()


def _schema_url(schema: str) -> str:
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture
def local_ray(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A local Ray of two CPUs whose workers die once per stage (the crash hook's folder)."""
    crashes = tmp_path / "crashes"
    crashes.mkdir()
    monkeypatch.setenv(CRASH_ENV, str(crashes))  # inherited by the workers Ray starts
    if ray.is_initialized():
        ray.shutdown()
    _start_ray()
    try:
        yield crashes
    finally:
        ray.shutdown()


def _start_ray(attempts: int = 3) -> None:
    """``ray.init(num_cpus=2)``. Ray gives its raylet a fixed 30 s to register, which a
    loaded 2-core machine can miss: then the half-started node is shut down and started again."""
    for attempt in range(attempts):
        try:
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
            return
        except Exception as exc:  # ray raises a bare Exception for this
            ray.shutdown()
            if "timed out during startup" not in str(exc) or attempt == attempts - 1:
                raise


def _settings(base: Settings, home: Path, vault_url: str) -> Settings:
    home.mkdir()
    embedder = base.index.embedder.model_copy(update={"backend": "hashing"})
    ray_config = base.ingest.ray.model_copy(
        update={"num_workers": 2, "embed_actors": 1, "actor_cpus": 0.5, "max_retries": 2}
    )
    return base.model_copy(
        update={
            "home": home,
            "vault": base.vault.model_copy(update={"backend": "postgresql", "url": vault_url}),
            "index": base.index.model_copy(
                update={"backend": "qdrant-local", "path": None, "embedder": embedder}
            ),
            "ingest": base.ingest.model_copy(update={"engine": "ray", "ray": ray_config}),
        }
    )


def _runtime(settings: Settings) -> Runtime:
    return Runtime.open(settings, random=seeded_random(SEED), clock=FixedClock(CLOCK_START))


def _ingest_local(settings: Settings, cohort: Path) -> IngestReport:
    with _runtime(settings) as runtime:
        return runtime.ingest_pipeline().run([cohort])


def _ingest_ray(settings: Settings, cluster: RayCluster, cohort: Path) -> IngestReport:
    with _runtime(settings) as runtime:
        local = runtime.ingest_pipeline(notes=NoteScrubber(None))  # no detector on the driver
        return ray_pipeline(local, cluster).run([cohort])


def _points(settings: Settings) -> tuple[dict[str, dict[str, Any]], int]:
    with Runtime.open(settings) as runtime:
        points = {c.chunk_id: c.payload() for c in runtime.index.scroll()}
        return points, runtime.index.count()


def _rows(vault_url: str) -> dict[str, list[str]]:
    engine = make_engine(vault_url)
    try:
        metadata = MetaData()
        tables = [
            Table(name, metadata, autoload_with=engine)
            for name in inspect(engine).get_table_names()
        ]
        with engine.connect() as connection:
            return {
                table.name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
                for table in tables
            }
    finally:
        engine.dispose()


def test_ray_engine_matches_the_local_engine_through_worker_crashes(
    settings: Settings,
    cohort: Path,
    schemas: dict[str, str],
    local_ray: Path,
    tmp_path: Path,
) -> None:
    local = _settings(settings, tmp_path / "local", schemas["local"])
    remote = _settings(settings, tmp_path / "ray", schemas["ray"])

    too_big = remote.ingest.ray.model_copy(update={"num_workers": 4, "actor_cpus": 1.0})
    with pytest.raises(ConfigError, match=r"has 2 CPUs; ingest\.ray asks for 5"):
        RayCluster.open(
            remote.model_copy(update={"ingest": remote.ingest.model_copy(update={"ray": too_big})})
        )

    local_report = _ingest_local(local, cohort)
    cluster = RayCluster.open(remote)
    try:
        ray_report = _ingest_ray(remote, cluster, cohort)
        # a re-run on the cluster finds everything stored: nothing is written twice
        again = _ingest_ray(remote, cluster, cohort)
    finally:
        cluster.close()

    # each actor kind died once mid-task, and its task was retried
    assert sorted(p.name for p in local_ray.iterdir()) == ["detect", "embed", "prepare"]
    assert local_report.patients == 5
    assert ray_report.summary() == local_report.summary()
    assert [p.where for p in ray_report.rejected] == [p.where for p in local_report.rejected]

    # compared after the Ray engine's second run, which must have added nothing
    local_points, local_count = _points(local)
    ray_points, ray_count = _points(remote)
    assert local_count == len(local_points) > 50
    assert ray_count == len(ray_points) == local_count  # no duplicate point
    assert ray_points == local_points  # the same ids and payloads

    local_rows, ray_rows = _rows(schemas["local"]), _rows(schemas["ray"])
    assert local_rows["vault_resources"]
    assert ray_rows == local_rows  # the same vault rows, ciphertexts included

    assert again.resources_stored == 0
    assert again.resources_unchanged == local_report.resources_stored

    # no planted PHI value in anything Ray wrote on this node (its logs, task events)
    logs = Path(ray._private.worker._global_node.get_session_dir_path()) / "logs"
    written = [f for f in logs.rglob("*") if f.is_file()]
    assert any(f.name.startswith("raylet") for f in written)
    planted = {
        str(p["value"]) for t in truth(cohort) for p in t["phi"] if len(str(p["value"])) >= 5
    }
    assert len(planted) > 50
    blobs = [(f.name, f.read_bytes().lower()) for f in written]
    assert not [(n, v) for n, blob in blobs for v in planted if v.lower().encode() in blob]


def test_a_remote_cluster_without_tls_is_refused(settings: Settings, tmp_path: Path) -> None:
    config = settings.ingest.ray.model_copy(update={"address": "ray://ray-head.invalid:10001"})
    with pytest.raises(ConfigError, match="tls_ca/tls_cert/tls_key"):
        tls_environment(config)
    assert tls_environment(config.model_copy(update={"allow_plaintext": True})) == {}
    assert tls_environment(config.model_copy(update={"address": None})) == {}

    cert = tmp_path / "node.crt"
    cert.write_text("x")
    with pytest.raises(ConfigError, match=r"missing ingest\.ray\.tls_ca, ingest\.ray\.tls_key"):
        tls_environment(config.model_copy(update={"tls_cert": cert}))
    paths = {"tls_ca": tmp_path / "ca.crt", "tls_cert": cert, "tls_key": tmp_path / "node.key"}
    paths["tls_key"].write_text("x")
    with pytest.raises(ConfigError, match=r"ingest\.ray\.tls_ca is not a file"):
        tls_environment(config.model_copy(update=paths))
    paths["tls_ca"].write_text("x")
    assert tls_environment(config.model_copy(update=paths)) == {
        "RAY_USE_TLS": "1",
        "RAY_TLS_CA_CERT": str(paths["tls_ca"]),
        "RAY_TLS_SERVER_CERT": str(cert),
        "RAY_TLS_SERVER_KEY": str(paths["tls_key"]),
    }
