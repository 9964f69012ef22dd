"""sha256 pins of embedding-model files (``indexing/model-pins.toml``).

A model is loaded only after every file the loader may read (weights, tokenizer,
configs: everything in the model directory except documentation) matches its pinned
digest. A pinned file that is missing, a digest that differs, or an unpinned file that
appeared is a :class:`~clinvault.errors.ModelIntegrityError`.

The pins file maps the model name, exactly as configured in ``index.embedder.model``,
to ``relative path = "sha256 hex"``. To pin a model, print its section with::

    python -m clinvault.index.pins MODEL >> indexing/model-pins.toml
"""

from __future__ import annotations

import hashlib
import sys
import tomllib
from pathlib import Path

from clinvault.errors import ConfigError, ModelIntegrityError

UNPINNED_NAMES = frozenset({".gitattributes", ".gitignore"})
UNPINNED_SUFFIXES = frozenset({".md", ".lock", ".metadata"})
_CHUNK = 1 << 20


def pinned_files(model_dir: Path) -> list[str]:
    """Relative paths (posix) of the files of ``model_dir`` that must be pinned."""
    files = []
    for path in sorted(model_dir.rglob("*")):
        relative = path.relative_to(model_dir)
        if any(part.startswith(".") and part not in UNPINNED_NAMES for part in relative.parts):
            continue  # hub cache bookkeeping such as .cache/
        if not path.is_file() or path.name in UNPINNED_NAMES or path.suffix in UNPINNED_SUFFIXES:
            continue
        files.append(relative.as_posix())
    return files


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def compute_pins(model_dir: Path) -> dict[str, str]:
    return {relative: sha256_file(model_dir / relative) for relative in pinned_files(model_dir)}


def load_pins(pins_file: Path, model: str) -> dict[str, str]:
    """The pins of ``model``; a missing file or model is a ``ConfigError`` saying how to pin."""
    try:
        raw = tomllib.loads(pins_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"model pins file {pins_file} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"model pins file {pins_file} is not valid TOML: {exc}") from None
    models = raw.get("models", {})
    pins = models.get(model) if isinstance(models, dict) else None
    if not pins:
        raise ConfigError(
            f"embedding model {model!r} has no sha256 pins in {pins_file}; pin it with "
            f"`python -m clinvault.index.pins {model} >> {pins_file}` after checking its source, "
            "or set index.embedder.pins_file to none to load it unverified"
        )
    if not isinstance(pins, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in pins.items()
    ):
        raise ConfigError(f"pins of {model!r} in {pins_file} must map file paths to hex digests")
    return dict(pins)


def verify_model_dir(model: str, model_dir: Path, pins: dict[str, str]) -> None:
    """Raise ``ModelIntegrityError`` unless the directory holds exactly the pinned files."""
    for relative, expected in sorted(pins.items()):
        path = model_dir / relative
        if not path.is_file():
            raise ModelIntegrityError(f"model {model!r}: pinned file {relative} is missing")
        if sha256_file(path) != expected.lower():
            raise ModelIntegrityError(
                f"model {model!r}: file {relative} does not match its pinned sha256"
            )
    unpinned = sorted(set(pinned_files(model_dir)) - set(pins))
    if unpinned:
        raise ModelIntegrityError(f"model {model!r}: files without a pin: {', '.join(unpinned)}")


def pins_toml(model: str, pins: dict[str, str]) -> str:
    lines = [f'[models."{model}"]']
    lines += [f'"{relative}" = "{digest}"' for relative, digest in sorted(pins.items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    from clinvault.index.model_source import resolve_model_dir

    if len(argv) != 1:
        print("usage: python -m clinvault.index.pins MODEL", file=sys.stderr)
        return 2
    model = argv[0]
    sys.stdout.write(pins_toml(model, compute_pins(resolve_model_dir(model))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
