"""NegEx-style negation over note statements: which words a statement denies (or only
mentions as advice: ConText's hypothetical triggers, "call 911 for chest pain").

Chapman et al.'s NegEx (2001) and its later trigger lists: a *pre-negation* trigger ("no",
"denies", "negative for", "no history of") negates the words after it, a *post-negation*
trigger ("was ruled out", "is negative", "unlikely") the words before it; a *pseudo-trigger*
("no change", "not only", "gram negative") looks like one but negates nothing; a scope ends
at a *terminator* ("but", "however", "except", "presents with", "secondary to"), at a
clause break (``;`` ``:`` ``.``), or after ``MAX_SCOPE`` words. Lists stay in scope: in
"denies chest pain, dyspnea or palpitations" all three are denied.

Used by the offline evidence model so that a denied finding ("denies chest pain", "no
history of stroke", "negative for MI") is never quoted as a positive one, and so that an
absence question ("any history of stroke?") can cite the note that asserts the negative.
``negspacy`` is not used: it needs a spaCy pipeline in the model's process; this module
needs nothing and is tested on the standard triggers (``tests/llm/test_negation.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

MAX_SCOPE = 12
"""Words a trigger reaches at most (NegEx used 5; lists of denied findings need more)."""

PRE_NEGATION: tuple[str, ...] = (
    "no",
    "not",
    "non",
    "denies",
    "denied",
    "deny",
    "denying",
    "without",
    "w/o",
    "negative for",
    "neg for",
    "no history of",
    "no hx of",
    "no h/o",
    "no past history of",
    "no prior history of",
    "no family history of",
    "no evidence of",
    "no evidence for",
    "no sign of",
    "no signs of",
    "no symptoms of",
    "no complaints of",
    "no suspicion of",
    "no known",
    "absence of",
    "absent",
    "free of",
    "never had",
    "never",
    "has never had",
    "ruled out",
    "rules out",
    "rule out for",
    "resolved",
    "fails to reveal",
    "failed to reveal",
    "not demonstrate",
    "did not have",
    "does not have",
    "doesn't have",
    "nor",
    "neither",
    "unremarkable for",
)
HYPOTHETICAL: tuple[str, ...] = (
    "call 911 for",
    "call for",
    "return for",
    "return if",
    "return with",
    "seek care for",
    "seek care if",
    "watch for",
    "monitor for",
    "in case of",
    "precautions for",
    "warning signs of",
    "if",
    "should",
    "would",
)
"""ConText's hypothetical triggers ("call 911 for chest pain", "return if fever"): what they
govern is advice, not a finding, and is masked like a denied one."""
POST_NEGATION: tuple[str, ...] = (
    "was ruled out",
    "were ruled out",
    "is ruled out",
    "has been ruled out",
    "ruled out",
    "is negative",
    "was negative",
    "were negative",
    "are negative",
    "negative",
    "not seen",
    "not present",
    "not found",
    "not noted",
    "is absent",
    "was absent",
    "are absent",
    "absent",
    "unlikely",
    "was excluded",
    "is excluded",
    "excluded",
    "denied",
    "free",
    "resolved",
)
PSEUDO_TRIGGERS: tuple[str, ...] = (
    "no increase",
    "no change",
    "no significant change",
    "no interval change",
    "no suspicious change",
    "no further",
    "not only",
    "not necessarily",
    "not certain if",
    "not certain whether",
    "not rule out",
    "not ruled out",
    "not been ruled out",
    "not drain",
    "not cause",
    "without difficulty",
    "gram negative",
    "no longer",
    "not extend",
    "negative pressure",
)
TERMINATORS: tuple[str, ...] = (
    "but",
    "however",
    "although",
    "though",
    "except",
    "aside from",
    "apart from",
    "which",
    "who",
    "secondary to",
    "as the cause of",
    "cause of",
    "cause for",
    "source of",
    "reason for",
    "etiology of",
    "origin of",
    "presents with",
    "presented with",
    "presenting with",
    "complains of",
    "complaining of",
    "c/o",
    "reports",
    "reported",
    "still",
    "yet",
    "nevertheless",
    "patient has",
    "pt has",
    "now has",
    "positive for",
    "consistent with",
    "with a history of",
    "history of",
    "hx of",
    "h/o",
)

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[/'-][A-Za-z0-9]+)*|[.;:!?]")
_CLAUSE_BREAK = frozenset(".;:!?")


@dataclass(frozen=True, slots=True)
class Scope:
    """Characters ``start``..``end`` of a statement that ``trigger`` denies."""

    start: int
    end: int
    trigger: str


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start: int
    end: int


def _split(phrases: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Phrases as word tuples, longest first (so "no history of" wins over "no")."""
    return tuple(sorted((tuple(p.split()) for p in phrases), key=len, reverse=True))


