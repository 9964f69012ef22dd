"""iter_sources: Bundles, NDJSON, single resources, folders and every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clinvault.errors import UnusableInputError
from clinvault.fhir.sources import (
    BadInput,
    SkippedEntry,
    SkippedFile,
    SourceItem,
    SourceResource,
    iter_sources,
)

PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female"}


def observation(number: int, subject: str = "Patient/p1") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"o{number}",
        "status": "final",
        "code": {"text": "x"},
        "subject": {"reference": subject},
    }


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def write_ndjson(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read(*paths: Path) -> list[SourceItem]:
    return list(iter_sources(list(paths)))


def test_single_resource_file(tmp_path: Path) -> None:
    path = write_json(tmp_path / "patient.json", PATIENT)
    assert read(path) == [SourceResource(PATIENT, str(path), None, None)]


def test_bundle_entries_carry_full_url_and_bundle(tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:1111", "resource": PATIENT},
            {"fullUrl": "http://x.org/fhir/Observation/o1", "resource": observation(1)},
        ],
    }
    path = write_json(tmp_path / "b.json", bundle)
    items = read(path)
    assert items == [
        SourceResource(PATIENT, f"{path}#entry[0]", "urn:uuid:1111", str(path)),
        SourceResource(
            observation(1), f"{path}#entry[1]", "http://x.org/fhir/Observation/o1", str(path)
        ),
    ]


def test_ndjson_lines_are_located_by_one_based_line_number(tmp_path: Path) -> None:
    path = write_ndjson(
        tmp_path / "Observation.000.ndjson", [json.dumps(observation(i)) for i in range(3)]
    )
    items = read(path)
    assert [i.where for i in items if isinstance(i, SourceResource)] == [
        f"{path}:1",
        f"{path}:2",
        f"{path}:3",
    ]


def test_malformed_ndjson_line_is_reported_with_its_line_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    path = write_ndjson(
        tmp_path / "Observation.000.ndjson",
        [
            json.dumps(observation(1)),
            '{"resourceType": "Observation", "id": ',
            "",
            json.dumps(observation(4)),
        ],
    )
    items = read(path)
    bad = [i for i in items if isinstance(i, BadInput)]
    assert len(bad) == 1
    assert bad[0].where == f"{path}:2"
    assert "malformed JSON" in bad[0].message
    assert [i.where for i in items if isinstance(i, SourceResource)] == [f"{path}:1", f"{path}:4"]


def test_malformed_json_file_names_line_and_column_not_content(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"resourceType": "Patient",\n "name": "Jane Planted" ', encoding="utf-8")
    [item] = read(path)
    assert isinstance(item, BadInput)
    assert item.where == str(path)
    assert "line 2" in item.message
    assert "Planted" not in item.message


@pytest.mark.parametrize("content", ["", "   \n", "\n\n"])
def test_empty_files_are_bad_input(tmp_path: Path, content: str) -> None:
    for name in ("empty.json", "Empty.000.ndjson"):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        assert read(path) == [BadInput(str(path), "file is empty")]


def test_files_that_are_not_fhir_are_skipped(tmp_path: Path) -> None:
    log = write_ndjson(tmp_path / "log.ndjson", ['{"exportId": "e1", "eventId": "kickoff"}'])
    package = write_json(tmp_path / "package.json", {"name": "hl7.fhir.r4.examples"})
    readme = tmp_path / "README.md"
    readme.write_text("# data", encoding="utf-8")
    truth = write_ndjson(tmp_path / "truth.jsonl", ['{"question": "q", "answer": "a"}'])
    items = read(log, package, readme, truth)
    assert [type(i) for i in items] == [SkippedFile] * 4
    assert [i.path for i in items if isinstance(i, SkippedFile)] == [log, package, readme, truth]


def test_unknown_resource_type_is_bad_input(tmp_path: Path) -> None:
    path = write_json(tmp_path / "x.json", {"resourceType": "Observaton", "id": "1"})
    r5_only = write_json(tmp_path / "y.json", {"resourceType": "ActorDefinition", "id": "1"})
    items = read(path, r5_only)
    assert items == [
        BadInput(str(path), "resourceType is not a FHIR R4 resource type"),
        BadInput(str(r5_only), "resourceType is not a FHIR R4 resource type"),
    ]


def test_bundle_entry_without_resource(tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:1"},
            {"request": {"method": "DELETE", "url": "Patient/p9"}},
            {"request": {"method": "GET", "url": "Patient?name=x"}},
            {"resource": {"id": "no-type"}},
            {"resource": PATIENT},
        ],
    }
    path = write_json(tmp_path / "b.json", bundle)
    items = read(path)
    assert items[0] == BadInput(f"{path}#entry[0]", "Bundle entry has no resource")
    assert isinstance(items[1], BadInput)
    assert "DELETE" in items[1].message
    assert isinstance(items[2], SkippedEntry)
    assert items[2].where == f"{path}#entry[2]"
    assert items[3] == BadInput(f"{path}#entry[3]", "Bundle entry resource has no resourceType")
    assert isinstance(items[4], SourceResource)


def test_bundle_inside_ndjson_line_and_nested_bundle(tmp_path: Path) -> None:
    inner = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": PATIENT}]}
    outer = {"resourceType": "Bundle", "type": "batch-response", "entry": [{"resource": inner}]}
    path = write_ndjson(tmp_path / "Bundle.ndjson", [json.dumps(outer)])
    [item] = read(path)
    assert isinstance(item, SourceResource)
    assert item.where == f"{path}:1#entry[0]#entry[0]"
    assert item.bundle == f"{path}:1#entry[0]"


def test_folder_is_walked_recursively_in_sorted_order_once(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "a").mkdir()
    write_json(tmp_path / "b" / "z.json", observation(3))
    write_ndjson(tmp_path / "a" / "Patient.ndjson", [json.dumps(PATIENT)])
    write_json(tmp_path / "a" / "obs.json", observation(1))
    (tmp_path / "a" / "notes.txt").write_text("not input", encoding="utf-8")
    items = read(tmp_path, tmp_path / "a" / "obs.json")
    assert [i.where for i in items if isinstance(i, SourceResource)] == [
        str(tmp_path / "a" / "Patient.ndjson") + ":1",
        str(tmp_path / "a" / "obs.json"),
        str(tmp_path / "b" / "z.json"),
    ]


def test_missing_path_is_unusable_before_anything_is_read(tmp_path: Path) -> None:
    good = write_json(tmp_path / "p.json", PATIENT)
    with pytest.raises(UnusableInputError) as caught:
        iter_sources([good, tmp_path / "missing"])
    assert caught.value.where == str(tmp_path / "missing")


def test_non_utf8_file_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "latin.json"
    path.write_bytes(b'{"resourceType": "Patient", "id": "\xe9"}')
    [item] = read(path)
    assert item == BadInput(str(path), "cannot read file (UnicodeDecodeError)")


def test_ndjson_is_streamed_line_by_line(tmp_path: Path) -> None:
    path = write_ndjson(
        tmp_path / "Observation.ndjson", [json.dumps(observation(i)) for i in range(3)]
    )
    stream = iter_sources([path])
    first = next(stream)
    assert isinstance(first, SourceResource)
    assert first.where.endswith(":1")
    with path.open("a", encoding="utf-8") as more:  # not yet read: proves the file is not preloaded
        more.write(json.dumps(observation(3)) + "\n")
    assert [i.where for i in stream] == [f"{path}:2", f"{path}:3", f"{path}:4"]
