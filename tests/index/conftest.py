"""Index fixtures: the hashing embedder and an opener for every vector-index backend.

``qdrant`` (a server on 127.0.0.1:6333) runs only when one answers; otherwise its
parameter is skipped with the reason.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clinvault.index import open_index
from clinvault.index.base import VectorIndex
from clinvault.index.hashing import HashingEmbedder
from clinvault.settings import Settings

QDRANT_SERVER = ("127.0.0.1", 6333)
BACKENDS = ["edge", "qdrant-local", "qdrant"]
SHM = Path("/dev/shm")


def _qdrant_server_answers() -> bool:
    try:
        with socket.create_connection(QDRANT_SERVER, timeout=0.3):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "qdrant" and not _qdrant_server_answers():
        pytest.skip("no Qdrant server answers on 127.0.0.1:6333")
    return name


OpenIndex = Callable[[], VectorIndex]


@pytest.fixture
def index_dir(tmp_path: Path) -> Iterator[Path]:
    """Where index files go: on tmpfs when there is one, since every shard write fsyncs
    (about 0.15 s per write on this machine's disk, 5 ms on tmpfs)."""
    if not SHM.is_dir():
        yield tmp_path / "index"
        return
    path = Path(tempfile.mkdtemp(prefix="clinvault-index-", dir=SHM))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def backend_settings(settings: Settings, backend: str, index_dir: Path) -> Settings:
    index = {
        "backend": backend,
        "collection": f"test_{uuid.uuid4().hex[:12]}",
        "path": str(index_dir),
    }
    if backend == "qdrant":
        index["url"] = f"http://{QDRANT_SERVER[0]}:{QDRANT_SERVER[1]}"
    return Settings.load(home=settings.home, index=index)


@pytest.fixture
def open_backend(backend_settings: Settings, embedder: HashingEmbedder) -> Iterator[OpenIndex]:
    """Opens the backend's index (again after ``close`` to test persistence)."""
    opened: list[VectorIndex] = []

    def open_() -> VectorIndex:
        index = open_index(backend_settings.index_section, embedder.dimension)
        opened.append(index)
        return index

    yield open_
    for index in opened:
        index.close()
    if backend_settings.index.backend == "qdrant":
        from qdrant_client import QdrantClient

        client = QdrantClient(url=backend_settings.index.url)
        client.delete_collection(backend_settings.index.collection)
        client.close()


@pytest.fixture
def index(open_backend: OpenIndex) -> VectorIndex:
    return open_backend()
