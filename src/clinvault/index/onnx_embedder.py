"""The default model on onnxruntime: the same weights, exported once, run without torch.

``index.embedder.backend = "onnx"`` embeds with the model ``index.embedder.model`` names (the
same as the sentence-transformers backend: mean pooling over the transformer's last hidden
state, L2-normalized), but runs the transformer with onnxruntime and batches the texts
sorted by token length, so a batch pads to its own longest text, not to the longest of all.

The ONNX file is built, not shipped: on first use the source files are checked against
their pins (``indexing/model-pins.toml``, as for the torch backend), the transformer is
exported with ``torch.onnx.export`` (and, with ``index.embedder.quantize``, int8 dynamic
quantization) into the export cache (``index.embedder.onnx_cache``), next to a manifest
naming the sha256 of the source weights it came from and of the ONNX file itself. A later
load uses the cached file only when both digests still match; anything else is a
``ModelIntegrityError`` (a changed cached file is never loaded, and never silently
re-exported either: delete the folder to rebuild it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clinvault.errors import ConfigError, ModelIntegrityError
from clinvault.index.model_source import resolve_model_dir
from clinvault.index.pins import load_pins, sha256_file, verify_model_dir
from clinvault.index.sentence_transformer import _declared_dimension
from clinvault.settings import EmbedderSettings

if TYPE_CHECKING:
    import numpy as np
    import onnxruntime  # type: ignore[import-untyped]
    from tokenizers import Tokenizer

WEIGHTS_FILE = "model.safetensors"
MANIFEST = "manifest.json"
ONNX_FILE = "model.onnx"
EXPORT_FORMAT = 1
"""Bumped when the export changes (inputs, opset, pooling outside the graph)."""


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/clinvault/onnx`` (else ``~/.cache/clinvault/onnx``): the export is
    derived from public weights only, so several homes share one copy."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clinvault" / "onnx"


class OnnxEmbedder:
    def __init__(
        self,
        model: str,
        *,
        pins_file: Path | None,
        cache_dir: Path,
        batch_size: int = 64,
        quantize: bool = False,
        threads: int = 0,
    ) -> None:
        """Resolve the model and read its dimension now; verify, export and load lazily."""
        if batch_size < 1:
            raise ConfigError("index.embedder.batch_size must be at least 1")
        self.model = model
        self.name = f"{model}-onnx-{'int8' if quantize else 'fp32'}"
        self.batch_size = batch_size
        self.quantize = quantize
        self.threads = threads
        self.model_dir = resolve_model_dir(model)
        self.cache_dir = cache_dir
        self._pins = None if pins_file is None else load_pins(pins_file, model)
        self.dimension = _declared_dimension(self.model_dir)
        self.max_tokens = _max_seq_length(self.model_dir)
        self._session: onnxruntime.InferenceSession | None = None
        self._tokenizer: Tokenizer | None = None

    # -- the Embedder protocol ----------------------------------------------------------------

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        return [[float(v) for v in row] for row in self.embed_array(texts)]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        """Normalized embeddings as a ``(len(texts), dimension)`` float32 array, computed in
        batches of texts of similar token length."""
        import numpy as np

        session, tokenizer = self._loaded()
        encodings = tokenizer.encode_batch(list(texts))
        lengths = [len(e.ids) for e in encodings]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = max(lengths[i] for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                ids[r, : lengths[i]] = encodings[i].ids
                mask[r, : lengths[i]] = 1
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = session.run(None, feeds)[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[rows] = pooled / np.clip(norms, 1e-12, None)
        return out

    # -- loading ------------------------------------------------------------------------------

    def _loaded(self) -> tuple[onnxruntime.InferenceSession, Tokenizer]:
        if self._session is None or self._tokenizer is None:
            if self._pins is not None:
                verify_model_dir(self.model, self.model_dir, self._pins)
            onnx_path = self._export_or_verify()
            import onnxruntime
            from tokenizers import Tokenizer

            options = onnxruntime.SessionOptions()
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            if self.threads:
                options.intra_op_num_threads = self.threads
            # no busy-waiting between ops: on a shared machine (PHI detection and the writer
            # beside the embedder) spinning threads only steal the cores the others need
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
            tokenizer.no_padding()
            tokenizer.enable_truncation(self.max_tokens)
            self._session = onnxruntime.InferenceSession(
                str(onnx_path), options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = tokenizer
        return self._session, self._tokenizer

    def export_dir(self) -> Path:
        """The cache folder of this model's export: named by the source weights' digest."""
        source = sha256_file(self.model_dir / WEIGHTS_FILE)
        kind = "int8" if self.quantize else "fp32"
        return self.cache_dir / f"{source[:16]}-{kind}-v{EXPORT_FORMAT}"

    def _export_or_verify(self) -> Path:
        weights = self.model_dir / WEIGHTS_FILE
        if not weights.is_file():
            raise ConfigError(f"embedding model {self.model!r} has no {WEIGHTS_FILE} to export")
        source = sha256_file(weights)
        folder = self.export_dir()
        manifest_path, onnx_path = folder / MANIFEST, folder / ONNX_FILE
        if not manifest_path.is_file():
            _export(self.model_dir, folder, quantize=self.quantize, source_sha256=source)
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("source_sha256") != source:
            raise ModelIntegrityError(
                f"ONNX export in {folder} was not made from the weights of {self.model!r}"
            )
        if not onnx_path.is_file() or sha256_file(onnx_path) != manifest.get("onnx_sha256"):
            raise ModelIntegrityError(
                f"ONNX export in {folder} does not match its manifest; delete the folder to rebuild"
            )
        return onnx_path


def _export(model_dir: Path, folder: Path, *, quantize: bool, source_sha256: str) -> None:
    """torch -> ONNX (opset 17, dynamic batch and length), optionally int8; written to a
    temporary folder and renamed, so a crash never leaves a half export behind."""
    import tempfile

    import torch
    from transformers import AutoModel

    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
        work = Path(tmp)
        model = AutoModel.from_pretrained(
            str(model_dir), local_files_only=True, attn_implementation="eager"
        ).eval()
        wrapped = _LastHidden(model)
        example = torch.ones(2, 8, dtype=torch.long)
        mask = example.clone()
        mask[1, 5:] = 0  # a padded row: an all-ones mask would trace the no-padding shortcut
        axes = {0: "batch", 1: "tokens"}
        fp32 = work / ("fp32.onnx" if quantize else ONNX_FILE)
        with torch.no_grad():
            torch.onnx.export(
                wrapped,
                (example, mask, torch.zeros_like(example)),
                str(fp32),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"],
                dynamic_axes={
                    "input_ids": axes,
                    "attention_mask": axes,
                    "token_type_ids": axes,
                    "last_hidden_state": axes,
                },
                opset_version=17,
                dynamo=False,
            )
        if quantize:
            from onnxruntime.quantization import (  # type: ignore[import-untyped]
                QuantType,
                quantize_dynamic,
            )

            quantize_dynamic(str(fp32), str(work / ONNX_FILE), weight_type=QuantType.QInt8)
            fp32.unlink()
        manifest = {
            "format": EXPORT_FORMAT,
            "source_sha256": source_sha256,
            "onnx_sha256": sha256_file(work / ONNX_FILE),
            "quantized": "int8-dynamic" if quantize else "none",
            "torch": torch.__version__,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        try:
            work.rename(folder)
        except OSError:
            if not (folder / MANIFEST).is_file():  # not a concurrent export that won the race
                raise
        else:
            work.mkdir()  # TemporaryDirectory removes its (now empty) folder on exit


def _lasthidden_module() -> Any:
    import torch

    class LastHidden(torch.nn.Module):  # type: ignore[misc]  # torch is not followed (pyproject)
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            out = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            hidden: torch.Tensor = out.last_hidden_state
            return hidden

    return LastHidden


def _LastHidden(model: Any) -> Any:
    return _lasthidden_module()(model)


def _max_seq_length(model_dir: Path) -> int:
    """Truncation length as sentence-transformers applies it (``sentence_bert_config.json``)."""
    path = model_dir / "sentence_bert_config.json"
    if path.is_file():
        value = json.loads(path.read_text(encoding="utf-8")).get("max_seq_length")
        if isinstance(value, int) and value > 0:
            return value
    return 512


def open_onnx_embedder(settings: EmbedderSettings) -> OnnxEmbedder:
    """Registry factory (``index.embedder.backend = "onnx"``)."""
    return OnnxEmbedder(
        settings.model,
        pins_file=settings.pins_file,
        cache_dir=settings.onnx_cache or default_cache_dir(),
        batch_size=settings.batch_size,
        quantize=settings.quantize,
    )
