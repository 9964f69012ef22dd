"""Translate llama-index ``MetadataFilters`` into ``qdrant_edge.Filter``.

Supported operators: EQ, NE, IN, NIN, ANY (as IN), GT/GTE/LT/LTE (numbers as float
ranges, strings as datetime ranges) and IS_EMPTY; nested filters with AND, OR and NOT.
Anything else is a ``ValueError`` naming the operator, never a silently dropped condition.
"""

from __future__ import annotations

from typing import Any

import qdrant_edge as qe
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
)

_RANGE_ARGUMENT = {
    FilterOperator.GT: "gt",
    FilterOperator.GTE: "gte",
    FilterOperator.LT: "lt",
    FilterOperator.LTE: "lte",
}


def to_edge_filter(filters: MetadataFilters) -> qe.Filter:
    conditions = [
        to_edge_filter(item) if isinstance(item, MetadataFilters) else _condition(item)
        for item in filters.filters
    ]
    condition = filters.condition or FilterCondition.AND
    if condition == FilterCondition.AND:
        return qe.Filter(must=conditions)
    if condition == FilterCondition.OR:
        return qe.Filter(should=conditions)
    if condition == FilterCondition.NOT:
        return qe.Filter(must_not=conditions)
    raise ValueError(f"filter condition {condition} is not supported by the Edge store")


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _condition(item: MetadataFilter) -> Any:
    operator = item.operator or FilterOperator.EQ
    key = item.key
    value: Any = item.value
    if operator == FilterOperator.EQ:
        if isinstance(value, float):
            return qe.FieldCondition(key, range=qe.RangeFloat(gte=value, lte=value))
        return qe.FieldCondition(key, match=qe.MatchValue(value))
    if operator in (FilterOperator.IN, FilterOperator.ANY):
        return qe.FieldCondition(key, match=qe.MatchAny(_values(value)))
    if operator == FilterOperator.NE:
        return qe.FieldCondition(key, match=qe.MatchExcept([value]))
    if operator == FilterOperator.NIN:
        return qe.FieldCondition(key, match=qe.MatchExcept(_values(value)))
    if operator in _RANGE_ARGUMENT:
        bound = {_RANGE_ARGUMENT[operator]: value}
        if isinstance(value, str):
            return qe.FieldCondition(key, range=qe.RangeDateTime(**bound))
        return qe.FieldCondition(key, range=qe.RangeFloat(**bound))
    if operator == FilterOperator.IS_EMPTY:
        return qe.IsEmptyCondition(key)
    raise ValueError(f"filter operator {operator.value!r} is not supported by the Edge store")
