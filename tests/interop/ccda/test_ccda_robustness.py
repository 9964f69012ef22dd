"""Damaged documents: any attribute value replaced by junk, any element dropped. The
converter either refuses the file with an ``InputError`` or returns a Bundle whose every
resource passes R4B validation; it never raises anything else."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from clinvault.errors import InputError
from clinvault.interop.ccda import convert_bytes
from tests.interop.ccda.ccda_samples import minimal_ccd

ROOT = etree.fromstring(minimal_ccd())
ELEMENTS = [e for e in ROOT.iter() if isinstance(e.tag, str)]
ATTRIBUTES = [(i, name) for i, e in enumerate(ELEMENTS) for name in e.attrib]
JUNK = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "NaN", "inf", "-1e999", "99999999", "20241301", "2024022930",
                     "1e400", "abc", "#missing", "0", "UNK", "urn:oid:", " "]),
)  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(st.tuples(st.sampled_from(ATTRIBUTES), JUNK), max_size=6),
    drops=st.lists(st.integers(min_value=1, max_value=len(ELEMENTS) - 1), max_size=3),
)
def test_damaged_documents_convert_validly_or_are_refused(
    edits: list[tuple[tuple[int, str], str]], drops: list[int]
) -> None:
    root = etree.fromstring(minimal_ccd())
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    for (index, name), value in edits:
        clean = "".join(ch for ch in value if ch.isprintable())
        elements[index].set(name, clean)
    for index in sorted(set(drops), reverse=True):
        node = elements[index]
        parent = node.getparent()
        if parent is not None:
            parent.remove(node)
    data = etree.tostring(root)
    try:
        conversion = convert_bytes(data, "damaged.xml")
    except InputError:
        return
    assert conversion.problems == []
