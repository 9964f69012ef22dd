"""The declarative recognizer configuration, ``vault/phi_recognizers.toml``."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from clinvault.errors import ConfigError
from clinvault.phi.base import PhiType
from clinvault.phi.recognizers.identifiers import IdentifierPattern


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PresidioSection(_Strict):
    recognizers: tuple[str, ...]
    entity_types: dict[str, PhiType]


class SpacySection(_Strict):
    labels: dict[str, str]
    default_score: float = Field(ge=0.0, le=1.0)


class NamesSection(_Strict):
    """Name lists (see :mod:`clinvault.phi.name_lexicon`)."""

    enabled: bool = True
    census_surname_rank: int = Field(default=50_000, ge=1)
    """Census surnames up to this frequency rank count (of 88,799; rarer ones are noise)."""


class IdentifierEntry(_Strict):
    name: str
    type: PhiType
    pattern: str
    score: float = Field(ge=0.0, le=1.0)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


class RecognizerConfig(_Strict):
    presidio: PresidioSection
    spacy: SpacySection
    names: NamesSection = NamesSection()
    identifier: tuple[IdentifierEntry, ...] = ()

    @classmethod
    def load(cls, path: Path) -> RecognizerConfig:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(
                f"PHI recognizer config {path} cannot be read: {exc.strerror}"
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"PHI recognizer config {path} is not valid TOML: {exc}") from None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"PHI recognizer config {path}: {problems}") from None

    def identifier_patterns(self) -> list[IdentifierPattern]:
        return [
            IdentifierPattern(e.name, e.type, re.compile(e.pattern), e.score)
            for e in self.identifier
        ]
