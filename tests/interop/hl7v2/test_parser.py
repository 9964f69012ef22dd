"""The tolerant HL7 v2 reader: separators, segment endings, escapes, batches, errors."""

from __future__ import annotations

import pytest

from clinvault.interop.hl7v2 import Hl7ParseError, looks_like_hl7, parse_batch, parse_message
from clinvault.interop.hl7v2.message import Encoding

ADT = (
    "MSH|^~\\&|APP|FAC|RCV|RFAC|20240101120000||ADT^A01^ADT_A01|CTRL1|P|2.5\r"
    "PID|1||12345^^^HOSP^MR~999-88-7777^^^SSA^SS||DOE^JANE^Q||19800101|F\r"
    "ZPI|custom|data\r"
    "PV1|1|I|W1^101^A\r"
)


@pytest.mark.parametrize("ending", ["\r", "\n", "\r\n"])
def test_segment_endings_give_the_same_message(ending: str) -> None:
    message = parse_message(ADT.replace("\r", ending))
    assert [s.name for s in message] == ["MSH", "PID", "ZPI", "PV1"]
    assert message.one("PID").get(5, 2) == "JANE"  # type: ignore[union-attr]
    assert not message.warnings


def test_header_fields_use_hl7_numbering() -> None:
    message = parse_message(ADT)
    assert message.msh.get(1) == "|"
    assert message.msh.get(2) == "^~\\&"
    assert (message.message_code, message.trigger_event, message.structure) == (
        "ADT",
        "A01",
        "ADT_A01",
    )
    assert (message.control_id, message.version, message.sending_facility) == (
        "CTRL1",
        "2.5",
        "FAC",
    )


def test_custom_encoding_characters_from_msh2() -> None:
    custom = ADT.replace("|", "#").replace("^", "$").replace("~", "*").replace("&", "%")
    custom = custom.replace("MSH#$*\\%", "MSH#$*\\%")
    message = parse_message(custom)
    assert message.encoding == Encoding("#", "$", "*", "\\", "%")
    pid = message.one("PID")
    assert pid is not None
    assert [r.get(1) for r in pid.repetitions(3)] == ["12345", "999-88-7777"]
    assert pid.get(3, 4, rep=2) == "SSA"
    assert pid.get(5, 1) == "DOE"


def test_escape_sequences() -> None:
    enc = Encoding()
    assert enc.unescape(r"A\F\B\S\C\T\D\R\E\E\F") == "A|B^C&D~E\\F"
    assert enc.unescape(r"caf\XC3A9\ ok") == "café ok"
    assert enc.unescape(r"line1\.br\line2") == "line1\nline2"
    assert enc.unescape(r"\H\bold\N\ text") == "bold text"
    assert enc.unescape(r"unterminated \F") == r"unterminated \F"


def test_escapes_are_resolved_after_splitting() -> None:
    message = parse_message(ADT.replace("DOE^JANE^Q", r"O\S\BRIEN^ANN\T\MARY"))
    pid = message.one("PID")
    assert pid is not None
    assert pid.get(5, 1) == "O^BRIEN"
    assert pid.get(5, 2) == "ANN&MARY"


def test_repetitions_and_explicit_null() -> None:
    message = parse_message(ADT.replace("|F\r", '|""\r'))
    pid = message.one("PID")
    assert pid is not None
    assert len(pid.repetitions(3)) == 2
    assert pid.get(8) == ""
    assert pid.repetitions(8) == []


def test_z_segments_are_kept() -> None:
    message = parse_message(ADT)
    zpi = message.one("ZPI")
    assert zpi is not None
    assert zpi.get(1) == "custom"


def test_a_continuation_line_joins_the_previous_segment_with_a_warning() -> None:
    text = ADT + "OBX|1|TX|NOTE||first line\nsecond line||||||F\r"
    message = parse_message(text)
    obx = message.all("OBX")
    assert len(obx) == 1
    assert obx[0].get(5) == "first line\nsecond line"
    assert message.warnings


def test_fhs_bhs_batch_holds_several_messages() -> None:
    second = ADT.replace("CTRL1", "CTRL2")
    batch_text = "FHS|^~\\&|APP\rBHS|^~\\&|APP\r" + ADT + second + "BTS|2\rFTS|1\r"
    batch = parse_batch(batch_text, "batch.hl7")
    assert batch.batch_header
    assert [m.control_id for m in batch.messages] == ["CTRL1", "CTRL2"]
    assert [m.where for m in batch.messages] == ["batch.hl7#message[0]", "batch.hl7#message[1]"]
    assert not batch.errors


def test_one_bad_message_in_a_batch_does_not_stop_the_others() -> None:
    broken = ADT.replace("|CTRL1|", "||")
    batch = parse_batch(broken + ADT.replace("CTRL1", "CTRL2"), "b.hl7")
    assert [m.control_id for m in batch.messages] == ["CTRL2"]
    assert len(batch.errors) == 1
    error = batch.errors[0]
    assert (error.segment, error.field, error.code) == ("MSH", 10, "101")
    assert error.where == "b.hl7#message[0]"


def test_byte_order_mark_and_latin1_bytes() -> None:
    data = b"\xef\xbb\xbf" + ADT.encode("utf-8")
    assert parse_message(data).control_id == "CTRL1"
    latin = ADT.replace("JANE", "J\xc9R\xd4ME").encode("latin-1")
    pid = parse_message(latin).one("PID")
    assert pid is not None
    assert pid.get(5, 2) == "JÉRÔME"


@pytest.mark.parametrize(
    ("text", "segment", "field"),
    [
        ("PID|1||x\r", "MSH", 0),
        ("MSH|^~\r", "MSH", 1),
        ("MSH|^^\\&|A|B|C|D|2024||ADT^A01|1|P|2.5\r", "MSH", 2),
        ("MSH|^~\\&|A|B|C|D|2024|||1|P|2.5\r", "MSH", 9),
        ("MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5\rpid|1\r", "pid", 0),
    ],
)
def test_unreadable_messages_get_a_clear_error_without_values(
    text: str, segment: str, field: int
) -> None:
    with pytest.raises(Hl7ParseError) as caught:
        parse_message(text, "feed.hl7")
    assert caught.value.segment == segment
    assert caught.value.field == field
    assert str(caught.value).startswith("feed.hl7")


def test_sniffing() -> None:
    assert looks_like_hl7(ADT.encode())
    assert looks_like_hl7(b"\xef\xbb\xbfFHS|^~\\&|x")
    assert not looks_like_hl7(b'{"resourceType": "Patient"}')
    assert not looks_like_hl7(b"MSHX is not a segment")
