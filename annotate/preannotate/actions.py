"""ACTION rules: event triggers of conflict and movement news, verbs and nouns, from a lexicon
of inflected forms (see lexicon.py), plus phrasal verbs and take-idioms."""

from __future__ import annotations

from newsgold.annotate.resources.lexicon import ACTION_NEEDS_NEXT, ACTION_PHRASES, ACTION_WORDS
from newsgold.annotate.preannotate.view import Candidate, DocView, register_triggers

_PHRASES_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _phrase in sorted(ACTION_PHRASES, key=len, reverse=True):
    _PHRASES_BY_FIRST.setdefault(_phrase[0], []).append(_phrase)


_TRIGGERS = register_triggers(ACTION_WORDS | set(_PHRASES_BY_FIRST) | set(ACTION_NEEDS_NEXT))


def find_actions(doc: DocView) -> list[Candidate]:
    found = []
    words, lower = doc.words, doc.lower
    for i in doc.positions(_TRIGGERS):
        low = lower[i]
        # Lower-case words only, or a capitalised one opening a sentence: "March" and "May"
        # are months, "Fall" a season or a name.
        if words[i] != low and i not in doc.sentence_starts:
            continue
        phrases = _PHRASES_BY_FIRST.get(low)
        if phrases:
            phrase = next((p for p in phrases if doc.match(i, p)), None)
            if phrase:
                found.append(Candidate(i, i + len(phrase), "ACTION", 0.85))
                continue
        if low in ACTION_WORDS or (low in ACTION_NEEDS_NEXT and doc.low(i + 1) in ACTION_NEEDS_NEXT[low]):
            found.append(Candidate(i, i + 1, "ACTION", 0.8))
    return found
