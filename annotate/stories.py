"""Story grouping at scale: which documents are reports of one story, by TF-IDF cosine.

Two documents are linked when the cosine of their TF-IDF vectors (English stop words removed)
reaches the threshold; stories are the connected components, found with a union-find fed one
block of rows at a time, so the similarity graph is never held in memory.

Only candidate pairs are compared (`_candidate_pairs`): pairs sharing a term of their prefixes,
the rare terms that carry enough of each vector's weight that any link must share one (a prefix
filter, exact), restricted to terms of at most `MAX_DF` documents plus each document's
`MIN_TERMS` rarest, so the work grows linearly with the documents. On a corpus of at most
`MAX_DF` documents the result is exactly that of comparing every pair (`_exact_pairs`, tested);
on larger ones a link is missed only when two documents share no rare term in their prefixes,
e.g. unrelated reports that reach the threshold through common words alone (docs/decisions.md,
"Story grouping").

Single-link chaining can swallow a corpus into one story; `max_story` caps a story's size by
regrouping an oversized story at a stricter threshold inside it (steps of `CAP_STEP`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

CAP_STEP = 0.05
BLOCK_CELLS = 4_000_000  # entries of one block of products (rows x columns): bounds the memory
# a story holding more than this share of the documents is reported as possible chaining
CHAINING_SHARE = 0.2
SLACK = 1e-4  # a prefix keeps every term whose suffix could still reach threshold - SLACK
# a block whose candidate pairs are more than this share of its pairs is computed as one product
DENSE_SHARE = 0.25
# candidate pairs come through a document's MIN_TERMS rarest terms and its terms of at most MAX_DF
# documents: the work grows with the documents times MAX_DF, not with their square
MAX_DF = 50
MIN_TERMS = 3


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
        return (
            f"the largest story holds {self.largest} of {self.documents} documents "
            f"({self.largest_share:.0%}): TF-IDF links may have chained unrelated reports; "
            "pass a stricter --story-threshold or cap stories with --max-story"
        )


def uneven_splits(counts: dict, ratios) -> str | None:
    """A one-line warning when the splits' shares of documents are more than 10 points away from
    the requested ratios (a large story decides a whole split), else None."""
    total = sum(counts.values())
    shares = {name: n / total for name, n in counts.items()} if total else {}
    if total < 20 or all(abs(shares[name] - ratio) <= 0.1 for name, ratio in zip(counts, ratios)):
        return None
    came = " / ".join(f"{name} {share:.0%}" for name, share in shares.items())
    asked = " / ".join(f"{ratio:.0%}" for ratio in ratios)
    return (
        f"the splits came out {came} against {asked} requested: a few large stories decide whole splits; "
        "pass a stricter --story-threshold or cap stories with --max-story"
    )


_WORD = re.compile(r"(?u)\b\w\w+\b")


@dataclass(frozen=True)
class TermCounts:
    """The term counts of a few documents, compact: `terms` in the order they first occur, and
    for each document `lengths[d]` entries of (`ids`: an index into `terms`, `counts`). What a
    converting process hands on instead of the texts (`annotate.export`)."""

    terms: list[str]
    ids: np.ndarray  # int32
    counts: np.ndarray  # float32
    lengths: np.ndarray  # int64, one per document


def term_counts(texts) -> TermCounts:
    """The counts of the terms TF-IDF weighs (`tfidf`) in each of `texts`."""
    from array import array
    from collections import Counter

    stop, vocabulary = _stop_words(), {}
    ids, counts, lengths = array("i"), array("f"), array("q")
    for text in texts:
        terms = Counter(w for w in _WORD.findall(text.lower()) if w not in stop)
        ids.extend(vocabulary.setdefault(w, len(vocabulary)) for w in terms)
        counts.extend(terms.values())
        lengths.append(len(terms))
    return TermCounts(
        list(vocabulary), np.array(ids, np.int32), np.array(counts, np.float32), np.array(lengths, np.int64)
    )


class TermMatrix:
    """Term counts gathered a few documents at a time (`add`, in document order), then the
    documents' TF-IDF vectors (`tfidf`): the texts need not be held, only their counts."""

    def __init__(self):
        from array import array

        self.vocabulary: dict[str, int] = {}
        self.indices, self.counts, self.lengths = array("i"), array("f"), array("q")

    def __len__(self) -> int:
        return len(self.lengths)

    def add(self, found: TermCounts) -> None:
        vocabulary = self.vocabulary
        columns = np.fromiter(
            (vocabulary.setdefault(t, len(vocabulary)) for t in found.terms), np.int32, len(found.terms)
        )
        self.indices.frombytes(columns[found.ids].tobytes())
        self.counts.frombytes(found.counts.tobytes())
        self.lengths.frombytes(found.lengths.tobytes())

    def tfidf(self):
        """The documents' TF-IDF vectors (see `tfidf`), a sparse matrix; the counts are consumed."""
        import scipy.sparse as sp

        n, terms = len(self.lengths), max(1, len(self.vocabulary))
        # views of the gathered arrays, which they keep alive (no copy: the counts become the weights)
        data = np.frombuffer(self.counts, np.float32)
        indices = np.frombuffer(self.indices, np.int32)
        lengths = np.frombuffer(self.lengths, np.int64)
        index = np.int32 if len(data) < 2**31 else np.int64
        indptr = np.zeros(n + 1, dtype=index)
        np.cumsum(lengths, out=indptr[1:])
        self.__init__()  # a fresh start for this object; the arrays above keep the counts
        df = np.bincount(indices, minlength=terms)
        data *= (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)[indices]
        norms = np.zeros(n, dtype=np.float32)
        full = np.diff(indptr) > 0
        if full.any():
            norms[full] = np.sqrt(np.add.reduceat(data * data, indptr[:-1][full]))
        data /= np.repeat(np.where(norms > 0, norms, 1), np.diff(indptr))
        return sp.csr_matrix((data, indices.astype(index, copy=False), indptr), shape=(n, terms))


