"""The combined rule annotator: every rule family proposes candidates, a deterministic
resolution keeps non-overlapping spans, and relation rules link them.

By default the rules read the language layer (annotate/language.py): trigger words by lemma and
part of speech, the pipeline's entities as ACTOR and LOCATION candidates where no rule span lies,
ACTOR extent from the noun phrase, relations from the parse. `RuleAnnotator(pipeline=False)` keeps
the rules that read surface words alone (the benchmark's "rules alone"). Documents are analysed a
batch at a time in one call of the layer (`annotate_many`), so its cache and workers pay off."""

from __future__ import annotations

from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

from newsgold.annotate.documents import Document
from newsgold.annotate.layercache import source_digest
from newsgold.annotate.preannotate import actions, actors, counts, locations
from newsgold.annotate.preannotate.actions import find_actions
from newsgold.annotate.preannotate.actors import find_actors
from newsgold.annotate.preannotate.counts import find_counts
from newsgold.annotate.preannotate.entities import entity_candidates, noun_phrase_extent
from newsgold.annotate.preannotate.layered import (
    country_modifiers,
    event_counts,
    named_events,
    people_nouns,
    refined,
)
from newsgold.annotate.preannotate.locations import find_locations
from newsgold.annotate.preannotate.relations import find_relations
from newsgold.annotate.preannotate.view import Candidate, DocView, covered, mark, overlaps, register_triggers
from newsgold.annotate.preannotator import AnnotatedDocument, mean_score
from newsgold.annotate.progress import Progress, silent
from newsgold.annotate.resources.gazetteer import gazetteer_versions, place_index
from newsgold.annotate.spans import Relation, Span

# Every rule family's trigger words, registered in this one place: the positions a DocView lists
# for the rules to visit (`DocView.positions`). A new family adds its TRIGGERS here.
for _family in (actions, actors, counts, locations):
    register_triggers(_family.TRIGGERS)

# When candidates tie on length and score, the more specific family wins.
_LABEL_RANK = {"ACTOR": 0, "LOCATION": 1, "COUNT": 2, "ACTION": 3}


@lru_cache(maxsize=1)
def rules_version() -> str:
    """`rules-<hash>`: changes whenever a rule module, a word list or a gazetteer changes, or the
    code the rules read texts through (our tokens, and how the language layer's are read)."""
    annotate = Path(__file__).parent.parent
    reading = [annotate / name for name in ("tokens.py", "language.py", "analysis.py")]
    paths = sorted(Path(__file__).parent.glob("*.py")) + sorted((annotate / "resources").glob("*.py")) + reading
    return "rules-" + source_digest(gazetteer_versions(), paths)[:10]


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
        if not overlaps(taken, candidate):
            mark(taken, candidate)
            kept.append(candidate)
    return sorted(kept, key=lambda c: c.start)


BATCH = 512  # documents analysed by the language layer in one call


class RuleAnnotator:
    """Rule-based pre-annotation of ACTOR, LOCATION, COUNT, ACTION spans and their relations;
    with `pipeline` (default) through the language layer, else from surface words alone.
    `progress` hears of the layer's parsing."""

    def __init__(
        self,
        labels: tuple[str, ...] = ("ACTOR", "LOCATION", "COUNT", "ACTION"),
        *,
        pipeline: bool = True,
        progress: Progress = silent,
    ):
        self.labels = labels
        self.pipeline = pipeline
        self.progress = progress

    @property
    def model_version(self) -> str:
        """`rules-<hash>`, and `+<pipeline identity>` when the rules read the layer."""
        if not self.pipeline:
            return rules_version()
        return f"{rules_version()}+{self.language().identity}"

    def language(self):
        from newsgold.annotate.language import language

        return language()

    def warm_up(self) -> "RuleAnnotator":
        """Load the gazetteers now (about two seconds, once per process), and check that the
        language pipeline is installed (PipelineError, one line, when it is not)."""
        place_index()
        if self.pipeline:
            self.language()
        return self

    def views(self, texts: list[str]) -> list[DocView]:
        """DocViews of `texts`, analysed by the layer in one call when the rules read it."""
        if not self.pipeline:
            return [DocView(text) for text in texts]
        analyses = self.language().analyse(texts, self.progress)
        return [DocView(text, analysis) for text, analysis in zip(texts, analyses)]

    def view(self, text: str) -> DocView:
        return self.views([text])[0]

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
        if doc.analysis is not None:
            layered = {
                "ACTOR": people_nouns,
                "LOCATION": country_modifiers,
                "COUNT": event_counts,
                "ACTION": named_events,
            }
            for label in self.labels:
                found += layered[label](doc)
            found = noun_phrase_extent(doc, refined(doc, found))
        return found

    def annotate(self, document: Document) -> AnnotatedDocument:
        """Spans and relations for one document (the `Preannotator` protocol). The document's
        score is the mean score of its spans: the rules know nothing of what they miss, only how
        reliable each rule that fired has been (None without spans)."""
        return next(self.annotate_many([document]))

    def annotate_many(self, documents: Iterable[Document]) -> Iterator[AnnotatedDocument]:
        """Documents pre-annotated in order, analysed by the layer BATCH at a time (one call)."""
        documents = iter(documents)
        version = self.model_version
        while batch := list(islice(documents, BATCH)):
            for document, doc in zip(batch, self.views([d.text for d in batch])):
                spans, relations = self.finish(doc, self.resolved(doc))
                yield AnnotatedDocument(document, spans, relations, version, score=mean_score(spans))

    def annotate_text(self, text: str) -> tuple[tuple[Span, ...], tuple[Relation, ...]]:
        """Spans (ids r1, r2, ...) and relations for a text."""
        doc = self.view(text)
        return self.finish(doc, self.resolved(doc))

    def resolved(self, doc: DocView) -> list[Candidate]:
        """The candidates the rules keep for a document: non-overlapping, none across a line
        break, sorted by start; with the layer, the pipeline's entities (mapped to our labels)
        added where no rule span lies."""
        kept = resolve(doc.within_lines(self.candidates(doc), cut=False))
        if doc.analysis is None:
            return kept
        taken = covered(kept, len(doc) + 1)
        added = [c for c in doc.within_lines(entity_candidates(doc, self.labels), cut=False) if not overlaps(taken, c)]
        return resolve(kept + added) if added else kept

    def finish(self, doc: DocView, kept: list[Candidate]) -> tuple[tuple[Span, ...], tuple[Relation, ...]]:
        """Spans (ids r1, r2, ...) for non-overlapping candidates sorted by start, and the relations
        the relation rules find between them."""
        text = doc.text
        spans = []
        for number, candidate in enumerate(kept, start=1):
            start, end = doc.starts[candidate.start], doc.ends[candidate.end - 1]
            spans.append(Span(start, end, candidate.label, text[start:end], round(candidate.score, 3), f"r{number}"))
        relations = tuple(
            Relation(spans[head].id, spans[tail].id, label, score)
            for head, tail, label, score in find_relations(doc, kept)
        )
        return tuple(spans), relations
