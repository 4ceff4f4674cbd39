"""What the argument linker reads: the candidate pairs of a document's spans and their features.

A candidate is an ordered pair (head span, tail span) whose labels are the (from, to) labels of a
relation type of the schema (ACTION -> ACTOR: agent, ACTION -> LOCATION: place, ACTION -> COUNT:
quantity, COUNT -> ACTOR: counts), within the linker's window: the same sentence (`same_sentence`)
and at most `reach` tokens between the two spans (None: no limit). Spans are the rules' `Candidate`
token ranges over a `DocView` (newsgold's tokens, with the language layer's analysis when the
linker reads it), sorted by start, as `RuleAnnotator.finish` and `relations.find_relations` take
them, so the linker links exactly what the rules would.

Features of a pair (each also conjoined with the label pair, so one classifier learns each type
its own weights): the label pair, order and token distance (bucketed), sentence boundary, the
head words' lemmas (the trigger's lemma), their part of speech and dependency, whether one span's
head word governs the other's and by which dependency, the dependency path between them, the
words between (a bag, up to `_BAG` words), punctuation, verbs and the other spans between (their
labels, and whether a span of the tail's label lies closer), the words around both spans, and
the rules' own decision for the pair (the relation `find_relations` draws, or none), and how sure
each span is (its score in fifths: a gold span's 1, a predicted one the rules' or the model's
score, so the linker learns how rarely an unsure predicted span carries a relation; measured by
tests/bench/bench_events.py on validation and by 3-fold cross-validation on train).
"""

from __future__ import annotations

from newsgold.annotate.preannotate.view import Candidate, DocView

_BAG = 12  # words between two spans read as a bag (the nearest, from each side)
_PATH = 4  # dependency steps on each side of the path before it is called long
_PUNCT = frozenset(",;:()—–-\"'")


def bucket(n: int) -> str:
    for top in (0, 1, 2, 3, 5, 8, 12, 20, 30):
        if n <= top:
            return str(top)
    return "more"


