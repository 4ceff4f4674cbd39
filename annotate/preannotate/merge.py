"""The rules and a trained model as one pre-annotator, merged per label.

    merged = MergedAnnotator(RuleAnnotator().warm_up(), TaggerAnnotator(tagger, version))
    merged.annotate(document)   # spans of both, merged by POLICY; relations by the relation rules

The model is any `Preannotator` whose spans fall on newsgold's token boundaries (the tagger's
do: it reads the same tokens); its `labels` attribute names the labels it learned (default:
every label). Both propose spans; a policy (`POLICIES`) decides which survive, and the rules'
relation builder then links the kept spans, so an ACTION the rules found still gets the ACTOR
the model found as its agent. `tests/bench/bench_merge.py` measures every policy; the default
is the one chosen there (see `DEFAULT_POLICY`).
"""

from __future__ import annotations

from itertools import islice
from typing import Callable, Iterable, Iterator

from newsgold.annotate.documents import Document
from newsgold.annotate.errors import SpanError
from newsgold.annotate.preannotate.annotator import RuleAnnotator, resolve
from newsgold.annotate.preannotate.view import Candidate, DocView
from newsgold.annotate.preannotator import AnnotatedDocument, Preannotator, annotate_all, mean_score

# Labels the rules keep even where the model learned them: re3d-style corpora mark every
# quantity, and no corpus we train on marks actions.
RULES_ONLY = frozenset({"COUNT", "ACTION"})
BATCH = 256  # documents handed to the model at once (the tagger decodes batches)

Policy = Callable[[list[Candidate], list[Candidate], frozenset], list[Candidate]]


def _overlaps(taken: bytearray, c: Candidate) -> bool:
    return any(taken[c.start : c.end])


def _mark(taken: bytearray, c: Candidate) -> None:
    taken[c.start : c.end] = b"\x01" * (c.end - c.start)


def rules_alone(rules: list[Candidate], model: list[Candidate], learned: frozenset) -> list[Candidate]:
    return rules


def model_alone(rules: list[Candidate], model: list[Candidate], learned: frozenset) -> list[Candidate]:
    return model


def fill(rules: list[Candidate], model: list[Candidate], learned: frozenset) -> list[Candidate]:
    """Every rule span, and the model's spans of labels it learned (COUNT and ACTION aside) where
    no rule span lies: the model only adds what the rules missed."""
    taken = bytearray(max((c.end for c in rules + model), default=0))
    for c in rules:
        _mark(taken, c)
    added = [c for c in model if c.label in learned - RULES_ONLY and not _overlaps(taken, c)]
    return sorted(rules + added, key=lambda c: c.start)


def split(rules: list[Candidate], model: list[Candidate], learned: frozenset) -> list[Candidate]:
    """The model for the labels it learned (COUNT and ACTION aside), the rules for the others;
    where the two overlap, the longer span wins (then the better scored: `resolve`)."""
    mine = [c for c in model if c.label in learned - RULES_ONLY]
    theirs = [c for c in rules if c.label not in learned - RULES_ONLY]
    return resolve(mine + theirs)


def union(rules: list[Candidate], model: list[Candidate], learned: frozenset) -> list[Candidate]:
    """Both sets of spans (the model's for labels it learned, COUNT and ACTION aside); a span
    both propose scores 1 - (1 - a)(1 - b), and overlaps are settled by score, then length."""
    rule_at = {(c.start, c.end, c.label): c for c in rules}
    pool = list(rules)
    for c in model:
        if c.label not in learned - RULES_ONLY:
            continue
        same = rule_at.get((c.start, c.end, c.label))
        if same is None:
            pool.append(c)
        else:
            pool[pool.index(same)] = same._replace(score=1 - (1 - same.score) * (1 - c.score))
    ordered = sorted(pool, key=lambda c: (-c.score, -(c.end - c.start), c.start))
    taken = bytearray(max((c.end for c in pool), default=0))
    kept = []
    for c in ordered:
        if not _overlaps(taken, c):
            _mark(taken, c)
            kept.append(c)
    return sorted(kept, key=lambda c: c.start)


POLICIES: dict[str, Policy] = {"rules": rules_alone, "model": model_alone, "fill": fill, "split": split,
                               "union": union}
DEFAULT_POLICY = "fill"


class MergedAnnotator:
    """The rules and a trained model as one `Preannotator`, under `<rules version>+<model version>`
    (a policy other than the default is named too: `...+<model version>~<policy>`). A document's
    score is the model's confidence in it when the model gives one, else the mean score of the
    merged spans."""

    def __init__(self, rules: RuleAnnotator, model: Preannotator, policy: str = DEFAULT_POLICY):
        if policy not in POLICIES:
            raise ValueError(f"unknown merge policy {policy!r}; one of {', '.join(POLICIES)}")
        self.rules, self.model, self.policy = rules, model, policy
        self.learned = frozenset(getattr(model, "labels", None) or rules.labels)

    @property
    def model_version(self) -> str:
        suffix = "" if self.policy == DEFAULT_POLICY else f"~{self.policy}"
        return f"{self.rules.model_version}+{self.model.model_version}{suffix}"

    def annotate(self, document: Document) -> AnnotatedDocument:
        return next(self.annotate_many([document]))

    def annotate_many(self, documents: Iterable[Document]) -> Iterator[AnnotatedDocument]:
        """Documents pre-annotated in order, handed to the model BATCH at a time."""
        documents = iter(documents)
        while batch := list(islice(documents, BATCH)):
            for predicted in annotate_all(self.model, batch):
                yield self._merge(predicted)

    def _merge(self, predicted: AnnotatedDocument) -> AnnotatedDocument:
        document = predicted.document
        doc = DocView(document.text)
        first = {start: i for i, start in enumerate(doc.starts)}
        after = {end: i + 1 for i, end in enumerate(doc.ends)}
        model = []
        for span in predicted.spans:
            if span.start not in first or span.end not in after:
                raise SpanError(f"document {document.id}: the model's span {span.label} [{span.start}, {span.end}) "
                                f"{span.text!r} does not fall on token boundaries; a model merged with the rules "
                                "must predict over newsgold's tokens (newsgold.annotate.tokens)")
            model.append(Candidate(first[span.start], after[span.end], span.label, span.score or 0.0))
        kept = POLICIES[self.policy](self.rules.resolved(doc), model, self.learned)
        spans, relations = self.rules.finish(doc, kept)
        score = predicted.score if predicted.score is not None else mean_score(spans)
        return AnnotatedDocument(document, spans, relations, self.model_version, score=score)
