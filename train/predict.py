"""Tagger predictions as JSONL document records (the shape `annotate push --predictions` reads)."""

from __future__ import annotations

from typing import Iterable, Iterator

from annotate.documents import Document
from annotate.spans import iob_to_spans
from annotate.tokens import tokenize

BATCH = 64


def predict_records(tagger, documents: Iterable[Document], model_version: str) -> Iterator[dict]:
    batch: list[Document] = []
    for doc in documents:
        batch.append(doc)
        if len(batch) == BATCH:
            yield from _predict_batch(tagger, batch, model_version)
            batch = []
    if batch:
        yield from _predict_batch(tagger, batch, model_version)


def _predict_batch(tagger, docs: list[Document], model_version: str) -> Iterator[dict]:
    tokens = [tokenize(d.text) for d in docs]
    results = tagger.predict_with_scores([[t.text for t in toks] for toks in tokens])
    for doc, toks, (tags, scores) in zip(docs, tokens, results):
        starts = {t.start: i for i, t in enumerate(toks)}
        spans = []
        for number, span in enumerate(iob_to_spans(doc.text, toks, tags), start=1):
            first = starts[span.start]
            last = first
            while last + 1 < len(toks) and toks[last + 1].end <= span.end:
                last += 1
            score = sum(scores[first : last + 1]) / (last - first + 1)
            spans.append({**span._replace(score=round(score, 3), id=f"t{number}").to_dict()})
        yield {**doc.to_dict(), "spans": spans, "relations": [], "model_version": model_version}
