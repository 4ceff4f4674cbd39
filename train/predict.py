"""The trained tagger as a pre-annotator (the `Preannotator` protocol of `annotate`), with the
argument linker of its folder drawing the relations when the folder's metadata chose it."""

from __future__ import annotations

from itertools import islice
from typing import Iterable, Iterator

from newsgold.annotate.documents import Document
from newsgold.annotate.preannotator import AnnotatedDocument
from newsgold.annotate.spans import Relation, Span
from newsgold.annotate.tokens import token_arrays
from newsgold.train.features import context_for

BATCH = 256  # documents decoded together (see SequenceTagger._viterbi_batch)


class TaggerAnnotator:
    """Spans predicted by a fitted `SequenceTagger`, each scored by the mean over its tokens of the
    chosen tag's softmax weight, under the model's `model_version`; the document's `score` is the
    tagger's confidence in it (`tagger.confidence`: the mean token margin of the CRF marginals).
    `labels` are the labels the tagger learned (it never predicts the others); `annotated_in` where
    its training gold was made ("label-studio", "gold-file", None if unknown), which decides how
    `MergedAnnotator` merges it with the rules.

    With a `linker` (train/linker.py), `relations` is "linker": its spans get the relations the
    linker draws, and `link(doc, spans)` is what `MergedAnnotator` calls to link the merged spans
    instead of the rules' relation builder; without, "rules" (and no relations of its own)."""

    def __init__(self, tagger, model_version: str, annotated_in: str | None = None, linker=None):
        self.tagger = tagger
        self.model_version = model_version
        self.labels = tuple(tagger.labels_)
        self.annotated_in = annotated_in
        self.linker = linker
        self.relations = "rules" if linker is None else "linker"

    def link(self, doc, spans) -> list[tuple[int, int, str, float]]:
        """The linker's relations (head index, tail index, type, score) between `spans`, the
        rules' `Candidate`s over the DocView `doc` (analysed again when the linker reads the
        language layer and `doc` was made without it)."""
        if self.linker.pipeline and doc.analysis is None:
            from newsgold.train.linker import views

            doc = views([doc.text])[0]
        return self.linker.link(doc, spans)

    def annotate(self, document: Document) -> AnnotatedDocument:
        return next(self.annotate_many([document]))

    def annotate_many(self, documents: Iterable[Document]) -> Iterator[AnnotatedDocument]:
        """Documents pre-annotated in order, decoded BATCH at a time (a tagger with pipeline
        features: each batch analysed in one call of the language layer)."""
        documents = iter(documents)
        while batch := list(islice(documents, BATCH)):
            arrays = [token_arrays(d.text) for d in batch]
            context = context_for(self.tagger.features, [d.text for d in batch],
                                  [list(zip(starts, ends)) for _, starts, ends in arrays])
            found = self.tagger.predict_documents([words for words, _, _ in arrays], context=context)
            views = self._views(batch)
            for k, (doc, (_, starts, ends), (entities, sure)) in enumerate(zip(batch, arrays, found)):
                spans = []
                for number, (first, last, label, score) in enumerate(entities, start=1):
                    start, end = starts[first], ends[last - 1]
                    spans.append(Span(start, end, label, doc.text[start:end], round(score, 3), f"t{number}"))
                relations = ()
                if views is not None:
                    relations = self._relations(views[k], entities, spans)
                score = None if sure is None else round(sure, 4)
                yield AnnotatedDocument(doc, tuple(spans), relations, self.model_version, score=score)

    def _views(self, batch):
        """The DocViews the linker reads, the batch analysed in one call (None without a linker)."""
        if self.linker is None:
            return None
        from newsgold.train.linker import views

        return views([d.text for d in batch], self.linker.pipeline)

    def _relations(self, view, entities, spans) -> tuple[Relation, ...]:
        from newsgold.annotate.preannotate.view import Candidate

        candidates = [Candidate(first, last, label, score) for first, last, label, score in entities]
        return tuple(Relation(spans[h].id, spans[t].id, label, score)
                     for h, t, label, score in self.linker.link(view, candidates))


def load_preannotator(folder, schema_hash: str | None = None) -> TaggerAnnotator:
    """The model folder `train fit` wrote, as a pre-annotator: the entry point `tagger` of the
    group `newsgold.models`, through which `annotate ... --model DIR` loads it without
    importing `train`. Refused (ModelError, one line) as `train.model.load_model` refuses: not a
    model folder, a forged or damaged model file, a model of another schema, a model trained with
    another language pipeline than the one installed."""
    from newsgold.train.model import load_model

    tagger, metadata = load_model(folder, expected_hash=schema_hash)
    return annotator_for(folder, tagger, metadata)


def annotator_for(folder, tagger, metadata: dict) -> TaggerAnnotator:
    """The tagger of a model folder as a pre-annotator, with the folder's argument linker when
    its metadata says the linker draws the relations (`model.load_linker`)."""
    from newsgold.train.model import load_linker

    return TaggerAnnotator(tagger, metadata["model_version"], metadata.get("annotated_in"),
                           load_linker(folder, metadata))
