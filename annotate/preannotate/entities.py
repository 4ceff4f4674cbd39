"""What the rules take from the language layer's noun phrases and entities (with the layer only).

- `entity_candidates`: the pipeline's named entities as ACTOR and LOCATION candidates, mapped by
  `ENTITY_LABELS` (justified in schema/guidelines.md, "Pre-annotation from the language
  pipeline") and cut to the guidelines' boundaries: no leading determiner or title, no trailing
  possessive or punctuation; a nationality is an ACTOR only as a noun ("Afghans"), never as a
  modifier ("Afghan"). The annotator adds them only where no rule span lies.
- `noun_phrase_extent`: an ACTOR candidate grows leftwards over the modifiers of its head noun in
  the parse ("Afghan government troops", "U.S.-backed Syrian fighters"), stopping at a
  determiner, a possessive, a number (a COUNT stays its own span), a quantifier ("many") or
  another candidate.
"""

from __future__ import annotations

from newsgold.annotate.analysis import head_of
from newsgold.annotate.preannotate.view import Candidate, DocView, covered
from newsgold.annotate.resources.lexicon import (
    DEMONYMS,
    EVALUATIVE,
    GROUP_HEADS,
    GROUP_MODIFIERS,
    MONTHS,
    NP_QUANTIFIERS,
    PEOPLE_LEMMAS,
    PERSON_CUES,
    PRONOUNS_AND_FUNCTION,
    TITLE_WORDS,
    WEEKDAYS,
)
from newsgold.annotate.resources.placewords import ENTITY_LABELS, FACILITY_WORDS, PLACE_SUFFIXES, SPATIAL_PREPOSITIONS

_LEADING = frozenset("the a an this that these those its their his her our".split())
_NOT_NAMES = PRONOUNS_AND_FUNCTION | MONTHS | WEEKDAYS | DEMONYMS
_NOUNS = frozenset({"NOUN", "PROPN"})
_MODIFIER_DEPS = frozenset({"amod", "compound", "nmod", "cc", "conj", "punct", "npadvmod", "advmod"})
# the lexicon lists singular and plural; lemmas are singular; the layer's people nouns (layered.py)
_GROUP_LEMMAS = frozenset(GROUP_HEADS) | PEOPLE_LEMMAS
ENTITY_SCORE = 0.6
_SUBTREE_STEPS = 6


def _under(doc: DocView, j: int, head: int) -> bool:
    """Whether token `j` lies in the parse subtree of `head` (a few steps up at most)."""
    heads = doc.heads
    for _ in range(_SUBTREE_STEPS):
        if j == head:
            return True
        if heads[j] == j:
            return False
        j = heads[j]
    return j == head


def _head_of(doc: DocView, start: int, end: int) -> int:
    """The token of [start, end) whose head lies outside it (`language.head_of`)."""
    return head_of(doc.heads, start, end)


def _trimmed(doc: DocView, start: int, end: int, person: bool) -> tuple[int, int]:
    while start < end and (
        doc.lower[start] in _LEADING
        or doc.pos[start] == "ADP"
        or (person and (doc.words[start] in PERSON_CUES or doc.words[start] in TITLE_WORDS))
    ):
        start += 1
    while start < end and (doc.tags[end - 1] == "POS" or not doc.words[end - 1][0].isalnum()):
        end -= 1
    return start, end


def _group_of_people(doc: DocView, head: int) -> bool:
    """Whether a nationality entity headed at `head` is a plural noun of its own ("the Kurds"),
    not a modifier ("Kurdish forces", "Afghan troops") or a common noun after it."""
    return (
        doc.pos[head] in _NOUNS
        and doc.words[head][0].isupper()
        and doc.tags[head].endswith("S")
        and doc.deps[head] not in ("amod", "compound")
    )


def entity_candidates(doc: DocView, labels=("ACTOR", "LOCATION")) -> list[Candidate]:
    """The pipeline's entities of `doc` as candidates of `labels` (see the module)."""
    found = []
    for first, end, kind in doc.entities:
        label = ENTITY_LABELS.get(kind)
        if label is None or label not in labels:
            continue
        after_preposition = doc.lower[first] in SPATIAL_PREPOSITIONS  # "Near Ayn Isa, ..." opening a line
        start, end = _trimmed(doc, first + after_preposition, end, kind == "PERSON")
        if start >= end:
            continue
        words = doc.words[start:end]
        if not any(w[0].isupper() for w in words) or all(w in _NOT_NAMES for w in words):
            continue
        head = _head_of(doc, start, end)
        if label == "ACTOR":
            if doc.low(start - 1) in ("a", "an"):
                continue  # "a VBIED", "a UAV": a common noun, not an organisation's name
            first_conjunct = head  # "in Qamenas, Sarmin and Talamenes": the preposition of the first
            while doc.deps[first_conjunct] == "conj" and doc.heads[first_conjunct] < first_conjunct:
                first_conjunct = doc.heads[first_conjunct]
            before = doc.heads[first_conjunct]
            if (
                after_preposition
                or doc.lower[end - 1] in FACILITY_WORDS
                or (doc.deps[first_conjunct] == "pobj" and doc.lower[before] in SPATIAL_PREPOSITIONS)
            ):
                label = "LOCATION"  # "at the Iraqi Museum", "in Dabiq": a place, whatever its type
                if label not in labels:
                    continue
        if label != "ACTOR" or kind == "PERSON":
            # a place or a person as the modifier of a common noun is no mention of its own
            # ("US air support", "the Calderon glacier"), except before a place type word
            # ("Kunduz province", which the LOCATION keeps)
            outer = doc.heads[head]
            if outer > head and doc.deps[head] in _MODIFIER_DEPS and doc.pos[outer] in _NOUNS:
                if label != "LOCATION" or doc.lower[outer] not in PLACE_SUFFIXES or outer != end:
                    continue
                end = outer + 1
        if kind == "NORP" and not _group_of_people(doc, head):
            continue  # "Afghan" soldiers; a nationality names a group only as a plural noun: "Afghans"
        found.append(Candidate(start, end, label, ENTITY_SCORE))
    return found


