"""Retrieval quality against gold resources: recall@k, reciprocal rank, nDCG@k.

Inputs are ordered retrieved resource references and the set of gold references; each
returns ``None`` (unmeasured) when the item has no gold resources.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence


def _unique(retrieved: Sequence[str]) -> list[str]:
    """A resource split into several chunks counts once, at its best rank."""
    seen: set[str] = set()
    out = []
    for ref in retrieved:
        if ref not in seen:
            seen.add(ref)
            out.append(ref)
    return out


def recall_at_k(retrieved: Sequence[str], gold: Collection[str], k: int) -> float | None:
    if not gold:
        return None
    top = set(_unique(retrieved)[:k])
    return len(top & set(gold)) / len(set(gold))


def reciprocal_rank(retrieved: Sequence[str], gold: Collection[str]) -> float | None:
    if not gold:
        return None
    for rank, ref in enumerate(_unique(retrieved), start=1):
        if ref in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(retrieved: Sequence[str], gold: Collection[str], k: int) -> float | None:
    """Binary-relevance nDCG: 1.0 when every gold resource leads the ranking."""
    if not gold:
        return None
    ranked = _unique(retrieved)[:k]
    dcg = sum(1.0 / math.log2(i + 2) for i, ref in enumerate(ranked) if ref in gold)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(set(gold)), k)))
    return dcg / ideal
