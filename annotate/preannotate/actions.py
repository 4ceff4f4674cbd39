"""ACTION rules: event triggers of conflict and movement news, verbs and nouns, plus phrasal verbs
and take-idioms. With the language layer, triggers are lexemes matched by lemma at the parts of
speech where they name an event (ACTION_LEXEMES: every inflection of a listed verb fires, "fire"
the noun does not); without it, a lexicon of inflected forms (ACTION_WORDS)."""

from __future__ import annotations

from newsgold.annotate.preannotate.view import Candidate, DocView
from newsgold.annotate.resources.lexicon import (
    ACTION_LEMMA_PHRASES,
    ACTION_LEXEMES,
    ACTION_NEEDS_NEXT,
    ACTION_ONLY_FORMS,
    ACTION_PHRASES,
    ACTION_WORDS,
    LEXICALISED_EVENTS,
    PEOPLE_LEMMAS,
    SPECIFIC_ONLY,
)

_PHRASES_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _phrase in sorted(ACTION_PHRASES, key=len, reverse=True):
    _PHRASES_BY_FIRST.setdefault(_phrase[0], []).append(_phrase)


# the words the surface rules fire at (registered with every family's in annotator.py)
TRIGGERS = frozenset(ACTION_WORDS | set(_PHRASES_BY_FIRST) | set(ACTION_NEEDS_NEXT))
_SURFACE = frozenset(ACTION_WORDS)


_LEMMA_PHRASES: dict[str, list[tuple[str, ...]]] = {}
for _phrase in ACTION_LEMMA_PHRASES:  # longest first, as listed
    _LEMMA_PHRASES.setdefault(_phrase[0], []).append(_phrase[1:])
_LEMMA_TRIGGERS = frozenset(ACTION_LEXEMES) | frozenset(_LEMMA_PHRASES)
_NOMINAL_OR_VERBAL = frozenset({"NOUN", "VERB"})


_MODIFIER = frozenset({"amod", "compound"})
_ARGUMENT = frozenset({"dobj", "nsubj", "nsubjpass"})
_OWN_WORDS = frozenset({"det", "poss", "amod", "compound", "nmod", "nummod", "prep", "acl", "relcl"})


def _specific(doc: DocView, i: int) -> bool:
    """Whether the event noun at `i` has words of its own that make it one event (a determiner,
    possessor, modifier, number or prepositional phrase, or an argument of a verb: guidelines
    V4); "in battle", "violence in conflict" are generic."""
    if doc.deps[i] in _ARGUMENT:
        return True  # the subject or object of a clause: "stepped up attacks", "fighting continued"
    return any(doc.deps[c] in _OWN_WORDS for c in doc.children.get(i, ()))


def _by_lemma(doc: DocView) -> list[Candidate]:
    found = []
    words, lower, lemmas, pos = doc.words, doc.lower, doc.lemmas, doc.pos
    for i in sorted(set(doc.lemma_positions(_LEMMA_TRIGGERS)).union(doc.positions(_SURFACE))):
        if words[i] != lower[i] and i not in doc.sentence_starts:
            continue  # "March", "Fall", a name: lower-case words only, or a sentence's first
        lemma = lemmas[i]
        rest = next((r for r in _LEMMA_PHRASES.get(lemma, ()) if doc.match(i + 1, r)), None)
        if rest is not None and pos[i] == "VERB":
            found.append(Candidate(i, i + 1 + len(rest), "ACTION", 0.85))
            continue
        allowed = ACTION_LEXEMES.get(lemma)
        if allowed is None:
            # the tagger took a verb for a noun or back ("the wing deploying again", lemma
            # "deploying"): a surface trigger of the rules without the layer still fires
            if lower[i] in ACTION_WORDS and pos[i] in _NOMINAL_OR_VERBAL and doc.deps[i] != "compound":
                found.append(Candidate(i, i + 1, "ACTION", 0.8))
            continue
        if lemma in ACTION_NEEDS_NEXT and pos[i] == "NOUN":
            if doc.low(i + 1) in ACTION_NEEDS_NEXT[lemma]:
                found.append(Candidate(i, i + 1, "ACTION", 0.8))
            continue
        if lemma in ACTION_ONLY_FORMS and lower[i] not in ACTION_ONLY_FORMS[lemma]:
            continue
        if pos[i] == "NOUN" and doc.deps[i] == "compound":
            continue  # a noun modifying another: "strike releases", "bomb attacks" (the head fires)
        if lemma in SPECIFIC_ONLY and pos[i] == "NOUN" and not _specific(doc, i):
            continue  # "in battle", "violence in conflict": generic (guidelines V4)
        if (
            doc.tags[i] == "VBG"
            and doc.deps[i] in _MODIFIER
            and pos[doc.heads[i]] == "NOUN"
            and lemmas[doc.heads[i]] not in PEOPLE_LEMMAS
        ):
            continue  # "fighting positions", "attacking aircraft": a modifier of a thing
        if pos[i] == "NOUN" and _listed_with_things(doc, i):
            continue  # "using attack, bomber, fighter and remotely piloted aircraft": a kind of aircraft
        if pos[i] in allowed:
            found.append(Candidate(i, i + 1, "ACTION", 0.8))
    for i in doc.lemma_positions(LEXICALISED_EVENTS):  # "civil war", "air support" (V6, V8)
        if pos[i] == "NOUN" and i > 0 and lower[i - 1] in LEXICALISED_EVENTS[lemmas[i]]:
            found.append(Candidate(i - 1, i + 1, "ACTION", 0.85))
    return found


def _listed_with_things(doc: DocView, i: int) -> bool:
    """Whether the bare noun at `i` opens a comma list of nouns none of which names an event."""
    if doc.low(i + 1) != "," or any(doc.deps[c] in _OWN_WORDS for c in doc.children.get(i, ())):
        return False
    chain, t = [], i
    for _ in range(6):
        t = next((c for c in doc.children.get(t, ()) if doc.deps[c] == "conj"), None)
        if t is None:
            break
        chain.append(t)
    return bool(chain) and all(doc.lemmas[c] not in ACTION_LEXEMES for c in chain)


def find_actions(doc: DocView) -> list[Candidate]:
    if doc.lemmas is not None:
        return _by_lemma(doc)
    found = []
    words, lower = doc.words, doc.lower
    for i in doc.positions(TRIGGERS):
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
