"""Relation rules that walk the language layer's dependency parse (with the layer only).

- counts   COUNT → ACTOR:    the COUNT modifies the ACTOR's noun ("1,037 Afghan government troops":
                              nummod) or heads it through "of" ("Thousands of Afghan soldiers")
- agent    ACTION → ACTOR:   the ACTION's subject (nsubj; through a COUNT to the ACTOR it counts),
                              the passive agent ("attacked by Taliban fighters"), the subject a
                              coordinated or embedded verb shares ("crossed the border and fled"),
                              the noun a relative clause or an -ing clause hangs on ("fighters who
                              fled", "troops fleeing"); of a noun: its possessor or modifier
                              ("Taliban offensive"), or "of"/"by" ("withdrawal of Afghan troops"),
                              else the subject of a light verb it is the object of ("forces
                              conducted 26 strikes", "stepped up attacks")
- place    ACTION → LOCATION: a locative preposition's object ("fled to Tajikistan", "in the city
                              of Kunduz") or the direct object ("entered Tajikistan")
- quantity ACTION → COUNT:   the COUNT counting the agent, or "mobilization of 20,000"

Where the parse links a COUNT to no ACTOR, or an ACTION to no agent or quantity, the word-order
rules' relation of that kind is kept instead (`fallback`); places come from the parse alone.
"""

from __future__ import annotations

from typing import Callable

from newsgold.annotate.preannotate.view import Candidate, DocView
from newsgold.annotate.resources.lexicon import LIGHT_VERBS, NO_AGENT_LEMMAS, SUFFERING_VERBS
from newsgold.annotate.resources.placewords import LOCATIVE_PREPOSITIONS, SPATIAL_PREPOSITIONS

_PLACE_PREPOSITIONS = LOCATIVE_PREPOSITIONS - {"of"}
_COUNT_DEPS = frozenset({"nummod", "quantmod", "amod", "compound", "nmod", "det"})
_INHERIT_DEPS = frozenset({"conj", "xcomp"})
_RELATIVES = frozenset({"who", "that", "which"})
_PLACE_LINKS = frozenset({"compound", "appos", "conj", "prep", "pobj", "nmod"})
_NOMINAL_AGENT_DEPS = frozenset({"poss", "compound", "amod", "nmod"})
# A clause's place reaches the ACTIONs under its verb through these links, a few steps up.
_CLAUSE_DEPS = frozenset({"nsubj", "nsubjpass", "dobj", "conj", "xcomp", "advcl", "pobj", "prep", "ccomp"})
_CLAUSE_STEPS = 5
_LIST_REACH = 12
_PRONOUNS = frozenset(
    "they their it its we our".split()
)  # pronouns standing for a group (R3)  # items of a list of objects read for their counts
_EVENT_NOUN_PREPOSITIONS = frozenset({"on", "of", "against"})
_NESTED_PLACE_PREPOSITIONS = frozenset({"of", "in", "at", "near"})
Relation = tuple[int, int, str, float]
# The word-order relations kept where the parse links nothing (why: docs/decisions.md, "Word-order
# relations").
_FALLBACK = frozenset({"agent", "quantity"})


def _head(doc: DocView, span: Candidate) -> int:
    """The token of the span whose head lies outside it."""
    heads = doc.heads
    for i in range(span.start, span.end):
        if not span.start <= heads[i] < span.end or heads[i] == i:
            return i
    return span.start


_OPENER_REACH = 8


def _opening_places(doc: DocView, spans: list[Candidate], owner: list[int]) -> dict[int, list[int]]:
    """Sentence -> the LOCATIONs of its opening spatial phrase ("Near Ar Raqqah, ...", "In Syria and
    Iraq, ..."): a spatial preposition first (after bullets), then places, then a comma."""
    found: dict[int, list[int]] = {}
    lower = doc.lower
    for number, (first, end) in enumerate(doc.sentences):
        p = first
        while p < end and not lower[p][0].isalnum():
            p += 1
        if p >= end or lower[p] not in SPATIAL_PREPOSITIONS:
            continue
        comma = next((j for j in range(p + 1, min(end, p + _OPENER_REACH)) if lower[j] == ","), None)
        if comma is None:
            continue
        places = sorted(
            {owner[j] for j in range(p + 1, comma) if owner[j] >= 0 and spans[owner[j]].label == "LOCATION"}
        )
        if places:
            found[number] = places
    return found


