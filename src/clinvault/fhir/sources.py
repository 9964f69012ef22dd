"""Reading FHIR R4 input: Bundle files, bulk-export NDJSON and single-resource files.

``iter_sources(paths)`` turns files and folders into a stream of items, one per
resource or problem, in a deterministic order (folders are walked recursively,
``*.json`` and ``*.ndjson`` files in sorted order; other files in a folder are
not FHIR input and are passed over without a notice). Each item is one of:

- ``SourceResource``: a resource to validate and ingest, with where it came from;
- ``SkippedFile``: a file that is not FHIR at all (no ``resourceType``: a
  bulk-export ``log.ndjson``, a ``package.json``, a README given by name). A
  notice, not an error;
- ``SkippedEntry``: a Bundle entry that is only a read request (``GET``/``HEAD``
  in a batch or transaction) and carries no data. A notice, not an error;
- ``BadInput``: malformed JSON (file or NDJSON line), an empty file, a Bundle
  entry without a resource, a ``resourceType`` that is not FHIR R4, an
  unreadable file. The rest of the input goes on.

``where`` locates an item without quoting its content: ``a.json``,
``a.json#entry[12]``, ``Observation.000.ndjson:17`` (1-based line) and, for a
Bundle inside an NDJSON line, ``b.ndjson:3#entry[0]``. It is built from the path
as given (plus the relative path below a folder): file names are the caller's
own and are used as they are.

Which reader a file gets is declared in ``FORMATS``, one entry per format (FHIR JSON,
FHIR NDJSON, and the legacy formats translated at the edge: C-CDA, HL7 v2), by suffix.
A legacy format's converter (``module:function``, imported only when such a file is read)
takes the path and yields ``(where, Bundle)`` pairs, or an ``InputError`` for a part it
could not convert (the rest goes on); it raises ``InputError`` when the whole file is
unusable and ``NotThisFormat`` when the file is not of its format at all (an ``.xml`` that
is not a C-CDA document: skipped with a notice).

A path that does not exist makes the whole input unusable: ``iter_sources``
raises ``UnusableInputError`` when called, before anything is yielded.
NDJSON is read one line at a time; a JSON file is parsed as a whole.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinvault.errors import InputError, UnusableInputError
from clinvault.fhir.resource_types import is_r4_resource_type

NDJSON_SUFFIXES = (".ndjson", ".jsonl")
JSON_SUFFIXES = (".json",)
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class SourceResource:
    resource: dict[str, Any]
    where: str
    full_url: str | None = None
    """``Bundle.entry.fullUrl`` (``urn:uuid:...`` or absolute URL); ``None`` outside a Bundle."""
    bundle: str | None = None
    """``where`` of the enclosing Bundle: the scope in which ``full_url`` references resolve."""


@dataclass(frozen=True, slots=True)
class SkippedFile:
    path: Path
    reason: str


@dataclass(frozen=True, slots=True)
class SkippedEntry:
    where: str
    reason: str


@dataclass(frozen=True, slots=True)
class BadInput:
    where: str
    message: str


SourceItem = SourceResource | SkippedFile | SkippedEntry | BadInput


Reader = Callable[[Path], Iterable[tuple[str, dict[str, Any]] | InputError]]
"""A legacy format's converter: a file -> ``(where, Bundle)`` pairs or ``InputError`` parts."""


class NotThisFormat(InputError):
    """A converter's answer for a file with its suffix that is not of its format."""


@dataclass(frozen=True, slots=True)
class InputFormat:
    name: str
    suffixes: tuple[str, ...]
    """Files with these suffixes are read by this format."""
    walked: tuple[str, ...]
    """Suffixes picked up when a folder is walked (``.jsonl`` only when named)."""
    converter: str | None = None
    """``module:function`` of a legacy format's converter; ``None`` for FHIR itself."""


def iter_sources(
    paths: Sequence[Path], *, readers: Mapping[str, Reader] | None = None
) -> Iterator[SourceItem]:
    """Every item of every file under ``paths``; raises ``UnusableInputError`` at once
    if a path does not exist. Files reached twice (a folder and a file in it) are read once.
    ``readers`` (format name -> reader) replaces a legacy format's default converter, e.g.
    one configured from settings."""
    files = _input_files(paths)
    return _iter_files(files, readers or {})


