"""Rules that read the language layer only, beside the families' own (schema/guidelines.md, the
hard calls decided while annotating the starter gold). `RuleAnnotator(pipeline=False)` never runs
them.

- `people_nouns`   ACTOR: common nouns of people, forces and institutions by lemma ("civilians",
                   "the coalition", "international partners", "the Foreign Secretary"; A3, A9), not
                   as a predicate nominal or apposition, nor as a title before a name (A2).
- `named_events`   ACTION: "Operation Inherent Resolve", "Exercise Eager Lion 16", "the Gulf War"
                   as one span (V5), not inside an organisation's name (A10).
- `country_modifiers` LOCATION: "U.S." / "UK" modifying a non-person noun (L4); a longer ACTOR
                   ("U.S. officials") wins the resolution.
- `event_counts`   COUNT: "one" counting an event or people ("one strike": C1, C3).
- `refined`        drops ACTIONs and COUNTs in a definitional passage (C4), COUNTs that are
                   citation marks, coordinates or parts of a name ("[2]", "33°47′", "Resolution
                   2328"), and grows a LOCATION over "<direction> of" (L2).
"""

from __future__ import annotations

from newsgold.annotate.preannotate.view import Candidate, DocView
from newsgold.annotate.resources.lexicon import (
    ACTION_LEXEMES,
    NAMED_EVENT_LEADS,
    NAMED_EVENT_TAILS,
    PEOPLE_LEMMAS,
    PEOPLE_NEED_MODIFIER,
    PERSON_CUES,
    TITLE_WORDS,
)
from newsgold.annotate.resources.placewords import COMPASS, COUNTRY_MODIFIERS, FEATURE_WORDS

_GROUPS_AS_MODIFIERS = frozenset({"coalition"})  # a group that crews its vehicles (A5, A7)
_NAMED_AREAS = frozenset({"Gulf", "Kingdom", "Sea", "Bay", "Strait", "Republic"})
_NOT_MENTIONS = frozenset({"attr", "appos"})  # "is an Iraqi General", "a middleman"
_OWN_MODIFIERS = frozenset({"amod", "compound", "nmod", "poss"})
_DEFINING = frozenset({"define", "classify"})
_COORDINATE_MARKS = frozenset("°′″'")


def people_nouns(doc: DocView) -> list[Candidate]:
    found = []
    pos, deps, heads, children = doc.pos, doc.deps, doc.heads, doc.children
    for i in doc.lemma_positions(PEOPLE_LEMMAS):
        if pos[i] not in ("NOUN", "PROPN") or deps[i] in _NOT_MENTIONS:
            continue
        if deps[i] == "compound" and pos[heads[i]] == "PROPN":
            continue  # a title before a name: "Foreign Secretary Boris Johnson" (A2)
        if (
            deps[i] == "compound"
            and doc.lemmas[heads[i]] not in PEOPLE_LEMMAS
            and doc.lemmas[i] not in _GROUPS_AS_MODIFIERS
        ):
            continue  # "fighter jets", "council building": a thing's modifier; "coalition aircraft" stays (A5)
        if doc.lemmas[i] in PEOPLE_NEED_MODIFIER and not any(
            deps[c] in _OWN_MODIFIERS and c < i for c in children.get(i, ())
        ):
            continue  # "the regime", "the group": a back-reference (A4)
        if any(deps[c] == "appos" for c in children.get(i, ())) or doc.low(i - 1) == "as":
            continue  # "The Minister for Central Asia, Tobias Ellwood", "as Minister": a title (A2, A3)
        if deps[i] in _OWN_MODIFIERS and doc.lemmas[heads[i]] in PEOPLE_LEMMAS:
            continue  # "Coalition advisers": the head's modifier (noun_phrase_extent grows over it)
        end = _of_phrase_end(doc, i)
        conjuncts = [
            c
            for c in children.get(i, ())
            if deps[c] == "conj" and doc.lemmas[c] in PEOPLE_LEMMAS and doc.sentence_of(c) == doc.sentence_of(i)
        ]
        last = _conjunct_end(doc, max(conjuncts)) - 1 if conjuncts else i
        if end == i + 1 and last > i:  # "family and friends of the victims": one "X of Y" (A1)
            end = max(_of_phrase_end(doc, last), _of_phrase_end(doc, i, after=last))
            end = i + 1 if end == last + 1 else end
        found.append(Candidate(i, end, "ACTOR", 0.7))
    return found


def _conjunct_end(doc: DocView, c: int) -> int:
    """One past the last people conjunct chained from `c` ("friends and teammates")."""
    more = [k for k in doc.children.get(c, ()) if doc.deps[k] == "conj" and doc.lemmas[k] in PEOPLE_LEMMAS]
    return _conjunct_end(doc, max(more)) if more else c + 1


