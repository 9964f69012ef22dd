"""FHIR transaction Bundles: every entry a ``urn:uuid`` fullUrl and a PUT to ``Type/id``.

PUT keeps the generated ids, so ``truth.jsonl`` resource ids stay valid after loading into a
server, and shared Practitioners/Organizations are idempotent across bundles.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def entry(resource: Json) -> Json:
    resource_type, resource_id = resource["resourceType"], resource["id"]
    return {
        "fullUrl": f"urn:uuid:{resource_id}",
        "resource": resource,
        "request": {"method": "PUT", "url": f"{resource_type}/{resource_id}"},
    }


def transaction_bundle(bundle_id: str, resources: list[Json]) -> Json:
    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "type": "transaction",
        "entry": [entry(resource) for resource in resources],
    }
