"""llama-index metadata filters for chunk queries; every one is scoped to a patient.

The builders here are the only way :class:`~clinvault.index.chunk_index.ChunkIndex`
filters a store, and each starts with ``patient == <token>``: a query without a patient
filter cannot be built. The qdrant-client store translates these filters itself; the
Edge store uses :mod:`clinvault.index.edge_filters`.
"""

from __future__ import annotations

from collections.abc import Sequence

from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
)


def _patient(patient: str) -> MetadataFilter:
    if not patient:
        raise ValueError("an index filter must name a patient token")
    return MetadataFilter(key="patient", value=patient, operator=FilterOperator.EQ)


def _any_of(key: str, values: Sequence[str]) -> MetadataFilter:
    return MetadataFilter(key=key, value=list(values), operator=FilterOperator.IN)


def patient_filters(patient: str) -> MetadataFilters:
    return MetadataFilters(filters=[_patient(patient)], condition=FilterCondition.AND)


def search_filters(
    patient: str, *, resource_types: Sequence[str] = (), codes: Sequence[str] = ()
) -> MetadataFilters:
    """The patient's chunks, narrowed to these resource types and (AND) these codes."""
    filters: list[MetadataFilter | MetadataFilters] = [_patient(patient)]
    if resource_types:
        filters.append(_any_of("resource_type", resource_types))
    if codes:
        filters.append(_any_of("codes", codes))
    return MetadataFilters(filters=filters, condition=FilterCondition.AND)


def latest_filters(
    patient: str, *, resource_types: Sequence[str] = (), codes: Sequence[str] = ()
) -> MetadataFilters:
    """The patient's chunks matching any of these codes or (OR) resource types."""
    alternatives: list[MetadataFilter | MetadataFilters] = []
    if codes:
        alternatives.append(_any_of("codes", codes))
    if resource_types:
        alternatives.append(_any_of("resource_type", resource_types))
    filters: list[MetadataFilter | MetadataFilters] = [_patient(patient)]
    if alternatives:
        filters.append(MetadataFilters(filters=alternatives, condition=FilterCondition.OR))
    return MetadataFilters(filters=filters, condition=FilterCondition.AND)


def resources_filters(patient: str, resources: Sequence[str]) -> MetadataFilters:
    return MetadataFilters(
        filters=[_patient(patient), _any_of("resource", resources)],
        condition=FilterCondition.AND,
    )
