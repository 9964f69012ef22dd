"""Every HL7 v2 sample in ../shared/data ingests, and none of the names, addresses, phones,
SSNs, MRNs or birth dates written in its PID and NK1 segments reaches the index or any byte
under CLINVAULT_HOME (the vault seals them; only tokens and shifted dates are indexed).

The expected PHI is read with this file's own splitter (``|``, ``^``, ``&``, ``~`` from
MSH), not with the mapper under test. Values a string search cannot judge are left out, as
the FHIR leak test does: under 3 characters, numbers under 5 digits, and single words or
codes that are clinical vocabulary written in the same messages' coded fields (a test
patient named "Patient" whose note says "Patient admitted"; a test MRN "12345" that another
message uses as an OBX code).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from clinvault.interop.hl7v2 import Converter
from clinvault.settings import Settings
from tests.ingest.conftest import home_files_contain
from tests.leak_seed import seeded_runtime

FOLDERS = (
    "hl7v2/microsoft-fhir-converter/input",
    "hl7v2/linuxforhealth-hl7v2-fhir-converter",
    "hl7v2/python-hl7_samples_extracted",
)
PHI_FIELDS = {
    # segment: {field: kind}  (HL7 numbering; PID-3 etc. identifiers, 5 names, 7 birth date ...)
    "PID": {2: "id", 3: "id", 4: "id", 5: "name", 7: "birth", 9: "name", 11: "address", 13: "phone", 14: "phone", 19: "id"},
    "NK1": {2: "name", 4: "address", 5: "phone", 6: "phone", 30: "name", 31: "phone", 32: "address"},
}  # fmt: skip
ESCAPES = {"\\F\\": "|", "\\S\\": "^", "\\T\\": "&", "\\R\\": "~", "\\E\\": "\\"}


def _unescape(text: str) -> str:
    for code, char in ESCAPES.items():
        text = text.replace(code, char)
    return text


def _messages(data: str) -> list[list[str]]:
    lines = [line for line in re.split(r"\r\n|\r|\n", data.lstrip("\ufeff")) if line.strip()]
    messages: list[list[str]] = []
    for line in lines:
        if line.startswith("MSH"):
            messages.append([line])
        elif messages:
            messages[-1].append(line)
    return messages


def _values(field: str, kind: str, comp: str, rep: str, sub: str) -> list[str]:
    found: list[str] = []
    for repetition in field.split(rep):
        parts = repetition.split(comp)
        if kind == "id":
            found.append(parts[0])
        elif kind == "name":
            found += [parts[0].split(sub)[0], *(parts[1:3])]
        elif kind == "address":
            street = " ".join(p for p in parts[0].split(sub) if p)
            found += [
                street,
                parts[1] if len(parts) > 1 else "",
                parts[2] if len(parts) > 2 else "",
            ]
            found.append(parts[4] if len(parts) > 4 else "")
        elif kind == "phone":
            found.append(parts[0])
            if len(parts) > 3:
                found.append(parts[3])  # email
            if len(parts) > 6 and parts[6]:
                found.append(parts[6])  # local number
        elif kind == "birth":
            digits = parts[0][:8]
            if (
                re.fullmatch(r"\d{8}", digits)
                and 1 <= int(digits[4:6]) <= 12
                and 1 <= int(digits[6:8]) <= 31
            ):
                found.append(f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}")
    return [_unescape(v).strip() for v in found if v and v.strip() and v != '""']


def expected_phi(data: str) -> tuple[set[str], set[str]]:
    """(PHI values of PID/NK1, lower-case words of coded fields elsewhere) of one file."""
    values: set[str] = set()
    vocabulary: set[str] = set()
    for message in _messages(data):
        sep = message[0][3]
        comp, rep, _esc, sub = message[0][4:8]
        for line in message:
            fields = line.split(sep)
            name = fields[0]
            if name in PHI_FIELDS:
                for number, kind in PHI_FIELDS[name].items():
                    if number < len(fields):
                        values.update(_values(fields[number], kind, comp, rep, sub))
            elif name != "MSH":
                for field in fields[1:]:
                    for part in field.split(rep):
                        texts = part.split(comp)[1:2] + ([part] if comp not in part else [])
                        if comp in part:
                            vocabulary.add(part.split(comp)[0].lower())  # a code
                        for text in texts:
                            vocabulary.update(re.findall(r"[a-z]+", text.lower()))
    return values, vocabulary


def _needles(values: set[str], vocabulary: set[str]) -> list[str]:
    kept = []
    for value in values:
        if len(value) < 3 or (value.isdigit() and len(value) < 5):
            continue
        if " " not in value and value.lower() in vocabulary:  # a word or code of coded fields
            continue
        kept.append(value)
    return sorted(kept)


@pytest.fixture
def fast(settings: Settings) -> Settings:
    embedder = settings.index.embedder.model_copy(update={"backend": "hashing"})
    return settings.model_copy(
        update={"index": settings.index.model_copy(update={"embedder": embedder})}
    )


def test_every_hl7_sample_ingests_without_leaking(shared_data: Path, fast: Settings) -> None:
    folders = [shared_data / f for f in FOLDERS]
    values: set[str] = set()
    vocabulary: set[str] = set()
    for folder in folders:
        for path in sorted(folder.glob("*.hl7")):
            found, words = expected_phi(path.read_bytes().decode("utf-8", "replace"))
            values |= found
            vocabulary |= words
    needles = _needles(values, vocabulary)
    assert len(needles) > 200
    # positive control: the needles are what the converted FHIR carries before the vault
    converter = Converter()
    raw = "\n".join(
        json.dumps(c.bundle, ensure_ascii=False)
        for folder in folders
        for path in sorted(folder.glob("*.hl7"))
        for c in converter.convert_text(path.read_bytes(), path.name).conversions
    )
    present = [n for n in needles if n.lower() in raw.lower()]
    # (205 needles, 187 present: the rest are in messages of unmapped types, BAR, DFT, ORM
    # ..., which are rejected whole and stored nowhere)
    assert len(present) / len(needles) > 0.8, len(present)
    with seeded_runtime(fast) as runtime:  # birth dates are searched in every chunk
        report = runtime.ingest_pipeline().run(folders)
        chunks = list(runtime.index.scroll())
    assert report.resources_stored > 400
    assert report.chunks_refused == 0
    assert [p for p in report.rejected if "not mapped" not in p.message] == []
    dump = "\n".join(json.dumps(c.payload(), ensure_ascii=False) for c in chunks)
    leaked = [
        n
        for n in needles
        if re.search(r"(?<![\w])" + re.escape(n) + r"(?![\w])", dump, re.IGNORECASE)
    ]
    assert leaked == [], f"{len(leaked)} PHI value(s) in the index: {leaked[:20]}"
    assert home_files_contain(fast.home, needles, fast.master_key_file) == []
