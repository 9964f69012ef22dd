"""FHIR R4 input: reading, validation, references, rendering and note text.

    sources.iter_sources(paths)        files and folders -> SourceResource | SkippedFile |
                                       SkippedEntry | BadInput, in a deterministic order
    validate.validate(resource, where) -> ResourceRejected | None (fhir.resources.R4B)
    references.ReferenceIndex          add() every resource, then link() -> Linkage:
                                       patient of each resource, dangling references,
                                       care teams, reference normalization to Type/id
    render.render(resource)            -> Rendered(text, date, codes, display)
    notes.note_texts(resource)         -> [NoteText(text, part)]; notes.split_passages(text)

Submodules are imported explicitly: ``validate`` loads the pydantic FHIR models.
"""