@cache
def _lists() -> dict[str, tuple[tuple[str, ...], ...]]:
    return {
        "pseudo": _split(PSEUDO_TRIGGERS),
        "pre": _split(PRE_NEGATION + HYPOTHETICAL),
        "post": _split(POST_NEGATION),
        "term": _split(TERMINATORS),
    }


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.group().casefold(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _match(words: list[str], at: int, phrases: tuple[tuple[str, ...], ...]) -> int:
    """Length of the longest phrase starting at word ``at``; 0 if none."""
    for phrase in phrases:
        if tuple(words[at : at + len(phrase)]) == phrase:
            return len(phrase)
    return 0


def negated_scopes(statement: str) -> list[Scope]:
    """The spans of ``statement`` that a negation trigger denies, in order."""
    tokens = _tokens(statement)
    words = [t.text for t in tokens]
    lists = _lists()
    # Label each word: a pseudo-trigger, a trigger or a terminator covers its words.
    labels: list[tuple[str, int, int]] = []  # (kind, first word, after last word)
    at = 0
    while at < len(words):
        if words[at] in _CLAUSE_BREAK:
            labels.append(("break", at, at + 1))
            at += 1
            continue
        for kind in ("pseudo", "pre", "post", "term"):
            length = _match(words, at, lists[kind])
            if length:
                labels.append((kind, at, at + length))
                at += length
                break
        else:
            at += 1
    stops = {first for kind, first, _ in labels if kind in ("break", "term", "pseudo")}
    triggers = {first for kind, first, _ in labels if kind in ("pre", "post")}
    post_phrases = set(lists["post"])
    scopes: list[Scope] = []
    for kind, first, after in labels:
        trigger = " ".join(words[first:after])
        if kind == "pre":
            end = after
            while end < len(words) and end - after < MAX_SCOPE and end not in stops:
                if end in triggers and _is_post(labels, end):
                    break
                end += 1
            if end > after:
                scopes.append(Scope(tokens[after].start, tokens[end - 1].end, trigger))
                continue
            if tuple(words[first:after]) not in post_phrases:
                continue  # "absent" / "denied" / "resolved" at a clause end: read as post
        if kind in ("pre", "post"):
            start = first
            while start > 0 and first - start < MAX_SCOPE and (start - 1) not in stops:
                if (start - 1) in triggers and not _covers(labels, start - 1):
                    break
                start -= 1
            if start < first:
                scopes.append(Scope(tokens[start].start, tokens[first - 1].end, trigger))
    return sorted(scopes, key=lambda s: (s.start, s.end))


def _is_post(labels: list[tuple[str, int, int]], at: int) -> bool:
    return any(kind == "post" and first == at for kind, first, _ in labels)


def _covers(labels: list[tuple[str, int, int]], at: int) -> bool:
    """Whether word ``at`` is inside (not the start of) a labelled phrase."""
    return any(first < at < after for _, first, after in labels)


def mask_negated(statement: str) -> str:
    """``statement`` with every denied span blanked (same length): what it affirms."""
    chars = list(statement)
    for scope in negated_scopes(statement):
        chars[scope.start : scope.end] = " " * (scope.end - scope.start)
    return "".join(chars)


def _occurrences(statement: str, phrase: str) -> list[tuple[int, int]]:
    pattern = re.compile(r"(?<![a-z0-9])" + re.escape(phrase.casefold()) + r"(?![a-z0-9])")
    return [(m.start(), m.end()) for m in pattern.finditer(statement.casefold())]


def is_negated(statement: str, phrase: str) -> bool:
    """Whether ``statement`` mentions ``phrase`` and every mention lies in a denied span."""
    found = _occurrences(statement, phrase)
    if not found:
        return False
    scopes = negated_scopes(statement)
    return all(any(s.start <= a and b <= s.end for s in scopes) for a, b in found)


def is_affirmed(statement: str, phrase: str) -> bool:
    """Whether ``statement`` mentions ``phrase`` at least once outside a denied span."""
    found = _occurrences(statement, phrase)
    scopes = negated_scopes(statement)
    return any(not any(s.start <= a and b <= s.end for s in scopes) for a, b in found)
