"""The trained tagger as a pre-annotator (the `Preannotator` protocol of `annotate`), its spans
linked by the relation builder its folder's metadata chose: the argument linker, or the rules'.

Both builders have one interface, `link(doc, spans)` -> (head index, tail index, type, score)
into the Candidates `spans` over the DocView `doc`, and `pipeline` (whether `doc` carries the
language layer's analysis): `train predict` and `train evaluate` draw the relations of the
tagger's spans through it, and `MergedAnnotator` through the same `link` of the linker, or
through the rules' `finish` (the same `find_relations`) when the rules were chosen."""

from __future__ import annotations

from itertools import islice
from typing import Iterable, Iterator

from newsgold.annotate.documents import Document
from newsgold.annotate.preannotate.relations import find_relations
from newsgold.annotate.preannotate.view import Candidate, DocView
from newsgold.annotate.preannotator import AnnotatedDocument
from newsgold.annotate.spans import Relation, Span
from newsgold.annotate.tokens import token_arrays
from newsgold.train.features import pipeline_attributes, pipeline_features

BATCH = 256  # documents decoded together (see SequenceTagger._viterbi_batch)


class RuleLinks:
    """The rules' relation builder (`find_relations`, what `RuleAnnotator.finish` links with)
    behind the linker's interface; `pipeline`: the DocViews it links over carry the language
    layer's analysis (the parse the rules read), as the merged pre-annotator's do."""

    def __init__(self, pipeline: bool = True):
        self.pipeline = pipeline

    def link(self, doc: DocView, spans: list[Candidate]) -> list[tuple[int, int, str, float]]:
        return find_relations(doc, spans)


class TaggerAnnotator:
    """Spans predicted by a fitted `SequenceTagger`, each scored by the mean over its tokens of the
    chosen tag's softmax weight, under the model's `model_version`; the document's `score` is the
    tagger's confidence in it (`tagger.confidence`: the mean token margin of the CRF marginals).
    `labels` are the labels the tagger learned (it never predicts the others); `annotated_in` where
    its training gold was made ("label-studio", "gold-file", None if unknown), which decides how
    `MergedAnnotator` merges it with the rules.

    Its spans are linked by `linker`, the relation builder (`link(doc, spans)`, `pipeline`): an
    `ArgumentLinker` (train/linker.py), and `relations` is "linker", `link` what `MergedAnnotator`
    calls to link the merged spans; or by default the rules' (`RuleLinks`, reading the language
    layer when the tagger does), and `relations` is "rules": the merge links with its own rules."""

    def __init__(self, tagger, model_version: str, annotated_in: str | None = None, linker=None):
        self.tagger = tagger
        self.model_version = model_version
        self.labels = tuple(tagger.labels_)
        self.annotated_in = annotated_in
        self.relations = "rules" if linker is None else "linker"
        self.linker = RuleLinks(tagger.features == "pipeline") if linker is None else linker

    def link(self, doc, spans) -> list[tuple[int, int, str, float]]:
        """The builder's relations (head index, tail index, type, score) between `spans`, the
        rules' `Candidate`s over the DocView `doc` (analysed again when the builder reads the
        language layer and `doc` was made without it)."""
        if self.linker.pipeline and doc.analysis is None:
            from newsgold.train.linker import views

            doc = views([doc.text])[0]
        return self.linker.link(doc, spans)

    def annotate(self, document: Document) -> AnnotatedDocument:
        return next(self.annotate_many([document]))

    def annotate_many(self, documents: Iterable[Document]) -> Iterator[AnnotatedDocument]:
        """Documents pre-annotated in order, decoded BATCH at a time, each batch analysed in one
        call of the language layer when the tagger's features or the relation builder read it."""
        documents = iter(documents)
        while batch := list(islice(documents, BATCH)):
            texts = [d.text for d in batch]
            arrays = [token_arrays(text) for text in texts]
            analyses = self._analyses(texts)
            context = None
            if self.tagger.features == "pipeline":
                context = [
                    pipeline_features(pipeline_attributes(analysis, list(starts), list(ends)))
                    for analysis, (_, starts, ends) in zip(analyses, arrays)
                ]
            found = self.tagger.predict_documents([words for words, _, _ in arrays], context=context)
            views = [
                DocView(text, analysis)
                for text, analysis in zip(texts, analyses if self.linker.pipeline else [None] * len(texts))
            ]
            for doc, view, (_, starts, ends), (entities, sure) in zip(batch, views, arrays, found):
                # the tagger reads words, not the layout: its spans are cut at line breaks
                candidates = view.within_lines([Candidate(*entity) for entity in entities])
                spans = []
                for number, (first, last, label, score) in enumerate(candidates, start=1):
                    start, end = starts[first], ends[last - 1]
                    spans.append(Span(start, end, label, doc.text[start:end], round(score, 3), f"t{number}"))
                relations = tuple(
                    Relation(spans[h].id, spans[t].id, label, score)
                    for h, t, label, score in self.linker.link(view, candidates)
                )
                score = None if sure is None else round(sure, 4)
                yield AnnotatedDocument(doc, tuple(spans), relations, self.model_version, score=score)

    def _analyses(self, texts: list[str]) -> list:
        """The language layer's analyses of `texts` in one call, when the tagger or the relation
        builder reads them (else None for each: no pipeline is loaded)."""
        if self.tagger.features != "pipeline" and not self.linker.pipeline:
            return [None] * len(texts)
        from newsgold.annotate.language import language

        return language().analyse(texts)


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
    """The tagger of a model folder as a pre-annotator, its spans linked by the folder's argument
    linker when its metadata says the linker draws the relations (`model.load_linker`), else by
    the rules' relation builder."""
    from newsgold.train.model import load_linker

    return TaggerAnnotator(
        tagger, metadata["model_version"], metadata.get("annotated_in"), load_linker(folder, metadata)
    )
