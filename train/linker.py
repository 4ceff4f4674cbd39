"""The argument linker: the relations between spans, learned from the gold's relations.

    linker = fit_linker(train_records, schema.relation_ends)         # gold JSONL records
    linker.link(doc, spans)   # [(head index, tail index, type, score)], as find_relations returns

For each candidate pair of spans (`linkfeatures.candidate_pairs`: labels a relation type of the
schema joins, within the window) a logistic regression over the pair's features
(`linkfeatures.Features`) gives each type joining those labels, or none, a probability. Decoding
keeps, best first, each pair whose type's share of (type + none) passes `threshold` (0.5: likelier
than none), within the limits the train gold shows (`limits`): at most as many tails per head,
and heads per tail, of a type as 95% of the gold's heads (tails) have.

At use the linker links predicted spans (partial, split, missing, spurious), so it learns from
both the gold spans and the spans the rules predict for the same training documents (`noisy`,
`rule_spans`): a pair of predicted spans is a relation when both are exactly the ends of a gold
relation (`carried`), else none. The classifier, the features and the limits know the relation types
only through the schema's relation ends.

`compare` scores the linker and the rules' relation builder on the gold spans of held-out
records (relation micro F1, strict, both endpoints and the type right; and the event scores'
argument classification micro F1); `train.model.fit_model` draws relations with the one that
scores better (`choose`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter

from sklearn.base import BaseEstimator

from newsgold.annotate.preannotate.relations import find_relations
from newsgold.annotate.preannotate.view import Candidate, DocView
from newsgold.train.linkfeatures import Features, candidate_pairs, label_pairs

NONE = "none"
SHARE = 0.95  # the decoding limits cover this share of the train gold's heads (tails)
FOLDS = 3  # cross-validation folds when there is no validation split to choose on


class ArgumentLinker(BaseEstimator):
    """A learned relation builder over spans (see the module). `pipeline`: read the language
    layer's analysis (the parse); without it, words and spans alone."""

    def __init__(
        self,
        C: float = 3.0,
        same_sentence: bool = True,
        reach: int | None = 20,
        pipeline: bool = True,
        noisy: bool = True,
        threshold: float = 0.5,
    ):
        self.C = C
        self.same_sentence = same_sentence
        self.reach = reach
        self.pipeline = pipeline
        self.noisy = noisy
        self.threshold = threshold

    def _pairs(self) -> dict[tuple[str, str], list[str]]:
        return label_pairs(self.relation_ends_)

    def _examples(self, doc: DocView, spans: list[Candidate], gold_for=None):
        pairs = candidate_pairs(doc, spans, self._pairs(), self.same_sentence, self.reach)
        if gold_for is not None:  # a document is gold for a type only when it is gold for both its labels
            pairs = [(i, j) for i, j in pairs if spans[i].label in gold_for and spans[j].label in gold_for]
        rules = {(h, t): label for h, t, label, _ in find_relations(doc, spans)}
        features = Features(doc, spans, rules)
        return pairs, [features.of(i, j) for i, j in pairs]

    def fit(
        self,
        docs: list[DocView],
        spans: list[list[Candidate]],
        relations: list[list[tuple[int, int, str]]],
        gold_for: list[set[str]],
        relation_ends: dict[str, tuple[str, str]],
        predicted: list[list[Candidate]] | None = None,
    ) -> "ArgumentLinker":
        """Learn from documents' views, their gold spans (Candidates sorted by start), gold relations
        as (head index, tail index, type) and the labels each document is gold for; with `noisy`,
        also from spans predicted for the same documents by what did not learn from them
        (`predicted`, by default the rules' spans: `rule_spans`), their pairs labelled by the gold
        relations they carry (`carried`)."""
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression

        self.relation_ends_ = {name: list(ends) for name, ends in relation_ends.items()}
        examples = list(zip(docs, spans, relations, gold_for))
        if self.noisy:
            predicted = predicted if predicted is not None else rule_spans(docs, self.pipeline)
            examples += [
                (doc, found, carried(gold, links, found), labels)
                for (doc, gold, links, labels), found in zip(examples, predicted)
            ]
        X, y = [], []
        for doc, found, links, labels in examples:
            gold = {(h, t): label for h, t, label in links}
            pairs, features = self._examples(doc, found, labels)
            X += features
            y += [gold.get(pair, NONE) for pair in pairs]
        classes = sorted(set(y))
        if len(classes) < 2:
            raise ValueError("the gold has no relation within the linker's window, or nothing else: nothing to learn")
        self.vectorizer_ = DictVectorizer()
        self.classifier_ = LogisticRegression(C=self.C, max_iter=2000)
        self.classifier_.fit(self.vectorizer_.fit_transform(X), y)
        self.limits_ = limits(relations)
        self.candidates_ = len(y)
        self.positives_ = sum(1 for label in y if label != NONE)
        return self

    def link(self, doc: DocView, spans: list[Candidate]) -> list[tuple[int, int, str, float]]:
        """Relations as (head index, tail index, type, score) into `spans` (Candidates sorted by
        start), like `find_relations`."""
        pairs, features = self._examples(doc, spans)
        if not pairs:
            return []
        probabilities = self.classifier_.predict_proba(self.vectorizer_.transform(features))
        column = {label: k for k, label in enumerate(self.classifier_.classes_)}
        none = column.get(NONE)
        scored = []
        for (i, j), p in zip(pairs, probabilities):
            for name in self._pairs()[spans[i].label, spans[j].label]:
                if name not in column:
                    continue
                yes, no = p[column[name]], p[none] if none is not None else 0.0
                score = yes / (yes + no) if yes + no > 0 else 0.0
                if score > self.threshold:
                    scored.append((score, i, j, name))
        heads, tails, taken, found = Counter(), Counter(), set(), []
        head_limit, tail_limit = self.limits_["head"], self.limits_["tail"]
        for score, i, j, name in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
            if (
                (i, j) in taken
                or heads[name, i] >= head_limit.get(name, 1)
                or tails[name, j] >= tail_limit.get(name, 1)
            ):
                continue
            taken.add((i, j))
            heads[name, i] += 1
            tails[name, j] += 1
            found.append((i, j, name, round(float(score), 3)))
        return sorted(found)


