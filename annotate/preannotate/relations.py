"""Relation rules, deliberately narrow, with lower scores than the spans. With the language layer
they read the dependency parse (`parsed.py`: subject and passive agent for `agent`, prepositional
paths for `place`, numeric modifiers and "X of Y" for `counts` and `quantity`), and fall back on
the word-order rules below for counts, agents and quantities only where the parse links nothing;
without the layer, word order alone:

- counts   COUNT → ACTOR:    "1,037 Afghan government troops", "forces, several hundred of whom"
- agent    ACTION → ACTOR:   "Taliban fighters advanced", "withdrawal of Afghan troops"
- place    ACTION → LOCATION: "fled to Tajikistan", "enter Tajikistan" (same sentence, no other
                              action between)
- quantity ACTION → COUNT:   the count of the action's agent, or "mobilization of 20,000"
"""

from __future__ import annotations

from newsgold.annotate.preannotate.parsed import parsed_relations
from newsgold.annotate.preannotate.view import Candidate, DocView
from newsgold.annotate.resources.placewords import LOCATIVE_PREPOSITIONS

# Words that may stand between a subject and its verb: "the Taliban have already seized".
_AUXILIARIES = frozenset(
    "have has had were was are is be been being will would could did do does not never also "
    "already now then finally reportedly".split()
)


def find_relations(doc: DocView, spans: list[Candidate]) -> list[tuple[int, int, str, float]]:
    """Relations as (head index, tail index, label, score) into `spans` (sorted by start)."""
    if doc.heads is not None:
        return parsed_relations(doc, spans, fallback=lambda: word_order_relations(doc, spans))
    return word_order_relations(doc, spans)


def word_order_relations(doc: DocView, spans: list[Candidate]) -> list[tuple[int, int, str, float]]:
    """The relations word order makes plain (the rules without the layer)."""
    relations: list[tuple[int, int, str, float]] = []
    at_start = {span.start: k for k, span in enumerate(spans)}
    at_end = {span.end: k for k, span in enumerate(spans)}
    counts_of: dict[int, int] = {}

    for k, span in enumerate(spans):
        if span.label != "COUNT":
            continue
        nxt = span.end + (doc.low(span.end) == "of")
        target = at_start.get(nxt)
        if target is None and doc.low(span.end) == "of" and doc.low(span.end + 1) == "whom":
            target = at_end.get(span.start - 1) if doc.low(span.start - 1) == "," else None
        if target is not None and spans[target].label == "ACTOR":
            relations.append((k, target, "counts", 0.6))
            counts_of[target] = k

    for k, span in enumerate(spans):
        if span.label != "ACTION":
            continue
        sentence = doc.sentence_of(span.start)
        agent = _agent(doc, spans, k, at_end, at_start)
        if agent is not None:
            relations.append((k, agent, "agent", 0.55))
            if agent in counts_of:
                relations.append((k, counts_of[agent], "quantity", 0.5))
        elif doc.low(span.end) == "of" and span.end + 1 in at_start:
            tail = at_start[span.end + 1]
            if spans[tail].label == "COUNT":
                relations.append((k, tail, "quantity", 0.5))
        place = _place(doc, spans, k, sentence)
        if place is not None:
            relations.append((k, place, "place", 0.5))
    return relations


def _agent(doc, spans, k, at_end, at_start):
    span = spans[k]
    j = span.start
    while j > 0 and doc.lower[j - 1] in _AUXILIARIES and span.start - j < 4:
        j -= 1
    before = at_end.get(j)
    if before is not None and spans[before].label == "ACTOR":
        return before
    if doc.low(span.end) == "of":  # nominal: "withdrawal of Afghan troops"
        after = at_start.get(span.end + 1)
        if after is not None and spans[after].label == "ACTOR":
            return after
    return None


def _place(doc, spans, k, sentence):
    span = spans[k]
    for j in range(k + 1, len(spans)):  # by index: a slice or list.index here is quadratic
        other = spans[j]
        if doc.sentence_of(other.start) != sentence or other.label == "ACTION":
            return None
        if other.label != "LOCATION":
            continue
        before = other.start - 1
        if doc.low(before) == "the":
            before -= 1
        if doc.low(before) in LOCATIVE_PREPOSITIONS - {"of"} or before == span.end - 1:
            return j
        return None
    return None
