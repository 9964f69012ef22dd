"""Hostile XML is refused before anything is mapped: DTDs, entity declarations (billion
laughs), external entities (file:///etc/passwd, http), oversized documents. The error names
the file, never the content."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinvault.errors import InputError
from clinvault.interop.ccda import convert_bytes, convert_file
from clinvault.interop.ccda.secure_xml import parse_xml
from tests.interop.ccda.ccda_samples import minimal_ccd

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&lol9;</title></ClinicalDocument>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE ClinicalDocument [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&xxe;</title></ClinicalDocument>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE ClinicalDocument SYSTEM "http://127.0.0.1:9/cda.dtd">
<ClinicalDocument xmlns="urn:hl7-org:v3"/>
"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [ <!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote; ]>
<ClinicalDocument xmlns="urn:hl7-org:v3"/>
"""


@pytest.mark.parametrize(
    "payload",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY],
    ids=["billion-laughs", "external-entity-file", "external-dtd", "parameter-entity"],
)
def test_dtd_and_entities_are_refused_naming_the_file(payload: bytes) -> None:
    with pytest.raises(InputError) as caught:
        convert_bytes(payload, "upload/evil.xml")
    message = str(caught.value)
    assert message.startswith("upload/evil.xml: ")
    assert "DOCTYPE" in message
    for leaked in ("root:", "lol", "passwd"):
        assert leaked not in message


def test_utf16_doctype_is_refused() -> None:
    payload = EXTERNAL_ENTITY.decode().replace(
        'version="1.0"?>', 'version="1.0" encoding="UTF-16"?>'
    )
    with pytest.raises(InputError, match="DOCTYPE"):
        parse_xml(payload.encode("utf-16"), "u16.xml")


def test_the_hardened_parser_alone_does_not_expand_or_fetch(tmp_path: Path) -> None:
    """Defence in depth: even past the byte check, the parser neither reads a local file
    nor expands entities."""
    from lxml import etree

    from clinvault.interop.ccda.secure_xml import secure_parser

    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-CONTENT")
    xxe = EXTERNAL_ENTITY.replace(b"file:///etc/passwd", secret.as_uri().encode())
    root = etree.fromstring(xxe, parser=secure_parser())
    assert "TOPSECRET" not in "".join(str(t) for t in root.itertext())
    # libxml2's amplification limit refuses it outright; nothing is expanded
    with pytest.raises(etree.XMLSyntaxError, match="amplification"):
        etree.fromstring(BILLION_LAUGHS, parser=secure_parser())


def test_malformed_xml_names_the_line_not_the_content() -> None:
    with pytest.raises(InputError) as caught:
        convert_bytes(
            b"<ClinicalDocument xmlns='urn:hl7-org:v3'>\n<name>Jane Secret</nam>", "a.xml"
        )
    assert str(caught.value) == "a.xml: malformed XML at line 2"


def test_oversized_documents_are_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    import clinvault.interop.ccda.secure_xml as secure

    monkeypatch.setattr(secure, "MAX_DOCUMENT_BYTES", 100)
    with pytest.raises(InputError, match="larger than 100 bytes"):
        convert_bytes(minimal_ccd(), "big.xml")


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read file"):
        convert_file(tmp_path / "absent.xml")