def rule_spans(docs: list[DocView], pipeline: bool = True) -> list[list[Candidate]]:
    """The spans the rules predict for each document (`RuleAnnotator.resolved`): the spans the
    linker links at use are these, with the model's where the merge adds them. The rules learn
    nothing from the gold, so their spans on the training documents are as noisy (partial, split,
    missing, spurious) as on unseen ones: no cross-fitting is needed to learn from them."""
    from newsgold.annotate.preannotate import RuleAnnotator

    rules = RuleAnnotator(pipeline=pipeline).warm_up()
    return [rules.resolved(doc) for doc in docs]


def carried(
    gold: list[Candidate], links: list[tuple[int, int, str]], predicted: list[Candidate]
) -> list[tuple[int, int, str]]:
    """The gold relations carried onto `predicted` spans: (head index, tail index, type) into
    `predicted` for each gold relation whose head and tail spans were both predicted exactly (the
    same tokens and label: what strict scoring credits). A pair touching a partial or spurious
    span is no relation: linking it would be wrong under strict scoring."""
    at = {(c.start, c.end, c.label): k for k, c in enumerate(predicted)}
    found = []
    for h, t, name in links:
        i, j = at.get(gold[h][:3]), at.get(gold[t][:3])
        if i is not None and j is not None and i != j:
            found.append((i, j, name))
    return found


def limits(relations: list[list[tuple[int, int, str]]]) -> dict[str, dict[str, int]]:
    """Per type, the fewest tails per head (`head`) and heads per tail (`tail`) that SHARE of the
    gold's heads (tails) of that type stay within."""
    found = {}
    for side, key in (("head", lambda r: r[0]), ("tail", lambda r: r[1])):
        per: dict[str, Counter] = {}
        for document, links in enumerate(relations):
            for r in links:
                per.setdefault(r[2], Counter())[document, key(r)] += 1
        found[side] = {}
        for name, counts in per.items():
            sizes = sorted(counts.values())
            k = 1
            while sum(1 for n in sizes if n <= k) < SHARE * len(sizes):
                k += 1
            found[side][name] = k
    return found


# ---------------------------------------------------------------- gold records <-> candidates


def views(texts: list[str], pipeline: bool = True) -> list[DocView]:
    """DocViews of `texts`, analysed by the language layer in one call when `pipeline`."""
    if not pipeline:
        return [DocView(text) for text in texts]
    from newsgold.annotate.language import language

    return [DocView(text, analysis) for text, analysis in zip(texts, language().analyse(texts))]


def record_spans(record: dict, doc: DocView) -> tuple[list[Candidate], list[str]]:
    """The record's spans as Candidates over the view's tokens (each token the span touches),
    sorted by start, and their ids in that order."""
    spans = sorted(record.get("spans") or [], key=lambda s: (s["start"], s["end"]))
    found, ids = [], []
    for s in spans:
        first = max(bisect_right(doc.ends, s["start"]), 0)
        last = max(bisect_right(doc.starts, s["end"] - 1), first + 1)
        found.append(Candidate(first, last, s["label"], float(s.get("score") or 1.0)))
        ids.append(s.get("id"))
    return found, ids


def record_relations(record: dict, ids: list[str]) -> list[tuple[int, int, str]]:
    at = {span_id: k for k, span_id in enumerate(ids) if span_id}
    return [
        (at[r["head"]], at[r["tail"]], r["label"])
        for r in record.get("relations") or []
        if r.get("head") in at and r.get("tail") in at
    ]


