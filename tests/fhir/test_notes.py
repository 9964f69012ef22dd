"""note_texts and split_passages."""

from __future__ import annotations

import base64
import itertools
from typing import Any

import pytest

from clinvault.errors import InputError
from clinvault.fhir.notes import NoteText, html_to_text, note_texts, split_passages


def b64(text: str, encoding: str = "utf-8") -> str:
    return base64.b64encode(text.encode(encoding)).decode("ascii")


def document(*attachments: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "content": [{"attachment": a} for a in attachments],
    }


def test_document_reference_text_and_html_attachments() -> None:
    resource = document(
        {"contentType": "text/plain; charset=utf-8", "data": b64("Chief complaint: cough.\n")},
        {
            "contentType": "text/html",
            "data": b64("<p>Plan:&nbsp;rest &amp; fluids</p><p>Follow up</p>"),
        },
        {"contentType": "text/plain", "url": "http://example.org/note.txt"},
        {"contentType": "application/pdf", "data": b64("%PDF-1.4 binary")},
        {"contentType": "text/plain; charset=latin-1", "data": b64("café", "latin-1")},
    )
    assert note_texts(resource) == [
        NoteText("Chief complaint: cough.", "content[0].attachment"),
        NoteText("Plan:\xa0rest & fluids\n\nFollow up", "content[1].attachment"),
        NoteText("café", "content[4].attachment"),
    ]


def test_non_text_attachment_is_not_decoded() -> None:
    # Invalid base64 would raise if decoded: skipping must not touch it.
    resource = document({"contentType": "image/jpeg", "data": "!!!! not base64 !!!!" * 1000})
    assert note_texts(resource) == []


def test_untyped_attachment_is_read_only_if_it_looks_like_text() -> None:
    text_doc = document({"data": b64("Untyped note text.")})
    binary_doc = document({"data": base64.b64encode(bytes(range(256)) * 10).decode()})
    assert note_texts(text_doc) == [NoteText("Untyped note text.", "content[0].attachment")]
    assert note_texts(binary_doc) == []


@pytest.mark.parametrize(
    ("attachment", "message"),
    [
        ({"contentType": "text/plain", "data": "@@@@"}, "not valid base64"),
        (
            {"contentType": "text/plain; charset=no-such-charset", "data": b64("x")},
            "charset is unknown",
        ),
        (
            {"contentType": "text/plain", "data": b64("caf\xe9", "latin-1")},
            "do not match its charset",
        ),
    ],
)
def test_undecodable_text_attachment_raises_naming_the_element(
    attachment: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message) as caught:
        note_texts(document(attachment))
    assert caught.value.where == "content[0].attachment"


def test_diagnostic_report_observation_annotations_and_narrative() -> None:
    report = {
        "resourceType": "DiagnosticReport",
        "presentedForm": [{"contentType": "text/plain", "data": b64("Report body")}],
        "conclusion": "No acute findings",
        "note": [{"text": "Reviewed"}],
        "text": {"status": "additional", "div": "<div xmlns='http://www.w3.org/1999/xhtml'><b>Scan</b> &lt;ok&gt;</div>"},
    }  # fmt: skip
    assert note_texts(report) == [
        NoteText("Report body", "presentedForm[0]"),
        NoteText("No acute findings", "conclusion"),
        NoteText("Reviewed", "note[0]"),
        NoteText("Scan <ok>", "text.div"),
    ]
    observation = {"resourceType": "Observation", "valueString": "  patient  reports pain  "}
    assert note_texts(observation) == [NoteText("patient reports pain", "valueString")]


def test_generated_narrative_is_skipped_unless_asked() -> None:
    condition = {
        "resourceType": "Condition",
        "text": {"status": "generated", "div": "<div>Asthma</div>"},
    }
    assert note_texts(condition) == []
    assert note_texts(condition, include_generated_narrative=True) == [
        NoteText("Asthma", "text.div")
    ]


def test_html_to_text_drops_scripts_and_keeps_blocks() -> None:
    assert (
        html_to_text("<div><script>x()</script><p>A</p><ul><li>b</li><li>c</li></ul></div>")
        == "A\n\nb\n\nc"
    )


def test_split_passages_respects_limits_and_boundaries() -> None:
    sentences = [f"Sentence number {i} is about the patient's care plan." for i in range(60)]
    text = " ".join(sentences[:30]) + "\n\n" + " ".join(sentences[30:])
    passages = split_passages(text, max_chars=300, overlap=60)
    assert all(len(p) <= 300 for p in passages)
    assert all(p.endswith(".") and p[0].isupper() for p in passages)  # cut on sentence boundaries
    for before, after in itertools.pairwise(passages):
        assert after.split(".")[0] + "." in before  # each passage repeats the previous tail
    joined = " ".join(passages)
    assert all(s in joined for s in sentences)


def test_split_passages_short_text_and_very_long_sentence() -> None:
    assert split_passages("Short note.") == ["Short note."]
    assert split_passages("  \n ") == []
    words = " ".join(["word"] * 500)
    pieces = split_passages(words, max_chars=200, overlap=0)
    assert all(len(p) <= 200 for p in pieces)
    assert " ".join(pieces) == words
    with pytest.raises(ValueError, match="max_chars"):
        split_passages("x", max_chars=100, overlap=100)
