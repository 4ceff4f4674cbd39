"""Pre-annotators and what they produce.

A pre-annotator proposes spans and relations for a document under a `model_version`; the rules
(`annotate.preannotate.RuleAnnotator`) and the trained tagger (`train.predict.TaggerAnnotator`)
are both one. What comes out, and what gold corpora come in as, is an `AnnotatedDocument`: the
document, its spans and relations, and either the `model_version` that predicted them or the
`annotated_labels` they are gold for. `to_record()` is its JSONL shape (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Protocol, runtime_checkable

from newsgold.annotate.documents import Document
from newsgold.annotate.spans import Relation, Span


@dataclass(frozen=True)
class AnnotatedDocument:
    document: Document
    spans: tuple[Span, ...]
    relations: tuple[Relation, ...] = ()
    model_version: str | None = None  # set for predictions
    annotated_labels: tuple[str, ...] | None = None  # set for gold: the labels it is gold for
    # The pre-annotator's confidence in the whole document, in [0, 1], higher = more confident
    # (the tagger: its mean token margin; the rules: the mean score of their spans).
    score: float | None = None

    def to_record(self) -> dict:
        """The JSONL document record: the document's fields, `spans`, `relations`, and
        `model_version`, `annotated_labels` and the document `score` where set."""
        record = {
            **self.document.to_dict(),
            "spans": [span.to_dict() for span in self.spans],
            "relations": [relation.to_dict() for relation in self.relations],
        }
        if self.annotated_labels is not None:
            record["annotated_labels"] = list(self.annotated_labels)
        if self.model_version is not None:
            record["model_version"] = self.model_version
        if self.score is not None:
            record["score"] = self.score
        return record


def mean_score(spans: Iterable[Span]) -> float | None:
    """The mean score of the spans that have one, rounded to 4 places; None when none has."""
    scores = [span.score for span in spans if span.score is not None]
    return round(sum(scores) / len(scores), 4) if scores else None


@runtime_checkable
class Preannotator(Protocol):
    """Anything that pre-annotates documents for Label Studio."""

    @property
    def model_version(self) -> str:
        """Names the rules or model; predictions go to Label Studio under it."""

    def annotate(self, document: Document) -> AnnotatedDocument:
        """Spans (with scores) and relations for one document."""


def annotate_all(preannotator: Preannotator, documents: Iterable[Document]) -> Iterator[AnnotatedDocument]:
    """Every document pre-annotated, in order; through the pre-annotator's own `annotate_many`
    when it has one (the tagger decodes documents in batches)."""
    many = getattr(preannotator, "annotate_many", None)
    if many is not None:
        return many(documents)
    return map(preannotator.annotate, documents)
