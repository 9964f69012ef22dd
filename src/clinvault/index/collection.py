"""The collection layout from ``indexing/collection.toml``, shared by every Qdrant backend.

Vector names, distance, HNSW and search parameters, BM25 parameters and payload indexes
are declared once in TOML and read into :class:`CollectionConfig`; the Edge store and
the qdrant-client store both build their collection from it, so they index and score alike.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from clinvault.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DenseVectorConfig(_Strict):
    name: str = "dense"
    distance: Literal["cosine", "dot", "euclid"] = "cosine"


class SparseVectorConfig(_Strict):
    name: str = "bm25"
    idf: bool = True


class Bm25Params(_Strict):
    k: float = Field(default=1.2, ge=0)
    b: float = Field(default=0.75, ge=0, le=1)
    avg_len: float = Field(default=48.0, gt=0)
    language: str = "english"


class HnswParams(_Strict):
    m: int = Field(default=16, gt=0)
    ef_construct: int = Field(default=128, gt=0)
    full_scan_threshold: int = Field(default=10000, ge=0)
    payload_m: int = Field(default=16, gt=0)


class SearchParams(_Strict):
    hnsw_ef: int = Field(default=128, gt=0)
    rrf_k: int = Field(default=60, gt=0)
    prefetch_factor: int = Field(default=4, ge=1)


class PayloadIndex(_Strict):
    type: Literal["keyword", "datetime"]
    is_tenant: bool = False


class CollectionConfig(_Strict):
    dense: DenseVectorConfig = Field(default_factory=DenseVectorConfig)
    sparse: SparseVectorConfig = Field(default_factory=SparseVectorConfig)
    bm25: Bm25Params = Field(default_factory=Bm25Params)
    hnsw: HnswParams = Field(default_factory=HnswParams)
    search: SearchParams = Field(default_factory=SearchParams)
    payload_indexes: dict[str, PayloadIndex] = Field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> CollectionConfig:
        """Read the TOML file; a missing or invalid file is a ``ConfigError`` naming it."""
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"collection config {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"collection config {path} is not valid TOML: {exc}") from None
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"collection config {path}: {problems}") from None