def label_pairs(relation_ends: dict[str, tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """(from label, to label) -> the relation types that join them, in schema order."""
    found: dict[tuple[str, str], list[str]] = {}
    for name, ends in relation_ends.items():
        found.setdefault(tuple(ends), []).append(name)
    return found


def gap(a: Candidate, b: Candidate) -> int:
    """Tokens between two non-overlapping spans."""
    return b.start - a.end if a.end <= b.start else a.start - b.end


def candidate_pairs(
    doc: DocView, spans: list[Candidate], pairs: dict, same_sentence: bool = True, reach: int | None = None
) -> list[tuple[int, int]]:
    """(head index, tail index) of every pair of `spans` whose labels a relation type joins, within
    the window (see the module)."""
    sentence = [doc.sentence_of(s.start) for s in spans]
    found = []
    for i, head in enumerate(spans):
        for j, tail in enumerate(spans):
            if i == j or (head.label, tail.label) not in pairs:
                continue
            if same_sentence and sentence[i] != sentence[j]:
                continue
            if reach is not None and gap(head, tail) > reach:
                continue
            found.append((i, j))
    return found


def head_token(doc: DocView, span: Candidate) -> int:
    """The token of the span whose syntactic head lies outside it (its last token without a parse)."""
    if doc.heads is None:
        return span.end - 1
    for i in range(span.start, span.end):
        h = doc.heads[i]
        if h == i or not span.start <= h < span.end:
            return i
    return span.end - 1


def _ancestors(doc: DocView, t: int) -> list[int]:
    chain = [t]
    while doc.heads[chain[-1]] != chain[-1] and len(chain) < 50:
        chain.append(doc.heads[chain[-1]])
    return chain


def dependency_path(doc: DocView, a: int, b: int) -> str:
    """The dependencies from token a up to the lowest common ancestor (^) and down to b (v)."""
    up, down = _ancestors(doc, a), _ancestors(doc, b)
    common = next((t for t in up if t in set(down)), None)
    if common is None:
        return "none"
    rise, fall = up[: up.index(common)], down[: down.index(common)]
    if len(rise) > _PATH or len(fall) > _PATH:
        return "long"
    return "".join(f"^{doc.deps[t]}" for t in rise) + "|" + "".join(f"v{doc.deps[t]}" for t in reversed(fall))


class Features:
    """The features of the candidate pairs of one document (see the module); `rules` maps
    (head index, tail index) to the relation type the rules draw for the pair."""

    def __init__(self, doc: DocView, spans: list[Candidate], rules: dict[tuple[int, int], str]):
        self.doc, self.spans, self.rules = doc, spans, rules
        self.heads = [head_token(doc, s) for s in spans]
        self.owner = [-1] * (len(doc) + 1)
        for k, s in enumerate(spans):
            self.owner[s.start : s.end] = [k] * (s.end - s.start)
        # the types the rules draw from each head and to each tail (to any span)
        self.drawn_from = {(h, label) for (h, _), label in rules.items()}
        self.drawn_to = {(t, label) for (_, t), label in rules.items()}
        self.by_label: dict[str, list[int]] = {}
        for k, s in enumerate(spans):
            self.by_label.setdefault(s.label, []).append(k)

    def rank(self, i: int, j: int, label: str) -> int:
        """How many spans of `label` lie nearer to span i than span j does, on j's side."""
        spans, here = self.spans, self.spans[i]
        side = spans[j].start < here.start
        d = gap(here, spans[j])
        return sum(
            1
            for k in self.by_label.get(label, ())
            if k not in (i, j) and (spans[k].start < here.start) == side and gap(here, spans[k]) < d
        )

    def word(self, t: int) -> str:
        doc = self.doc
        if not 0 <= t < len(doc):
            return "<none>"
        return doc.lemmas[t] if doc.lemmas is not None else doc.lower[t]

    def of(self, i: int, j: int) -> dict[str, float]:
        doc, spans = self.doc, self.spans
        head, tail = spans[i], spans[j]
        hi, ti = self.heads[i], self.heads[j]
        before = tail.end <= head.start
        first, last = (tail, head) if before else (head, tail)
        between = range(first.end, last.start)
        f: dict[str, float] = {
            "order": 1.0 if before else 0.0,
            f"order={'before' if before else 'after'}": 1.0,
            f"dist={bucket(len(between))}": 1.0,
            "same_sentence": float(doc.sentence_of(head.start) == doc.sentence_of(tail.start)),
            f"h_lemma={self.word(hi)}": 1.0,
            f"t_lemma={self.word(ti)}": 1.0,
            f"h_prev={self.word(head.start - 1)}": 1.0,
            f"h_next={self.word(head.end)}": 1.0,
            f"t_prev={self.word(tail.start - 1)}": 1.0,
            f"t_next={self.word(tail.end)}": 1.0,
            f"rule={self.rules.get((i, j), 'none')}": 1.0,
            f"tail_rank={bucket(self.rank(i, j, tail.label))}": 1.0,
            f"head_rank={bucket(self.rank(j, i, head.label))}": 1.0,
            f"h_score={min(int(head.score * 5), 4)}": 1.0,
            f"t_score={min(int(tail.score * 5), 4)}": 1.0,
        }
        if (i, j) not in self.rules:
            for label in {label for (h, label) in self.drawn_from if h == i}:
                f[f"rule_from_head_elsewhere={label}"] = 1.0
            for label in {label for (t, label) in self.drawn_to if t == j}:
                f[f"rule_to_tail_elsewhere={label}"] = 1.0
        near = list(between)
        if len(near) > _BAG:
            near = near[: _BAG // 2] + near[-_BAG // 2 :]
        for t in near:
            if self.owner[t] < 0:
                f[f"w={doc.lower[t]}"] = 1.0
        punct = [doc.lower[t] for t in between if doc.lower[t] in _PUNCT]
        for p in set(punct):
            f[f"punct={p}"] = 1.0
        f[f"punct_n={bucket(len(punct))}"] = 1.0
        others = {self.owner[t] for t in between if self.owner[t] >= 0}
        for k in others:
            f[f"span_between={spans[k].label}"] = 1.0
        f[f"spans_between={bucket(len(others))}"] = 1.0
        if any(spans[k].label == tail.label for k in others):
            f["closer_same_label"] = 1.0
        if doc.heads is not None:
            verbs = sum(1 for t in between if doc.pos[t] in ("VERB", "AUX"))
            f[f"verbs_between={bucket(verbs)}"] = 1.0
            f[f"h_pos={doc.pos[hi]}"] = f[f"t_pos={doc.pos[ti]}"] = 1.0
            f[f"h_dep={doc.deps[hi]}"] = f[f"t_dep={doc.deps[ti]}"] = 1.0
            if head.start <= doc.heads[ti] < head.end:
                f[f"h_governs_t={doc.deps[ti]}"] = 1.0
            if tail.start <= doc.heads[hi] < tail.end:
                f[f"t_governs_h={doc.deps[hi]}"] = 1.0
            if doc.heads[hi] == doc.heads[ti] and hi != doc.heads[hi]:
                f[f"siblings={doc.deps[hi]}+{doc.deps[ti]}"] = 1.0
            f[f"path={dependency_path(doc, hi, ti)}"] = 1.0
            f[f"path_lemma={dependency_path(doc, hi, ti)}+{self.word(hi)}"] = 1.0
        pair = f"{head.label}>{tail.label}"
        conjoined = {f"{pair}|{k}": v for k, v in f.items()}
        conjoined[f"pair={pair}"] = 1.0
        return {**f, **conjoined}