_PHRASE_STOPS = frozenset({"relcl", "acl", "appos", "punct", "cc", "conj", "advcl"})
_PHRASE_REACH = 10


def _of_phrase_end(doc: DocView, i: int, after: int | None = None) -> int:
    """The end of the people noun at `i` with its "of/from/in Y" phrase saying whose people they
    are ("people of Syria", "students of Westminster International University": A1), not before a
    pronoun ("friends of those killed") or past a clause; i + 1 when it has none."""
    children, deps = doc.children, doc.deps
    after = i if after is None else after  # the phrase follows the noun, or its last conjunct
    prep = next(
        (
            c
            for c in children.get(i, ())
            if deps[c] == "prep" and c == after + 1 and doc.lower[c] in ("of", "from", "in")
        ),
        None,
    )
    if prep is None:
        return after + 1
    objects = [c for c in children.get(prep, ()) if deps[c] == "pobj"]
    if not objects or doc.pos[objects[0]] not in ("NOUN", "PROPN"):
        return i + 1
    if doc.lower[prep] == "in" and doc.lemmas[objects[0]] not in PEOPLE_LEMMAS:
        return i + 1  # "refugees in neighbouring countries": a place, not whose people
    end, stack = objects[0], [objects[0]]
    while stack:
        t = stack.pop()
        end = max(end, t)
        stack += [c for c in children.get(t, ()) if deps[c] not in _PHRASE_STOPS and c > prep]
    end += 1
    if end - i > _PHRASE_REACH or doc.sentence_of(end - 1) != doc.sentence_of(i):
        return i + 1
    return end


def named_events(doc: DocView) -> list[Candidate]:
    found = []
    words = doc.words
    n = len(words)
    for i in doc.capitalised:
        word = words[i]
        if word in NAMED_EVENT_LEADS:
            if doc.word(i - 1) in ("–", "-", "—"):
                continue  # "Combined Joint Task Force – Operation Inherent Resolve": the ACTOR's
            j = i + 1 + (doc.word(i + 1) == ":")
            end = j
            while end < n and (doc.is_capitalised(end) or (end > j and words[end].isdigit())):
                end += 1
            if end > j:
                found.append(Candidate(i, end, "ACTION", 0.85))
        elif word in NAMED_EVENT_TAILS and i not in doc.sentence_starts:
            start = i
            while (
                start - 1 >= 0
                and doc.is_capitalised(start - 1)
                and words[start - 1][0].isalpha()
                and start - 1 not in doc.sentence_starts
                and i - start < 3
            ):
                start -= 1
            if start < i:
                found.append(Candidate(start, i + 1, "ACTION", 0.85))
    return found


def country_modifiers(doc: DocView) -> list[Candidate]:
    found = []
    for i in doc.capitalised:
        if doc.words[i] in COUNTRY_MODIFIERS and doc.deps[i] in ("compound", "nmod", "amod"):
            head = doc.heads[i]
            if doc.pos[head] == "NOUN" and doc.lemmas[head] not in PEOPLE_LEMMAS:
                found.append(Candidate(i, i + 1, "LOCATION", 0.7))
    return found


def event_counts(doc: DocView) -> list[Candidate]:
    found = []
    for i in doc.lemma_positions({"one"}):
        head = doc.heads[i]
        if doc.words[i] != doc.lower[i] and i not in doc.sentence_starts:
            continue
        if doc.low(i + 1) == "of":  # "one of our service members was killed" (C3)
            objects = [o for o in doc.children.get(i + 1, ()) if doc.deps[o] == "pobj"]
            if objects and doc.lemmas[objects[0]] in PEOPLE_LEMMAS:
                found.append(Candidate(i, i + 1, "COUNT", 0.75))
            continue
        if (
            doc.deps[i] == "nummod"
            and doc.pos[head] == "NOUN"
            and (doc.lemmas[head] in ACTION_LEXEMES or doc.lemmas[head] in PEOPLE_LEMMAS)
        ):
            found.append(Candidate(i, i + 1, "COUNT", 0.8))
    return found


def _definitional(doc: DocView) -> tuple[int, int]:
    """Token range from the first to the last sentence that defines a term ("A strike, as
    defined ..., means"), (0, 0) when none does."""
    marks = doc.lemma_positions(_DEFINING) + [i for i in doc.lemma_positions({"mean"}) if doc.pos[i] == "VERB"]
    if not marks:
        return 0, 0
    first, last = doc.sentences[doc.sentence_of(min(marks))], doc.sentences[doc.sentence_of(max(marks))]
    return first[0], last[1]


