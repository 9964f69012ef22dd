"""The default embedder: a sentence-transformers model loaded from local files only.

The model directory is resolved by :mod:`clinvault.index.model_source`, its files are
checked against ``indexing/model-pins.toml`` (:mod:`clinvault.index.pins`) and only then
loaded, once per embedder instance, on first use. Embeddings are L2-normalized.

``torch_threads`` (``index.embedder.torch_threads``), when set, is applied with
``torch.set_num_threads`` as the model loads: it is process-wide. One thread suits a server
that embeds one short question per ask: on a busy 2-core machine the default two threads
spin against other work (measured: MiniLM ``embed_query`` p50 95 / p95 507 ms with two
threads, 23 / 36 ms with one; see ``benchmarks/README.md``). Unset, torch's default stays.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from clinvault.errors import ConfigError
from clinvault.index.model_source import resolve_model_dir
from clinvault.index.pins import load_pins, verify_model_dir
from clinvault.settings import EmbedderSettings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class SentenceTransformerEmbedder:
    def __init__(
        self,
        model: str,
        *,
        pins_file: Path | None,
        batch_size: int = 64,
        device: str = "cpu",
        torch_threads: int | None = None,
    ) -> None:
        """Resolve and verify the model now; load the weights lazily on first embedding."""
        if batch_size < 1:
            raise ConfigError("index.embedder.batch_size must be at least 1")
        if torch_threads is not None and torch_threads < 1:
            raise ConfigError("index.embedder.torch_threads must be at least 1")
        self.torch_threads = torch_threads
        self.name = model
        self.batch_size = batch_size
        self.device = device
        self.model_dir = resolve_model_dir(model)
        self._pins = None if pins_file is None else load_pins(pins_file, model)
        self.dimension = _declared_dimension(self.model_dir)
        self._model: SentenceTransformer | None = None

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._loaded().encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return [[float(value) for value in row] for row in vectors]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def _loaded(self) -> SentenceTransformer:
        if self._model is None:
            if self._pins is not None:
                verify_model_dir(self.name, self.model_dir, self._pins)
            from sentence_transformers import SentenceTransformer

            if self.torch_threads is not None:
                import torch

                torch.set_num_threads(self.torch_threads)
            model = SentenceTransformer(
                str(self.model_dir), device=self.device, local_files_only=True
            )
            loaded_dimension = model.get_embedding_dimension()
            if loaded_dimension != self.dimension:
                raise ConfigError(
                    f"embedding model {self.name!r} produces {loaded_dimension} dimensions, "
                    f"its config declares {self.dimension}"
                )
            self._model = model
        return self._model


def open_sentence_transformer(settings: EmbedderSettings) -> SentenceTransformerEmbedder:
    """Registry factory (``index.embedder.backend = "sentence-transformers"``)."""
    embedder = settings
    return SentenceTransformerEmbedder(
        embedder.model,
        pins_file=embedder.pins_file,
        batch_size=embedder.batch_size,
        device=embedder.device,
        torch_threads=embedder.torch_threads,
    )


def _declared_dimension(model_dir: Path) -> int:
    """The embedding size, read from the model's config without loading the weights.

    The vector index needs the dimension to open its collection; reading it from
    ``1_Pooling/config.json`` (or ``config.json``'s ``hidden_size``) keeps that cheap.
    """
    for relative, key in (
        ("1_Pooling/config.json", "word_embedding_dimension"),
        ("config.json", "hidden_size"),
    ):
        path = model_dir / relative
        if path.is_file():
            value = json.loads(path.read_text(encoding="utf-8")).get(key)
            if isinstance(value, int) and value > 0:
                return value
    raise ConfigError(f"cannot read the embedding dimension of the model in {model_dir}")
