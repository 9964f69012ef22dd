from __future__ import annotations

from clinvault.phi.safe_words import SafeWords


def test_packaged_list_holds_nursing_abbreviations() -> None:
    safe = SafeWords.packaged()
    for word in ("NPN", "micu", "OSH", "SOB", "NKDA", "prn", "q4h", "lasix", "hct"):
        assert safe.is_safe(word), word
    assert not safe.is_safe("Okafor")


def test_parse_skips_comments_and_blank_lines() -> None:
    safe = SafeWords.parse("# a comment\n\nNPN\n  micu  \n")
    assert safe.words == frozenset({"npn", "micu"})


def test_only_clinical_needs_every_word_safe_and_no_person_cue() -> None:
    safe = SafeWords.parse("npn\ncabg\nmicu\n")
    text = "NPN p CABG to MICU 2; dr Micu saw pt; Kelly MICU"

    def clinical(part: str, after: int = 0) -> bool:
        start = text.index(part, after)
        return safe.only_clinical(text, start, start + len(part))

    assert clinical("NPN")
    assert clinical("p CABG")  # single letters count as safe
    assert clinical("MICU 2")  # and numbers
    assert not clinical("Micu", text.index("dr"))  # after "dr ": a person cue
    assert not clinical("Kelly MICU")  # Kelly is not a safe word