def _not_a_count(doc: DocView, c: Candidate) -> bool:
    text = doc.text
    left, right = doc.starts[c.start], doc.ends[c.end - 1]
    if text[left - 1 : left] == "[" and text[right : right + 1] == "]":
        return True  # a citation mark: "[2]"
    if text[right : right + 1] in _COORDINATE_MARKS or text[left - 1 : left] in _COORDINATE_MARKS:
        return True  # coordinates: "33°47′N"
    before = c.start - 1
    return (
        before >= 0
        and doc.pos[before] == "PROPN"
        and doc.is_capitalised(before)
        and before not in doc.sentence_starts
        and doc.words[c.start][0].isdigit()
    )  # "Resolution 2328"


_COUNTED_DEPS = frozenset({"nummod", "quantmod", "amod", "compound", "nmod", "det"})
_ARGUMENTS = frozenset({"dobj", "nsubj", "nsubjpass", "pobj", "attr", "appos", "conj"})
_ARGUMENT_STEPS = 4
_REPETITIONS = frozenset({"occasion"})  # a number of events (C1): "on at least three occasions"


def _counts_nothing(doc: DocView, c: Candidate, owner: list[str]) -> bool:
    """Whether the COUNT counts neither people nor events nor things an ACTION acts on ("the book
    contains five chapters": guidelines C2, C3), or is an age after a name ("Dayton, 42,")."""
    heads, deps, lemmas = doc.heads, doc.deps, doc.lemmas
    t = next(
        (i for i in range(c.end - 1, c.start - 1, -1) if not c.start <= heads[i] < c.end or heads[i] == i), c.end - 1
    )  # the token heading the count
    if deps[t] == "appos" and doc.pos[heads[t]] == "PROPN":
        return True  # an age
    noun = heads[t] if deps[t] in _COUNTED_DEPS and heads[t] != t else t
    if noun == t and doc.low(t + 1) == "of":  # "two of the books", "one of our service members"
        objects = [o for p in doc.children.get(t + 1, ()) for o in [p] if doc.deps[p] == "pobj"]
        noun = objects[0] if objects else noun
    if (
        lemmas[noun] in PEOPLE_LEMMAS
        or lemmas[noun] in ACTION_LEXEMES
        or owner[noun] in ("ACTOR", "ACTION")
        or doc.tags[noun] == "NNPS"
        or lemmas[noun] in _REPETITIONS
    ):  # "2 million Syrians", "three occasions"
        return False
    steps = 0
    while steps < _ARGUMENT_STEPS:  # the counted noun is an argument of an ACTION's verb
        if deps[noun] not in _ARGUMENTS and deps[noun] != "prep" or heads[noun] == noun:
            return True
        steps += deps[noun] != "conj" or heads[noun] >= noun  # a list of objects climbs freely
        noun = heads[noun]
        if owner[noun] == "ACTION":
            return False
    return True


def refined(doc: DocView, candidates: list[Candidate]) -> list[Candidate]:
    start, end = _definitional(doc)
    owner = [""] * (len(doc) + 1)
    for c in candidates:
        if c.label in ("ACTOR", "ACTION"):
            owner[c.start : c.end] = [c.label] * (c.end - c.start)
    person_at = {e: f for f, e, kind in doc.entities if kind == "PERSON"}
    kept = []
    for c in candidates:
        if c.label in ("ACTION", "COUNT") and start <= c.start < end:
            continue
        first = person_at.get(c.end)
        if (
            c.label == "ACTOR"
            and first is not None
            and c.start < first < c.end
            and all(doc.words[k] in TITLE_WORDS or doc.words[k] in PERSON_CUES for k in range(c.start, first))
        ):
            c = c._replace(start=first)  # "Army Lt. Gen. Stephen J. Townsend": the name only (A2)
        if c.label == "COUNT" and (_not_a_count(doc, c) or _counts_nothing(doc, c, owner)):
            continue
        if c.label == "LOCATION" and doc.low(c.end) in FEATURE_WORDS and doc.pos[c.end] in ("NOUN", "PROPN"):
            c = c._replace(end=c.end + 1)  # "Tigris river", "Mosul Dam", "Damascus suburbs" (L5)
        if c.label == "LOCATION" and doc.low(c.start - 1) == "of" and doc.word(c.start - 2) in _NAMED_AREAS:
            c = c._replace(start=c.start - 2)  # "Gulf of Aden", "Hashemite Kingdom of Jordan" (L5)
            if doc.is_capitalised(c.start - 1) and c.start - 1 not in doc.sentence_starts:
                c = c._replace(start=c.start - 1)
        if c.label == "LOCATION" and doc.low(c.start - 1) == "of" and doc.low(c.start - 2) in COMPASS:
            new = c.start - 2  # "north of Baghdad", "north and west of Raqqah" (L2)
            if doc.low(new - 1) == "and" and doc.low(new - 2) in COMPASS:
                new -= 2
            c = c._replace(start=new)
        kept.append(c)
    return kept
