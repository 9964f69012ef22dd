"""Chunk <-> llama-index node, under the index's privacy rule.

llama-index vector stores copy a node's metadata into the point payload (both as
top-level keys and inside the ``_node_content`` JSON). So the only metadata a node may
carry is :meth:`Chunk.payload` (already pseudonymized), every key is excluded from the
embed and LLM views (only ``text`` is embedded or sent), and a node has no relationships
(no source ids). :func:`require_chunk_node` enforces this at every store's ``add``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from llama_index.core.schema import BaseNode, TextNode

from clinvault.errors import PrivacyError
from clinvault.model import PAYLOAD_FIELDS, Chunk

LLAMA_INDEX_PAYLOAD_KEYS = frozenset(
    {"_node_content", "_node_type", "document_id", "doc_id", "ref_doc_id"}
)
"""Bookkeeping keys llama-index adds beside the chunk fields (``node_to_metadata_dict``)."""


def chunk_to_node(chunk: Chunk, embedding: list[float]) -> TextNode:
    return TextNode(
        id_=chunk.chunk_id,
        text=chunk.text,
        metadata=chunk.payload(),
        excluded_embed_metadata_keys=list(PAYLOAD_FIELDS),
        excluded_llm_metadata_keys=list(PAYLOAD_FIELDS),
        embedding=embedding,
    )


def chunk_from_metadata(metadata: Mapping[str, Any]) -> Chunk:
    return Chunk.from_payload({key: metadata.get(key) for key in PAYLOAD_FIELDS})


def require_chunk_node(node: BaseNode) -> None:
    """Fail closed unless ``node`` is exactly what :func:`chunk_to_node` builds."""
    extra = set(node.metadata) - set(PAYLOAD_FIELDS)
    if extra:
        raise PrivacyError(
            f"node metadata may only hold chunk fields; refused keys: {sorted(extra)}"
        )
    if node.relationships:
        raise PrivacyError("index nodes may not carry relationships (source ids)")
    fields = set(node.metadata)
    if not fields <= set(node.excluded_embed_metadata_keys) or not fields <= set(
        node.excluded_llm_metadata_keys
    ):
        raise PrivacyError("every chunk field must be excluded from the embed and LLM views")
    if node.node_id != node.metadata.get("chunk_id"):
        raise PrivacyError("node id must be the chunk id")


def require_chunk_nodes(nodes: Iterable[BaseNode]) -> None:
    for node in nodes:
        require_chunk_node(node)