def parsed_relations(doc: DocView, spans: list[Candidate], fallback: Callable[[], list[Relation]]) -> list[Relation]:
    """Relations as (head index, tail index, label, score) into `spans` (sorted by start), from
    the parse of `doc` (see the module); `fallback()` gives the word-order relations. Head and
    tail are always in one sentence."""
    owner = [-1] * (len(doc) + 1)  # token -> the span holding it
    for k, span in enumerate(spans):
        owner[span.start : span.end] = [k] * (span.end - span.start)
    children = doc.children
    deps, lower, heads = doc.deps, doc.lower, doc.heads

    def of(t: int, label: str) -> int | None:
        k = owner[t] if t >= 0 else -1
        return k if k >= 0 and spans[k].label == label else None

    def kids(t: int, *wanted: str) -> list[int]:
        return [c for c in children.get(t, ()) if deps[c] in wanted]

    def through_of(t: int, label: str) -> int | None:
        """The `label` span of the object of "of" under token t ("group of militants")."""
        for prep in kids(t, "prep"):
            if lower[prep] == "of":
                for obj in kids(prep, "pobj"):
                    if of(obj, label) is not None:
                        return of(obj, label)
        return None

    relations: list[Relation] = []
    counts_of: dict[int, int] = {}  # ACTOR -> its COUNT
    counted: dict[int, int] = {}  # COUNT -> the ACTOR it counts
    for k, span in enumerate(spans):
        if span.label != "COUNT":
            continue
        root = _head(doc, span)
        actor = of(heads[root], "ACTOR") if deps[root] in _COUNT_DEPS else None
        if actor is None:
            actor = through_of(root, "ACTOR")
        if actor is not None and actor not in counts_of:
            relations.append((k, actor, "counts", 0.6))
            counts_of[actor], counted[k] = k, actor

    # the word-order rules' counts where the parse found none ("forces, several hundred of whom")
    rest = []
    for relation in fallback():
        if relation[2] == "counts" and relation[0] not in counted and relation[1] not in counts_of:
            relations.append(relation)
            counts_of[relation[1]], counted[relation[0]] = relation[0], relation[1]
        elif relation[2] in _FALLBACK:
            rest.append(relation)

    def antecedent(t: int) -> int | None:
        """The ACTOR a pronoun at `t` stands for: the ACTOR subject of a clause it is embedded in
        ("The SDF announced that they began their advance": R3), same sentence only."""
        if lower[t] not in _PRONOUNS:
            return None
        up = heads[t]
        for _ in range(_CLAUSE_STEPS):
            if heads[up] == up:
                break
            up = heads[up]
            for s in kids(up, "nsubj"):
                if s != t and of(s, "ACTOR") is not None:
                    return of(s, "ACTOR")
        return None

    def subject(a: int, depth: int = 0) -> tuple[int | None, int | None]:
        """(ACTOR, COUNT) of the verb at `a`'s subject."""
        for t in kids(a, "nsubj"):
            if antecedent(t) is not None:
                return antecedent(t), counts_of.get(antecedent(t))
            if of(t, "ACTOR") is not None:
                return of(t, "ACTOR"), counts_of.get(of(t, "ACTOR"))
            if of(t, "COUNT") is not None and of(t, "COUNT") in counted:
                return counted[of(t, "COUNT")], of(t, "COUNT")
            inner = through_of(t, "ACTOR")
            if inner is not None:
                return inner, counts_of.get(inner)
            if lower[t] in _RELATIVES and deps[a] == "relcl" and of(heads[a], "ACTOR") is not None:
                return of(heads[a], "ACTOR"), counts_of.get(of(heads[a], "ACTOR"))  # "troops, who fled"
            if of(t, "ACTION") is not None:
                return None, None  # "one strike destroyed a VBIED": the count is the strike's (C1)
            number = next((of(c, "COUNT") for c in kids(t, "nummod") if of(c, "COUNT") is not None), None)
            return None, number  # a subject that is no ACTOR ("10 districts have fallen"): its count at most
        for by in kids(a, "agent"):
            for t in kids(by, "pobj"):
                if of(t, "ACTOR") is not None:
                    return of(t, "ACTOR"), counts_of.get(of(t, "ACTOR"))
                owner_of = crew(t)  # "killed by U.S.-led coalition aircraft": the group (A5)
                if owner_of is not None:
                    return owner_of, counts_of.get(owner_of)
        for prep in kids(a, "prep"):  # "killed at the hands of Assad"
            for hands in kids(prep, "pobj"):
                if lower[hands] == "hands":
                    inner = through_of(hands, "ACTOR")
                    if inner is not None:
                        return inner, counts_of.get(inner)
        if kids(a, "nsubjpass"):
            return None, None
        if deps[a] == "xcomp" and heads[a] != a:  # "authorized the forces to enter": the object
            for t in kids(heads[a], "dobj"):
                if of(t, "ACTOR") is not None:
                    return of(t, "ACTOR"), counts_of.get(of(t, "ACTOR"))
        if doc.lemmas[heads[a]] in SUFFERING_VERBS:
            return None, None  # "civilians are facing shelling": who suffers is no agent (R4)
        if heads[a] != a and depth < 3 and (deps[a] in _INHERIT_DEPS or (deps[a] == "advcl" and doc.tags[a] == "VBG")):
            return subject(heads[a], depth + 1)  # "fled and crossed", "began to flee", ", capturing"
        if deps[a] == "pcomp" and heads[a] != a and depth < 3 and heads[heads[a]] != heads[a]:
            return subject(heads[heads[a]], depth + 1)  # "took refuge after fighting the Taliban"
        if deps[a] == "amod" and doc.tags[a] == "VBG" and of(heads[a], "ACTOR") is not None:
            return of(heads[a], "ACTOR"), counts_of.get(of(heads[a], "ACTOR"))  # "retreating forces"
        if deps[a] in ("relcl", "acl") and not doc.tags[a] == "VBN" and of(heads[a], "ACTOR") is not None:
            return of(heads[a], "ACTOR"), counts_of.get(of(heads[a], "ACTOR"))
        return None, None

    def nominal_agent(a: int) -> int | None:
        """Of a nominal ACTION: its possessor or name modifier ("the Taliban offensive"), "of" or
        "by" X, else the subject of the verb it is the object of ("forces conducted 26 strikes")."""
        own = _own_nominal_agent(a)
        verb = carried_by(a)
        if own is None and verb is not None:
            return subject(verb)[0]
        return own

    def carried_by(a: int) -> int | None:
        """The light verb (or ACTION verb) whose object the nominal ACTION at `a` is, if any."""
        verb = heads[a]
        if (
            deps[a] in ("dobj", "nsubjpass")
            and verb != a
            and doc.pos[verb] == "VERB"
            and (doc.lemmas[verb] in LIGHT_VERBS or of(verb, "ACTION") is not None)
        ):
            return verb
        return None

    def _own_nominal_agent(a: int) -> int | None:
        for t in kids(a, *_NOMINAL_AGENT_DEPS):
            if t < a and of(t, "ACTOR") is not None:
                return of(t, "ACTOR")
            if t < a and deps[t] == "poss" and antecedent(t) is not None:
                return antecedent(t)  # "the SDF ... their advance"
        for prep in kids(a, "prep", "agent"):
            if lower[prep] in ("of", "by"):
                for t in kids(prep, "pobj"):
                    if of(t, "ACTOR") is not None:
                        return of(t, "ACTOR")
        return None

    def place_in(t: int, depth: int = 0) -> list[int]:
        """The LOCATIONs at token t or named in its noun phrase ("the city of Kunduz", "most of
        the provinces of Badakhshan and Dakar")."""
        if of(t, "LOCATION") is not None:
            found = [of(t, "LOCATION")]
            for c in kids(t, "conj", "appos"):  # "Badakhshan and Takhar", "Raqqah, Syria": each (L6)
                found += place_in(c, depth + 1) if depth < 8 else []
            return found
        found = []
        if depth < 4:
            for c in children.get(t, ()):  # "an attack on a petrol station in al-Hilla"
                if deps[c] in _PLACE_LINKS and (deps[c] != "prep" or lower[c] in _NESTED_PLACE_PREPOSITIONS):
                    found += place_in(c, depth + 1)
        return found

    def places(a: int) -> list[int]:
        found = []
        heads_of_preps = [a] + kids(a, "advmod", "acomp")  # "moved closer to X"
        nominal = doc.pos[a] == "NOUN"  # "the assault on Sadah", "the assault of Husaybah"
        for h in heads_of_preps:
            for prep in kids(h, "prep"):
                if lower[prep] in _PLACE_PREPOSITIONS or (nominal and lower[prep] in _EVENT_NOUN_PREPOSITIONS):
                    for t in kids(prep, "pobj"):
                        found += place_in(t)
        for t in kids(a, "dobj", "nsubjpass"):  # "entered Tajikistan", "the Barrage was captured"
            found += place_in(t)
        # a spatial phrase the parser hung on an argument places the event too: "militias in
        # Badakhshan fought", "attacked by fighters near Kunduz", "seized a base near Herat"
        arguments = kids(a, "nsubj", "dobj") + [o for by in kids(a, "agent") for o in kids(by, "pobj")]
        for t in arguments:
            for prep in kids(t, "prep"):
                if lower[prep] in SPATIAL_PREPOSITIONS:
                    for o in kids(prep, "pobj"):
                        found += place_in(o)
        return list(dict.fromkeys(found))

    def crew(t: int) -> int | None:
        """The ACTOR named as the modifier of a vehicle or weapon at `t` ("coalition aircraft")."""
        for c in kids(t, "compound", "nmod", "amod", "poss"):
            if of(c, "ACTOR") is not None:
                return of(c, "ACTOR")
        return None

    def coordinated(k: int) -> list[int]:
        """The ACTORs coordinated with ACTOR span k ("Assad and ISIL")."""
        found, t = [], _head(doc, spans[k])
        for _ in range(4):
            nxt = next((c for c in kids(t, "conj") if of(c, "ACTOR") is not None and of(c, "ACTOR") != k), None)
            if nxt is None:
                break
            found.append(of(nxt, "ACTOR"))
            t = nxt
        return found

    def counted_things(a: int) -> list[int]:
        """The COUNT of the event noun at `a` ("26 strikes": C1), or those of what the verb at `a`
        hits, moves or uses, each item of a list ("destroyed 967 vehicle bombs, 111 tunnels",
        "30 Britons were murdered": C2, R6)."""
        if doc.pos[a] == "NOUN":
            return [of(c, "COUNT") for c in kids(a, "nummod") if of(c, "COUNT") is not None][:1]
        found, objects = [], kids(a, "dobj", "nsubjpass")
        for _ in range(_LIST_REACH):
            if not objects:
                break
            t = objects.pop(0)
            found += [of(c, "COUNT") for c in kids(t, "nummod") if of(c, "COUNT") is not None][:1]
            if of(t, "COUNT") is not None:
                found.append(of(t, "COUNT"))
            objects += kids(t, "conj")
        return list(dict.fromkeys(found))

    def counted_thing(a: int) -> int | None:
        things = counted_things(a)
        return things[0] if things else None

    linked: set[tuple[int, str]] = set()
    placed: dict[int, list[int]] = {}  # ACTION token -> its places
    for k, span in enumerate(spans):
        if span.label != "ACTION":
            continue
        a = span.start  # a trigger is one word, or a phrase led by its verb
        if span.end - span.start > 1 and doc.pos[a] == "PROPN":
            a = _head(doc, span)  # a named operation: "Operation Inherent Resolve"
        agent, count = subject(a) if doc.pos[a] != "NOUN" else (nominal_agent(a), None)
        if doc.lemmas[a] in NO_AGENT_LEMMAS:
            agent = None  # who dies or is hurt is never the agent (guidelines V10); the count stays
            linked.add((k, "agent"))  # nor a word-order one
        if agent is None and kids(a, "nsubjpass"):
            linked.add((k, "agent"))  # "30 civilians were murdered": a passive's subject is no doer (R4)
        if count is None or agent is None:
            # "three strikes destroyed two bridges": the number of what it hits (C2) before that
            # of a subject that is no ACTOR
            count = counted_thing(a) if counted_thing(a) is not None else count
        if agent is not None:
            relations.append((k, agent, "agent", 0.6))
            linked.add((k, "agent"))
            for other in coordinated(agent):  # "by the Asad regime and militias": each (R2)
                relations.append((k, other, "agent", 0.55))
            count = counts_of.get(agent) if count is None else count
        if count is None and doc.pos[a] == "NOUN":
            count = through_of(a, "COUNT")
        if count is not None:
            relations.append((k, count, "quantity", 0.55))
            linked.add((k, "quantity"))
            for other in counted_things(a)[1:] if count == counted_thing(a) else ():
                relations.append((k, other, "quantity", 0.5))  # every counted item of the list
        found = places(a)
        if not found and doc.pos[a] == "NOUN" and carried_by(a) is not None and of(carried_by(a), "ACTION") is None:
            found = places(carried_by(a))  # "In Syria, forces conducted 26 strikes"
        up = a
        for _ in range(_CLAUSE_STEPS):  # "Near Ar Raqqah, 12 strikes engaged ... and destroyed":
            if found or heads[up] == up or deps[up] not in _CLAUSE_DEPS:  # the clause's place (L1, R5)
                break
            up = heads[up]
            found = places(up)
        placed[a] = found
        for place in found:
            relations.append((k, place, "place", 0.55))
            linked.add((k, "place"))
    # a sentence opened by a place ("Near Ar Raqqah, 12 strikes engaged ...; destroyed ...") places
    # every ACTION of it (L1, R5), however the parser hung the opener
    opened = _opening_places(doc, spans, owner)
    for k, span in enumerate(spans):
        if span.label == "ACTION" and not placed.get(span.start):
            for place in opened.get(doc.sentence_of(span.start), ()):
                relations.append((k, place, "place", 0.5))
            placed[span.start] = list(opened.get(doc.sentence_of(span.start), ()))
    # coordinated ACTIONs share a place one of them has (R2): "to degrade and defeat ISIL in Syria"
    for k, span in enumerate(spans):
        a = span.start
        if span.label != "ACTION" or kids(a, "dobj"):
            continue  # "crossed the border and fled into Tajikistan": an object of its own
        if not placed.get(a) and deps[a] == "conj" and placed.get(heads[a]):
            for place in placed[heads[a]]:
                relations.append((k, place, "place", 0.5))
        if not placed.get(a):
            shared = next((placed[c] for c in kids(a, "conj") if placed.get(c)), [])
            for place in shared:
                relations.append((k, place, "place", 0.5))
    for k in counted:
        linked.add((k, "counts"))
    for relation in rest:
        if (relation[0], relation[2]) not in linked:
            relations.append(relation)
    sentence_of = doc.sentence_of
    return [r for r in relations if sentence_of(spans[r[0]].start) == sentence_of(spans[r[1]].start)]
