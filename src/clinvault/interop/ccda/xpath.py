"""The CDA namespaces and small typed XPath helpers."""

from __future__ import annotations

from lxml import etree

NS = {
    "v": "urn:hl7-org:v3",
    "sdtc": "urn:hl7-org:sdtc",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
V3 = "{urn:hl7-org:v3}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def all_of(element: etree._Element, path: str) -> list[etree._Element]:
    found = element.xpath(path, namespaces=NS)
    if not isinstance(found, list):
        return []
    return [node for node in found if isinstance(node, etree._Element)]


def first(element: etree._Element, path: str) -> etree._Element | None:
    found = all_of(element, path)
    return found[0] if found else None


def attr(element: etree._Element | None, name: str) -> str | None:
    if element is None:
        return None
    value = element.get(name)
    return value.strip() if value is not None and value.strip() else None


def text_of(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = " ".join(all_text(element).split())
    return text or None


def all_text(element: etree._Element) -> str:
    """Every text node under ``element``, in document order."""
    return "".join(str(part) for part in element.itertext())


def own_text(element: etree._Element) -> str:
    """The text nodes directly in ``element`` (XPath ``text()``), not its children's."""
    return (element.text or "") + "".join(child.tail or "" for child in element)


def template_ids(element: etree._Element) -> frozenset[str]:
    return frozenset(
        root for node in all_of(element, "v:templateId") if (root := attr(node, "root"))
    )


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname
