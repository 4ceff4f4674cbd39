"""Tagger predictions as JSONL document records (the shape `annotate push --predictions` reads)."""

from __future__ import annotations

from typing import Iterable, Iterator

from annotate.documents import Document
from annotate.tokens import token_arrays

BATCH = 256  # documents decoded together (see SequenceTagger._viterbi_batch)


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
    arrays = [token_arrays(d.text) for d in docs]
    found = tagger.predict_spans([words for words, _, _ in arrays])
    for doc, (_, starts, ends), entities in zip(docs, arrays, found):
        text = doc.text
        spans = []
        for number, (first, last, label, score) in enumerate(entities, start=1):
            start, end = starts[first], ends[last - 1]
            # the dict of Span.to_dict, built directly: a document has dozens of spans
            spans.append({"start": start, "end": end, "label": label, "text": text[start:end],
                          "score": round(score, 3), "id": f"t{number}"})
        yield {**doc.to_dict(), "spans": spans, "relations": [], "model_version": model_version}
