"""Word clusters learned from unlabelled text, for the tagger's features.

A small count-based embedding: every word seen at least MIN_COUNT times (lower-cased) is
described by the words at each position up to WINDOW either side (position-aware contexts),
weighted by positive pointwise mutual information with context-distribution smoothing (0.75),
reduced to DIMENSIONS by truncated SVD and length-normalised; k-means then groups the words at
each granularity of GRANULARITIES. A word's clusters are features of the word and of its direct
neighbours (`train.features`), so a rare or unseen-in-training word that occurs in the same
contexts as a known actor or place shares that evidence.

Deterministic: the same texts, in the same order, give the same clusters (fixed seeds). Chosen by
story-grouped cross-validation (tests/bench/bench_tagger_attempts.py; the figures are in the
README).
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

import numpy as np

WINDOW = 2
MIN_COUNT = 2
DIMENSIONS = 50
GRANULARITIES = (16, 64, 256)


def learn_clusters(documents: Iterable[list[str]]) -> dict[str, str]:
    """Lower-cased word -> its cluster ids, one per granularity, space-separated ("3 17 140").
    Empty when the text is too small to cluster (fewer words than the finest granularity)."""
    from scipy import sparse
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize
    from threadpoolctl import threadpool_limits

    documents = [[w.lower() for w in tokens] for tokens in documents]
    counts = Counter(w for tokens in documents for w in tokens)
    vocabulary = sorted(w for w, c in counts.items() if c >= MIN_COUNT)
    if len(vocabulary) <= max(*GRANULARITIES, DIMENSIONS):
        return {}
    index = {w: i for i, w in enumerate(vocabulary)}
    contexts: dict[tuple[int, int], int] = {}
    rows, columns = [], []
    for tokens in documents:
        ids = [index.get(w, -1) for w in tokens]  # -1: a rare word, one context per offset
        for i, word in enumerate(ids):
            if word < 0:
                continue
            for offset in range(-WINDOW, WINDOW + 1):
                if offset and 0 <= i + offset < len(ids):
                    rows.append(word)
                    columns.append(contexts.setdefault((offset, ids[i + offset]), len(contexts)))
    counts_matrix = (
        sparse.coo_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(vocabulary), len(contexts))).tocsr().tocoo()
    )  # duplicates summed
    total = counts_matrix.sum()
    word_p = np.asarray(counts_matrix.sum(axis=1)).ravel() / total
    context_p = np.asarray(counts_matrix.sum(axis=0)).ravel() ** 0.75
    context_p /= context_p.sum()
    pmi = np.log(counts_matrix.data / total / word_p[counts_matrix.row] / context_p[counts_matrix.col])
    keep = pmi > 0
    ppmi = sparse.csr_matrix((pmi[keep], (counts_matrix.row[keep], counts_matrix.col[keep])), shape=counts_matrix.shape)
    with threadpool_limits(1):  # small matrices: BLAS threads only wait on each other
        vectors = normalize(TruncatedSVD(DIMENSIONS, random_state=0).fit_transform(ppmi))
        labels = [KMeans(k, n_init=3, random_state=0).fit_predict(vectors) for k in GRANULARITIES]
    return {w: " ".join(str(int(column[i])) for column in labels) for i, w in enumerate(vocabulary)}
