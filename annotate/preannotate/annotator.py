"""The combined rule annotator: every rule family proposes candidates, a deterministic
resolution keeps non-overlapping spans, and relation rules link them."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from newsgold.annotate.documents import Document
from newsgold.annotate.preannotate.actions import find_actions
from newsgold.annotate.preannotate.actors import find_actors
from newsgold.annotate.preannotate.counts import find_counts
from newsgold.annotate.preannotate.locations import find_locations
from newsgold.annotate.preannotate.relations import find_relations
from newsgold.annotate.preannotate.view import Candidate, DocView
from newsgold.annotate.preannotator import AnnotatedDocument, mean_score
from newsgold.annotate.resources.gazetteer import gazetteer_versions, place_index
from newsgold.annotate.spans import Relation, Span

# When candidates tie on length and score, the more specific family wins.
_LABEL_RANK = {"ACTOR": 0, "LOCATION": 1, "COUNT": 2, "ACTION": 3}


@lru_cache(maxsize=1)
def rules_version() -> str:
    """`rules-<hash>`: changes whenever a rule module, a word list or a gazetteer changes."""
    digest = hashlib.sha256(gazetteer_versions().encode())
    resources = Path(__file__).parent.parent / "resources"
    for path in sorted(Path(__file__).parent.glob("*.py")) + sorted(resources.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return "rules-" + digest.hexdigest()[:10]


def resolve(candidates: list[Candidate]) -> list[Candidate]:
    """Keep the longest candidates first (then the best scored, then by label and position),
    dropping every candidate that overlaps one already kept. The result is sorted by start."""
    ordered = sorted(
        set(candidates),
        key=lambda c: (-(c.end - c.start), -c.score, _LABEL_RANK.get(c.label, 9), c.start),
    )
    taken = bytearray(max((c.end for c in candidates), default=0))
    kept = []
    for candidate in ordered:
        if not any(taken[candidate.start : candidate.end]):
            taken[candidate.start : candidate.end] = b"\x01" * (candidate.end - candidate.start)
            kept.append(candidate)
    return sorted(kept, key=lambda c: c.start)


class RuleAnnotator:
    """Rule-based pre-annotation of ACTOR, LOCATION, COUNT, ACTION spans and their relations."""

    def __init__(self, labels: tuple[str, ...] = ("ACTOR", "LOCATION", "COUNT", "ACTION")):
        self.labels = labels

    @property
    def model_version(self) -> str:
        return rules_version()

    def warm_up(self) -> "RuleAnnotator":
        """Load the gazetteers now (about two seconds, once per process)."""
        place_index()
        return self

    def candidates(self, doc: DocView) -> list[Candidate]:
        families = {
            "ACTOR": find_actors,
            "LOCATION": find_locations,
            "COUNT": find_counts,
            "ACTION": find_actions,
        }
        found: list[Candidate] = []
        for label in self.labels:
            found += families[label](doc)
        return found

    def annotate(self, document: Document) -> AnnotatedDocument:
        """Spans and relations for one document (the `Preannotator` protocol). The document's
        score is the mean score of its spans: the rules know nothing of what they miss, only how
        reliable each rule that fired has been (None without spans)."""
        spans, relations = self.annotate_text(document.text)
        return AnnotatedDocument(document, spans, relations, self.model_version, score=mean_score(spans))

    def annotate_text(self, text: str) -> tuple[tuple[Span, ...], tuple[Relation, ...]]:
        """Spans (ids r1, r2, ...) and relations for a text."""
        doc = DocView(text)
        return self.finish(doc, self.resolved(doc))

    def resolved(self, doc: DocView) -> list[Candidate]:
        """The candidates the rules keep for a document: non-overlapping, sorted by start."""
        return resolve(self.candidates(doc))

    def finish(self, doc: DocView, kept: list[Candidate]) -> tuple[tuple[Span, ...], tuple[Relation, ...]]:
        """Spans (ids r1, r2, ...) for non-overlapping candidates sorted by start, and the relations
        the relation rules find between them."""
        text = doc.text
        spans = []
        for number, candidate in enumerate(kept, start=1):
            start, end = doc.starts[candidate.start], doc.ends[candidate.end - 1]
            spans.append(
                Span(start, end, candidate.label, text[start:end], round(candidate.score, 3), f"r{number}")
            )
        relations = tuple(
            Relation(spans[head].id, spans[tail].id, label, score)
            for head, tail, label, score in find_relations(doc, kept)
        )
        return tuple(spans), relations
