"""Synthetic news-sized documents for benchmarks, built from the real texts in seeds/.

Sentences of the seed articles and the re3d corpus are shuffled into documents of about
`words` words (a news article), deterministically from `seed`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from newsgold.annotate.tokens import sentence_spans, tokenize

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def _sentences() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    for path in sorted((SEEDS / "corpora" / "re3d").glob("*/documents.json")):
        texts += [json.loads(line)["text"] for line in path.open(encoding="utf-8") if line.strip()]
    sentences = []
    for text in texts:
        tokens = tokenize(text)
        for first, last in sentence_spans(text, tokens):
            sentences.append(text[tokens[first].start : tokens[last - 1].end])
    return sentences


def news_documents(count: int, words: int = 700, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    sentences = _sentences()
    documents = []
    for _ in range(count):
        parts, size = [], 0
        while size < words:
            sentence = rng.choice(sentences)
            parts.append(sentence)
            size += len(sentence.split())
        documents.append(" ".join(parts))
    return documents