def _input_files(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        if not path.exists():
            raise UnusableInputError("input path does not exist", where=str(path))
        found = _walk(path) if path.is_dir() else [path]
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                files.append(file)
    return files


def _walked_suffixes() -> frozenset[str]:
    return frozenset(suffix for form in FORMATS for suffix in form.walked)


def _walk(folder: Path) -> list[Path]:
    walked = _walked_suffixes()
    found = (p for p in folder.rglob("*") if p.suffix.lower() in walked and p.is_file())
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


def _iter_files(files: list[Path], readers: Mapping[str, Reader]) -> Iterator[SourceItem]:
    for file in files:
        suffix = file.suffix.lower()
        form = next((f for f in FORMATS if suffix in f.suffixes), None)
        if form is None:
            yield SkippedFile(file, f"not an input file type ({suffix or 'no suffix'})")
        elif form.converter is not None:
            yield from _read_converted(file, readers.get(form.name) or _reader(form.converter))
        elif suffix in NDJSON_SUFFIXES:
            yield from _read_ndjson(file)
        else:
            yield from _read_json(file)


def _reader(converter: str) -> Reader:
    module, _, name = converter.partition(":")
    reader: Reader = getattr(importlib.import_module(module), name)
    return reader


def _read_converted(file: Path, convert: Reader) -> Iterator[SourceItem]:
    try:
        for part in convert(file):
            if isinstance(part, InputError):
                yield BadInput(part.where or str(file), _message(part))
            else:
                yield from _resource_items(part[1], part[0], full_url=None, bundle=None)
    except NotThisFormat as exc:
        yield SkippedFile(file, _message(exc))
    except InputError as exc:
        yield BadInput(exc.where or str(file), _message(exc))


def _message(exc: InputError) -> str:
    return str(exc).removeprefix(f"{exc.where}: ") if exc.where else str(exc)


def _read_json(file: Path) -> Iterator[SourceItem]:
    where = str(file)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        yield BadInput(where, f"cannot read file ({type(exc).__name__})")
        return
    if not text.strip():
        yield BadInput(where, "file is empty")
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield BadInput(where, _json_error(exc))
        return
    if not isinstance(data, dict) or "resourceType" not in data:
        yield SkippedFile(file, "not FHIR: no resourceType")
        return
    yield from _resource_items(data, where, full_url=None, bundle=None)


def _read_ndjson(file: Path) -> Iterator[SourceItem]:
    name = str(file)
    saw_content = False
    try:
        with file.open(encoding="utf-8-sig") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                where = f"{name}:{number}"
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    saw_content = True
                    yield BadInput(where, _json_error(exc, with_line=False))
                    continue
                if not isinstance(data, dict) or "resourceType" not in data:
                    if not saw_content:
                        yield SkippedFile(file, "not FHIR: first record has no resourceType")
                        return
                    yield BadInput(where, "record has no resourceType")
                    continue
                saw_content = True
                yield from _resource_items(data, where, full_url=None, bundle=None)
    except (OSError, UnicodeDecodeError) as exc:
        yield BadInput(name, f"cannot read file ({type(exc).__name__})")
        return
    if not saw_content:
        yield BadInput(name, "file is empty")


def _resource_items(
    data: dict[str, Any], where: str, *, full_url: str | None, bundle: str | None
) -> Iterator[SourceItem]:
    resource_type = data.get("resourceType")
    if not is_r4_resource_type(resource_type):
        yield BadInput(where, "resourceType is not a FHIR R4 resource type")
        return
    if resource_type == "Bundle":
        yield from _bundle_items(data, where)
        return
    yield SourceResource(data, where, full_url, bundle)


def _bundle_items(bundle: dict[str, Any], where: str) -> Iterator[SourceItem]:
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        yield BadInput(where, "Bundle.entry is not a list")
        return
    for position, entry in enumerate(entries):
        entry_where = f"{where}#entry[{position}]"
        if not isinstance(entry, dict):
            yield BadInput(entry_where, "Bundle entry is not an object")
            continue
        resource = entry.get("resource")
        if resource is None:
            yield _entry_without_resource(entry, entry_where)
            continue
        if not isinstance(resource, dict) or "resourceType" not in resource:
            yield BadInput(entry_where, "Bundle entry resource has no resourceType")
            continue
        full_url = entry.get("fullUrl")
        yield from _resource_items(
            resource,
            entry_where,
            full_url=full_url if isinstance(full_url, str) else None,
            bundle=where,
        )


def _entry_without_resource(entry: dict[str, Any], where: str) -> SourceItem:
    request = entry.get("request")
    method = request.get("method") if isinstance(request, dict) else None
    if method in READ_ONLY_METHODS:
        return SkippedEntry(where, f"Bundle entry is a {method} request without data")
    if method in WRITE_METHODS:
        return BadInput(where, f"Bundle entry has no resource ({method} request is not ingested)")
    return BadInput(where, "Bundle entry has no resource")


def _json_error(exc: json.JSONDecodeError, *, with_line: bool = True) -> str:
    position = f"line {exc.lineno} column {exc.colno}" if with_line else f"column {exc.colno}"
    return f"malformed JSON at {position}: {exc.msg}"


FORMATS: tuple[InputFormat, ...] = (
    InputFormat("fhir-json", JSON_SUFFIXES, (".json",)),
    InputFormat("fhir-ndjson", NDJSON_SUFFIXES, (".ndjson",)),
    InputFormat(
        "ccda",
        (".xml", ".ccda", ".cda"),
        (".xml", ".ccda", ".cda"),
        "clinvault.interop.ccda.source:bundles",
    ),
    InputFormat(
        "hl7v2", (".hl7", ".txt"), (".hl7", ".txt"), "clinvault.interop.hl7v2.source:bundles"
    ),
)
"""Input formats by suffix, first match wins (see the module docstring)."""