def tfidf(texts: list[str]):
    """The documents' TF-IDF vectors, as scikit-learn's `TfidfVectorizer(stop_words="english",
    dtype=np.float32)` makes them (tested, up to the order of the columns): words of two or more
    word characters, lowercased, English stop words removed, raw term frequencies, smooth idf,
    rows of unit length (why these settings, and why not scikit-learn itself: docs/decisions.md,
    "Story grouping"). Built here, counts in compact arrays."""
    matrix = TermMatrix()
    matrix.add(term_counts(texts))
    return matrix.tfidf()


@functools.cache
def _stop_words() -> frozenset:
    """scikit-learn's English stop words, read from its module file without importing the package."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")
    path = Path(spec.origin).parent / "feature_extraction" / "_stop_words.py"
    module = importlib.util.module_from_spec(importlib.util.spec_from_file_location("_newsgold_stop_words", path))
    module.__spec__.loader.exec_module(module)
    return module.ENGLISH_STOP_WORDS


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


def _prefixes(vectors, threshold: float):
    """Each row's prefix: its rarest terms, as a 0/1 matrix of the rows' shape, less the terms of
    more than MAX_DF rows that are not among its MIN_TERMS rarest.

    Terms are put in one global order, rarest first (fewest documents). A row's suffix is the
    longest run of its most frequent terms whose weights can add at most `bound < threshold` to a
    cosine with any row: bound = min(the suffix's norm, sum of its weights times each term's
    largest weight in any row). Its prefix is the rest. If two rows reach the threshold, the first
    term they share (in the global order) lies in both prefixes: were it in one row's suffix, all
    shared terms would, and their cosine would stay below the bound. So pairs that share no
    prefix term can be skipped without losing any link (before the MAX_DF cut; the all-pairs prefix filter of
    Bayardo, Ma and Srikant, WWW 2007, with the l2 bound of Anastasiu and Karypis, ICDE 2014).
    """
    import scipy.sparse as sp

    vectors = sp.csr_matrix(vectors)
    n, terms = vectors.shape
    df = np.bincount(vectors.indices, minlength=terms)
    rank = np.empty(terms, dtype=np.int64)
    rank[np.lexsort((np.arange(terms), df))] = np.arange(terms)  # rarest first, ties by column
    largest = np.zeros(terms, dtype=np.float32)
    np.maximum.at(largest, vectors.indices, vectors.data)
    step = max(1, BLOCK_CELLS // max(1, 8 * vectors.nnz // max(n, 1)))  # rows a block: bounded temporaries
    kept = [_prefix_terms(vectors[first : first + step], threshold, df, rank, largest) for first in range(0, n, step)]
    indices = np.concatenate([vectors.indices[:0]] + [k[0] for k in kept])
    indptr = np.concatenate([[0]] + [k[1] for k in kept]).cumsum()
    return sp.csr_matrix((np.ones(len(indices), np.float32), indices, indptr), shape=vectors.shape)


def _prefix_terms(block, threshold, df, rank, largest):
    """The prefix terms of a block of rows (`_prefixes`) and how many each row keeps."""
    lengths = np.diff(block.indptr)
    rows = np.repeat(np.arange(block.shape[0]), lengths)
    order = np.lexsort((-rank[block.indices], rows))  # within a row: most frequent term first
    starts = np.repeat(block.indptr[:-1], lengths)

    def running(values):  # sums of each row's entries from its most frequent term up to this one
        total = np.cumsum(values, dtype=np.float64)
        return total - np.concatenate(([0.0], total))[starts]

    w = block.data[order].astype(np.float64)
    bound = np.minimum(np.sqrt(running(w * w)), running(w * largest[block.indices[order]]))
    # a row's MIN_TERMS rarest terms are kept whatever their frequency (copies of one wire story
    # in many outlets share them); its other terms only when at most MAX_DF rows hold them
    rarest = np.arange(len(order)) >= starts + lengths[rows] - MIN_TERMS
    rare = (df[block.indices[order]] <= MAX_DF) | rarest
    keep = np.empty(len(order), dtype=bool)
    keep[order] = (bound >= threshold - SLACK) & rare  # slack: float rounding never drops a link
    return block.indices[keep], np.bincount(rows[keep], minlength=block.shape[0])


def _candidate_pairs(vectors, threshold: float, threads: int = 1):
    """Blocks of (rows, cols), row < col, of the pairs whose TF-IDF cosine reaches `threshold`,
    computed only for the pairs sharing a prefix term (`_prefixes`); those of `_exact_pairs` when
    no prefix term was left out for its frequency. A block where the candidates are most of the
    pairs (a corpus whose every term is frequent) is computed as one exact product instead.
    Blocks are computed by `threads` threads (numpy and scipy release the GIL in their loops),
    `threads` blocks in memory at most."""
    import scipy.sparse as sp

    vectors = sp.csr_matrix(vectors, dtype=np.float32)
    n, terms = vectors.shape
    prefix = _prefixes(vectors, threshold)
    prefix_t = prefix.T.tocsr()
    step = max(1, min(_rows_per_block(n), BLOCK_CELLS // max(terms, 1)))

    def block(first: int):
        last = min(n, first + step)
        shared = (prefix[first:last] @ prefix_t).tocoo()
        upper = shared.col > shared.row + first
        rows, cols = shared.row[upper], shared.col[upper]
        if len(rows) > DENSE_SHARE * (last - first) * (n - first):
            exact = (vectors[first:last] @ vectors[first:].T).tocoo()
            keep = (exact.data >= threshold) & (exact.col > exact.row)
            return [(exact.row[keep] + first, exact.col[keep] + first)]
        dense = vectors[first:last].toarray()  # at most BLOCK_CELLS entries
        return [
            (i[cosine >= threshold] + first, j[cosine >= threshold])
            for i, j, cosine in _cosines(dense, vectors, rows, cols)
        ]

    starts = range(0, n, step)
    if threads <= 1 or len(starts) == 1:
        for first in starts:
            yield from block(first)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(threads, thread_name_prefix="newsgold-stories") as pool:
        running = [pool.submit(block, first) for first in starts[:threads]]
        for first in starts[threads:]:
            done = running.pop(0).result()
            running.append(pool.submit(block, first))
            yield from done
        for future in running:
            yield from future.result()


def _cosines(dense, vectors, rows, cols):
    """Batches of (rows, cols, cosine) of the pairs (dense[row], vectors[col]): each column's
    entries looked up in its row, about BLOCK_CELLS / 16 entries a batch (about 10 MB of temporaries)."""
    lengths = np.diff(vectors.indptr)[cols]
    ends = np.cumsum(lengths)
    flat, width = dense.ravel(), dense.shape[1]
    start = 0
    while start < len(rows):
        stop = max(start + 1, int(np.searchsorted(ends, ends[start] + BLOCK_CELLS // 16)))
        size = lengths[start:stop]
        offsets = np.concatenate(([0], np.cumsum(size)[:-1]))
        # entry k of pair p: vectors' entry indptr[col] + (k - offsets[p]), looked up in dense[row]
        where = np.repeat(vectors.indptr[cols[start:stop]] - offsets, size) + np.arange(int(size.sum()))
        cells = np.repeat(rows[start:stop] * width, size) + vectors.indices[where]
        yield rows[start:stop], cols[start:stop], np.add.reduceat(flat[cells] * vectors.data[where], offsets)
        start = stop


def _exact_pairs(vectors, threshold: float):
    """Blocks of (rows, cols), row < col, of the pairs whose TF-IDF cosine reaches `threshold`:
    every pair's product, one block of rows at a time (what `_candidate_pairs` must equal)."""
    n = vectors.shape[0]
    step = _rows_per_block(n)
    for first in range(0, n, step):
        block = (vectors[first : first + step] @ vectors[first:].T).tocoo()
        keep = (block.data >= threshold) & (block.col > block.row)
        yield block.row[keep] + first, block.col[keep] + first


