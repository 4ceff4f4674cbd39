"""Story grouping at scale: which documents are reports of one story, by TF-IDF cosine.

Two documents are linked when the cosine of their TF-IDF vectors (English stop words removed)
reaches the threshold; stories are the connected components, found with a union-find fed one
block of rows at a time, so the similarity graph is never held in memory.

Every pair is compared exactly, one block of rows against the rows after it (each pair once),
so the results are those of comparing all pairs at once. Candidate schemes that skip pairs were
measured and dropped (tests/bench/bench_stories.py, README): latent semantic vectors missed
rewrites of the same report, and on news built from a small vocabulary every term is frequent, so
pruning terms by document frequency finds no rare term to pair documents by.

Single-link chaining can swallow a corpus into one story; `max_story` caps a story's size by
regrouping an oversized story at a stricter threshold inside it (steps of `CAP_STEP`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CAP_STEP = 0.05
BLOCK_CELLS = 4_000_000  # entries of one block of products (rows x columns): bounds the memory
# a story holding more than this share of the documents is reported as possible chaining
CHAINING_SHARE = 0.2


@dataclass(frozen=True)
class StoryStats:
    """What grouping found: documents, stories and the size of the largest story."""

    documents: int
    stories: int
    largest: int

    @classmethod
    def of(cls, story_ids) -> "StoryStats":
        from collections import Counter

        sizes = Counter(story_ids)
        return cls(sum(sizes.values()), len(sizes), max(sizes.values(), default=0))

    @property
    def largest_share(self) -> float:
        return self.largest / self.documents if self.documents else 0.0

    def chaining(self) -> str | None:
        """A one-line warning when the largest story holds a suspicious share of the documents."""
        if self.documents < 20 or self.largest_share <= CHAINING_SHARE:
            return None
        return (f"the largest story holds {self.largest} of {self.documents} documents "
                f"({self.largest_share:.0%}): TF-IDF links may have chained unrelated reports; "
                "pass a stricter --story-threshold or cap stories with --max-story")


def uneven_splits(counts: dict, ratios) -> str | None:
    """A one-line warning when the splits' shares of documents are more than 10 points away from
    the requested ratios (a large story decides a whole split), else None."""
    total = sum(counts.values())
    shares = {name: n / total for name, n in counts.items()} if total else {}
    if total < 20 or all(abs(shares[name] - ratio) <= 0.1 for name, ratio in zip(counts, ratios)):
        return None
    came = " / ".join(f"{name} {share:.0%}" for name, share in shares.items())
    asked = " / ".join(f"{ratio:.0%}" for ratio in ratios)
    return (f"the splits came out {came} against {asked} requested: a few large stories decide whole splits; "
            "pass a stricter --story-threshold or cap stories with --max-story")


def tfidf(texts: list[str]):
    """The documents' TF-IDF vectors: English stop words removed, raw term frequencies, float32.
    Of the settings measured, the one that best separates the seed story from unrelated re3d pairs."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        return TfidfVectorizer(stop_words="english", dtype=np.float32).fit_transform(texts)
    except ValueError:  # no text has a term outside the stop words: nothing to link
        import scipy.sparse as sp

        return sp.csr_matrix((len(texts), 1), dtype=np.float32)


class _UnionFind:
    def __init__(self, n: int):
        self.parent = np.arange(n)

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(self, rows: np.ndarray, cols: np.ndarray) -> None:
        for i, j in zip(rows.tolist(), cols.tolist()):
            a, b = self.find(i), self.find(j)
            if a != b:
                self.parent[max(a, b)] = min(a, b)

    def labels(self) -> np.ndarray:
        return np.array([self.find(i) for i in range(len(self.parent))])


def _rows_per_block(n: int) -> int:
    return max(1, min(n, BLOCK_CELLS // max(n, 1)))


def _exact_pairs(vectors, threshold: float):
    """Blocks of (rows, cols), row < col, of the pairs whose TF-IDF cosine reaches `threshold`."""
    n = vectors.shape[0]
    step = _rows_per_block(n)
    for first in range(0, n, step):
        block = (vectors[first : first + step] @ vectors[first:].T).tocoo()
        keep = (block.data >= threshold) & (block.col > block.row)
        yield block.row[keep] + first, block.col[keep] + first


def components(vectors, threshold: float) -> np.ndarray:
    """The story of each row of `vectors` (a label per row: the smallest row of its story)."""
    n = vectors.shape[0]
    found = _UnionFind(n)
    for rows, cols in _exact_pairs(vectors, threshold):
        found.union(rows, cols)
    return found.labels()


def capped_components(vectors, threshold: float, max_story: int | None = None) -> np.ndarray:
    """`components`, with every story above `max_story` documents regrouped inside it at a
    stricter threshold (in steps of CAP_STEP) until its parts fit. A story still too big at
    cosine 1 (copies of one text) is kept whole."""
    labels = components(vectors, threshold)
    if not max_story:
        return labels
    stack = [(threshold, labels, np.arange(len(labels)))]
    while stack:
        level, local, members = stack.pop()
        values, sizes = np.unique(local, return_counts=True)
        for value in values[sizes > max_story]:
            inside = members[local == value]
            if level >= 1.0:
                continue
            stricter = min(1.0, level + CAP_STEP)
            parts = components(vectors[inside], stricter)
            labels[inside] = inside[parts]
            stack.append((stricter, parts, inside))
    return labels