def fit_linker(
    records: list[dict], relation_ends: dict, labels, pipeline: bool = True, docs=None, predicted=None, **params
) -> ArgumentLinker:
    """An ArgumentLinker fitted on gold `records` (JSONL shape: spans with ids, relations by id,
    annotated_labels; `labels`: what a record without annotated_labels is gold for), and on the
    `predicted` spans of each record (`ArgumentLinker.fit`)."""
    docs = docs if docs is not None else views([r["text"] for r in records], pipeline)
    spans, relations = [], []
    for record, doc in zip(records, docs):
        found, ids = record_spans(record, doc)
        spans.append(found)
        relations.append(record_relations(record, ids))
    gold_for = [set(r.get("annotated_labels") or labels) for r in records]
    return ArgumentLinker(pipeline=pipeline, **params).fit(docs, spans, relations, gold_for, relation_ends, predicted)


def linked_records(records: list[dict], link, docs: list[DocView]) -> dict[str, dict]:
    """Document id -> the record with its gold spans and the relations `link(doc, spans)` draws
    between them (the linker's `link`, or the rules' `find_relations`)."""
    found = {}
    for record, doc in zip(records, docs):
        spans, ids = record_spans(record, doc)
        relations = [{"head": ids[h], "tail": ids[t], "label": label} for h, t, label, _ in link(doc, spans)]
        found[record["id"]] = {**record, "relations": relations}
    return found


def scores(records: list[dict], predicted: dict[str, dict], relation_ends: dict, labels) -> dict:
    """Relation micro F1 (strict) and argument classification micro F1 (strict) of `predicted`."""
    from newsgold.annotate.eventscoring import event_scores
    from newsgold.annotate.relscoring import relation_scores

    relations = relation_scores(records, predicted, relation_ends, labels)["micro"]["strict"]
    events = event_scores(records, predicted, relation_ends, labels)
    arguments = events["argument_classification"]["micro"]["strict"]
    return {"relation_f1": relations["f1"], "argument_f1": arguments["f1"]}


def compare(linker: ArgumentLinker, records: list[dict], relation_ends: dict, labels, docs=None) -> dict:
    """{"linker": scores, "rules": scores} on the gold spans of `records`."""
    docs = docs if docs is not None else views([r["text"] for r in records], linker.pipeline)
    return {
        name: scores(records, linked_records(records, link, docs), relation_ends, labels)
        for name, link in (("linker", linker.link), ("rules", find_relations))
    }


def _f1(figures: dict) -> float:
    return figures["relation_f1"] if figures["relation_f1"] is not None else -1.0


def choose(
    train: list[dict], validation: list[dict], relation_ends: dict, labels, pipeline: bool = True, **params
) -> tuple[ArgumentLinker | None, dict]:
    """The linker fitted on `train`, and the choice of what draws relations: the linker when its
    relation F1 on the gold spans of `validation` (else of FOLDS cross-validation folds of `train`,
    by document) beats the rules'. (None, choice with `reason`) when nothing can be learned."""
    docs = views([r["text"] for r in train], pipeline)
    try:
        linker = fit_linker(train, relation_ends, labels, pipeline, docs, **params)
    except ValueError as exc:
        return None, {"relations": "rules", "reason": str(exc)}
    held = [r for r in validation if r.get("relations")]
    if held:
        figures, chosen_on = (
            compare(linker, validation, relation_ends, labels),
            f"validation ({len(validation)} documents)",
        )
    else:
        figures, chosen_on = (
            _cross_validated(train, docs, relation_ends, labels, pipeline, params),
            (f"{FOLDS}-fold cross-validation of train ({len(train)} documents): no validation gold with relations"),
        )
    relations = "linker" if _f1(figures["linker"]) > _f1(figures["rules"]) else "rules"
    return linker, {"relations": relations, "chosen_on": chosen_on, "scores": figures}


def _cross_validated(train, docs, relation_ends, labels, pipeline, params) -> dict:
    """The linker (fitted on the other folds) and the rules scored on each fold, pooled."""
    predicted = {"linker": {}, "rules": {}}
    folds = min(FOLDS, len(train))
    for fold in range(folds):
        held = [k for k in range(len(train)) if k % folds == fold]
        rest = [k for k in range(len(train)) if k % folds != fold]
        try:
            linker = fit_linker(
                [train[k] for k in rest], relation_ends, labels, pipeline, [docs[k] for k in rest], **params
            )
            link = linker.link
        except ValueError:

            def link(doc, spans):
                return []

        records, held_docs = [train[k] for k in held], [docs[k] for k in held]
        predicted["linker"].update(linked_records(records, link, held_docs))
        predicted["rules"].update(linked_records(records, find_relations, held_docs))
    return {name: scores(train, found, relation_ends, labels) for name, found in predicted.items()}
