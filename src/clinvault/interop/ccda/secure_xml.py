"""Parsing untrusted XML for C-CDA: a hardened lxml parser that refuses DTDs and entities.

A C-CDA document never needs a DTD. A document that declares one (``<!DOCTYPE``), or
declares or uses entities, is refused with an ``InputError`` naming the file, never its
content: that closes billion-laughs expansion, external entities (``file:///etc/passwd``,
``http://...``) and DTD fetches. The parser itself is also hardened
(``resolve_entities=False``, ``no_network=True``, ``load_dtd=False``, ``huge_tree=False``),
so a declaration that slipped past the byte check would still not be expanded or fetched.
"""

from __future__ import annotations

from lxml import etree

from clinvault.errors import InputError

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
"""Documents above this size are refused before parsing (an embedded PDF is a few MB)."""
_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
_ENCODINGS = ("utf-16-le", "utf-16-be")


def secure_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes, where: str) -> etree._Element:
    """The root element of ``data``; ``InputError`` naming ``where`` for anything refused."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError(f"XML document is larger than {MAX_DOCUMENT_BYTES} bytes", where=where)
    if _declares_dtd(data):
        raise InputError(
            "XML with a DOCTYPE or entity declaration is refused (DTDs and entities are not "
            "allowed in C-CDA input)",
            where=where,
        )
    try:
        tree = etree.fromstring(data, parser=secure_parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else 0
        raise InputError(f"malformed XML at line {line}", where=where) from None
    info = tree.docinfo
    doctype = str(getattr(info, "doctype", "") or "")  # not in lxml-stubs' DocInfo
    if doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise InputError("XML with a DOCTYPE is refused", where=where)
    root = tree.getroot()
    if any(isinstance(node, etree._Entity) for node in root.iter()):
        raise InputError("XML with entity references is refused", where=where)
    return root


def _declares_dtd(data: bytes) -> bool:
    if any(marker in data for marker in _DECLARATIONS):
        return True
    head = data[:2]
    if head in (b"\xff\xfe", b"\xfe\xff") or b"\x00<" in data[:4] or b"<\x00" in data[:4]:
        for encoding in _ENCODINGS:
            for marker in _DECLARATIONS:
                if marker.decode().encode(encoding) in data:
                    return True
    return False
