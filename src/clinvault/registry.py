"""A name -> factory registry for pluggable parts (vault store, embedder, index, ...).

Each pluggable part owns one ``Registry``; implementations register themselves
by name in their own module, and settings name the one to use. An unknown name
is a ``ConfigError`` listing the known ones: there is no silent fallback.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Generic, TypeVar

from clinvault.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, part: str, builtins: dict[str, str]) -> None:
        """``builtins`` maps a name to ``"module:attribute"`` of its factory, imported lazily."""
        self.part = part
        self._builtins = dict(builtins)
        self._factories: dict[str, Callable[..., T]] = {}

    def register(self, name: str, factory: Callable[..., T]) -> None:
        self._factories[name] = factory

    def names(self) -> list[str]:
        return sorted({*self._builtins, *self._factories})

    def factory(self, name: str) -> Callable[..., T]:
        if name in self._factories:
            return self._factories[name]
        target = self._builtins.get(name)
        if target is None:
            known = ", ".join(self.names())
            raise ConfigError(f"unknown {self.part} backend {name!r}; known: {known}")
        module_name, _, attribute = target.partition(":")
        factory: Callable[..., T] = getattr(importlib.import_module(module_name), attribute)
        return factory

    def create(self, name: str, *args: object, **kwargs: object) -> T:
        return self.factory(name)(*args, **kwargs)