def components(vectors, threshold: float) -> np.ndarray:
    """The story of each row of `vectors` (a label per row: the smallest row of its story),
    computed by a thread per CPU this process may use (at most 4)."""
    n = vectors.shape[0]
    found = _UnionFind(n)
    for rows, cols in _candidate_pairs(vectors, threshold, _threads()):
        found.union(rows, cols)
    return found.labels()


def _threads() -> int:
    import os

    try:
        return max(1, min(4, len(os.sched_getaffinity(0))))
    except AttributeError:
        return max(1, min(4, os.cpu_count() or 1))


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


def story_ids(ids: list[str], vectors, threshold: float, max_story: int | None = None) -> list[str]:
    """The story id of each document (`ids[i]`, the row i of `vectors`): "story-" and the
    smallest document id of its story (`capped_components`), so it does not depend on the
    order. Copies of one document (same id) share a story, also a text without a TF-IDF vector
    (made only of stop words)."""
    component_of_id: dict[str, int] = {}
    for doc_id, c in zip(ids, capped_components(vectors, threshold, max_story).tolist()):
        component_of_id.setdefault(doc_id, c)
    smallest: dict[int, str] = {}
    for doc_id, c in component_of_id.items():
        smallest[c] = min(doc_id, smallest.get(c, doc_id))
    return ["story-" + smallest[component_of_id[doc_id]] for doc_id in ids]