def noun_phrase_extent(doc: DocView, candidates: list[Candidate]) -> list[Candidate]:
    """The candidates, each ACTOR grown leftwards over the modifiers of its head noun (module)."""
    taken = covered(candidates, len(doc) + 1)
    grown = []
    for c in candidates:
        if c.label == "ACTOR":
            c = _grown(doc, c, taken)
        grown.append(c)
    # a group named as the modifier of a people noun is one ACTOR with it: "ISIL tactical units"
    # (guidelines A7, A8); the longer candidate wins the resolution
    ending = {c.end: c for c in grown if c.label == "ACTOR"}
    for c in list(grown):
        before = ending.get(c.start)
        if c.label != "ACTOR" or before is None or doc.lemmas[_head_of(doc, c.start, c.end)] not in PEOPLE_LEMMAS:
            continue
        modifier = _head_of(doc, before.start, before.end)
        if doc.deps[modifier] in ("compound", "nmod", "amod") and c.start <= doc.heads[modifier] < c.end:
            grown.append(Candidate(before.start, c.end, "ACTOR", c.score))
    return grown


def _identity_word(doc: DocView, j: int) -> bool:
    """Whether the word at `j` can say who a group is (the guidelines' nationality and
    affiliation modifiers): a capitalised word, a group modifier of the lexicon, a noun
    ("ground forces", "regime forces"), a conjunction or comma between such words; not a word of
    state or opinion ("besieged", "brutal", "current")."""
    word = doc.words[j]
    if doc.pos[j] == "ADV":
        return False
    if word[0].isupper() and (j not in doc.sentence_starts or doc.pos[j] == "PROPN" or word in DEMONYMS):
        return True  # a name or a nationality; a sentence's first word only when it is one
    if doc.lower[j] in GROUP_MODIFIERS or doc.pos[j] in ("NOUN", "CCONJ", "PUNCT"):
        return True
    if doc.tags[j] == "JJ" and doc.deps[j] == "amod" and doc.lower[j] not in EVALUATIVE:
        return True  # "tactical units", "moderate opposition", "ordinary citizens" (A6)
    # "Iranian-backed", "pro-Assad", "U.S.-led": a hyphenated word with a name or a group modifier
    parts = word.split("-")
    return (
        parts[0] in DEMONYMS
        or any(p[:1].isupper() or p.lower() in GROUP_MODIFIERS for p in parts[1:])
        or any(ch.isupper() for ch in word[1:])
    )


def _grown(doc: DocView, c: Candidate, taken: bytearray) -> Candidate:
    head = _head_of(doc, c.start, c.end)
    if doc.pos[head] not in _NOUNS or (doc.lemmas[head] not in _GROUP_LEMMAS and doc.lower[head] not in GROUP_HEADS):
        return c
    start = c.start
    j = start - 1
    sentence_first = doc.sentences[doc.sentence_of(start)][0] if doc.sentences else 0
    while j >= sentence_first and not taken[j]:
        word, pos = doc.words[j], doc.pos[j]
        if not _identity_word(doc, j) or (
            doc.deps[j] not in _MODIFIER_DEPS
            or pos in ("DET", "NUM", "PRON", "ADP", "AUX", "PART")
            or doc.tags[j] == "POS"
            or doc.lower[j] in NP_QUANTIFIERS
            or doc.lower[j] in _LEADING
            or (pos == "PUNCT" and word not in (",", "-", "‐"))
            or not _under(doc, j, head)
            or (word[0].isupper() and word in _NOT_NAMES and word not in DEMONYMS)
        ):
            break
        j -= 1
    new = j + 1
    # the left edge is a word: never a conjunction or a comma ("Taliban and security forces"
    # stays two mentions when "Taliban" is a candidate of its own)
    while new < start and (doc.pos[new] in ("CCONJ", "PUNCT") or doc.deps[new] in ("cc", "punct")):
        new += 1
    if new >= start:
        return c
    taken[new:start] = b"\x01" * (start - new)
    return c._replace(start=new)
