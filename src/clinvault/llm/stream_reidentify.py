"""Re-identifying a streamed answer piece by piece, holding back only a possibly split token.

A model streams ``"... on [DA"``, ``"TE-1A2B3C4D] ..."``: re-identifying each piece alone
would miss the token. ``StreamingReidentifier`` keeps a small buffer and, after every piece,
releases the longest prefix after which nothing can still be completed into something the
re-identifier rewrites: a value token (``[NAME-7F3A2C91]``, also the lenient forms the vault
accepts), a ``RES-…`` token (with a ``Type/`` prefix) or a written date
(``2021-03-04``, ``3/4/2021``, ``March 4, 2021``, ``4 March 2021``). What is held back is at
most that partial match (a few characters), never the whole response; ``finish`` releases
the rest. De-tokenization happens here, after the text has left the provider.

The release test uses the ``regex`` module's partial matching with the vault's own patterns,
so the cut points follow exactly what ``Vault.reidentify`` would match.
"""

from __future__ import annotations

from collections.abc import Callable

import regex  # type: ignore[import-untyped]

from clinvault.vault.dates import TEXT_DATE_RE
from clinvault.vault.tokens import RESOURCE_TOKEN_RE, VALUE_TOKEN_RE

LOOKBACK = 64
"""Longest text that can still belong to one unfinished match (a date with time and zone,
a 16-hex token with padding): only this many trailing characters are ever inspected."""

_RESOURCE = RESOURCE_TOKEN_RE.pattern.replace(r"\b", "")
_PENDING = (
    regex.compile(VALUE_TOKEN_RE.pattern, regex.IGNORECASE),
    regex.compile(_RESOURCE, regex.IGNORECASE),
    regex.compile(TEXT_DATE_RE.pattern),
)
_TYPED_RESOURCE = regex.compile(r"[A-Za-z]+/" + _RESOURCE, regex.IGNORECASE)
"""``Observation/RES-…``: only considered once the ``/`` has arrived, or every word would
look like the start of one."""


def _pending_at(text: str, start: int) -> bool:
    if any(p.fullmatch(text, pos=start, partial=True) is not None for p in _PENDING):
        return True
    return (
        "/" in text[start:] and _TYPED_RESOURCE.fullmatch(text, pos=start, partial=True) is not None
    )


def unfinished_from(text: str) -> int:
    """Where the trailing text that could still grow into a token or date begins;
    ``len(text)`` when nothing at the end is pending."""
    for start in range(max(0, len(text) - LOOKBACK), len(text)):
        if _pending_at(text, start):
            return start
    return len(text)


class StreamingReidentifier:
    """Feed pseudonymous pieces in order; get re-identified text out, as early as is safe."""

    def __init__(self, reidentify: Callable[[str], str]) -> None:
        self._reidentify = reidentify
        self._pending = ""

    @property
    def held_back(self) -> str:
        """The pseudonymous text not released yet."""
        return self._pending

    def feed(self, piece: str) -> str:
        text = self._pending + piece
        cut = unfinished_from(text)
        self._pending = text[cut:]
        return self._reidentify(text[:cut]) if cut else ""

    def finish(self) -> str:
        text, self._pending = self._pending, ""
        return self._reidentify(text) if text else ""
