"""The baseline sequence tagger: a linear-chain CRF trained with CRFsuite (L-BFGS, elastic-net
regularisation) over the features of `train.features`, decoded by our own Viterbi over the
learned state and transition weights in which an invalid IOB2 move (an I-X not preceded by B-X
or I-X, or opening a sentence) is impossible, so every output is a valid IOB2 sequence.

Chosen by measurement against a logistic-regression token classifier with the same features and
decoding (tests/bench/bench_tagger.py; the figures are in the README).

A scikit-learn estimator: `fit(X, y)` returns self, learned state sits in trailing-underscore
attributes (plain dicts and numpy arrays, so skops can save them), `get_params`/`set_params` come
from BaseEstimator. X is a list of documents, each a list of token strings; y the IOB2 tag lists.
Partial gold: a CRF learns whole sequences, so it learns only the labels that every training
document is gold for (`annotated_labels`); tags of other labels are read as O and the model
never predicts those labels — no document teaches that a label it does not annotate is absent.

`features="pipeline"`: each document also comes with `context`, one list of feature strings per
token from the language layer (`train.features.pipeline_context`), passed to `fit` and to every
prediction method; their weights are added per token (a sparse tokens × attributes matrix times
the state weights) on top of the per-word-type sums of the plain features.
"""

from __future__ import annotations

import os
import tempfile
from typing import Iterator

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator

from newsgold.annotate.resources.gazetteer import strong_place_words
from newsgold.annotate.spans import iob_tags
from newsgold.train.clusters import learn_clusters
from newsgold.train.features import KINDS, OFFSETS, context_features, document_features, word_features

NEG = -1e9


def confidence(marginals: np.ndarray) -> float:
    """A document's confidence in [0, 1]: the mean over its tokens of the margin between the
    most and the second most probable tag's marginal. Every token counts, the O decisions too,
    so a document where the model hesitates about spans it did not predict scores low as well.
    Chosen over the mean max-marginal (docs/decisions.md, "Confidence and span scores"). A tagger
    with a single tag (it learned no label) is certain: 1."""
    if marginals.shape[1] < 2:
        return 1.0
    top = np.sort(marginals, axis=1)[:, -2:]
    return float((top[:, 1] - top[:, 0]).mean())


def _valid(previous: str | None, tag: str) -> bool:
    if not tag.startswith("I-"):
        return True
    return previous is not None and previous != "O" and previous[2:] == tag[2:]


def learnable_labels(y, annotated_labels=None) -> list[str]:
    """The labels a tagger fitted on tag sequences `y` learns: those with a span in `y` that every
    document is gold for (`annotated_labels`; a document without any is gold for every label)."""
    present = sorted({tag[2:] for tags in y for tag in tags if tag != "O"})
    if annotated_labels is not None:
        common = set(present)
        for labels in annotated_labels:
            common &= set(labels or present)
        present = [label for label in present if label in common]
    return present


class SequenceTagger(BaseEstimator):
    features = "plain"  # what a tagger saved before feature kinds existed was fitted with

    def __init__(
        self,
        c1: float = 0.1,
        c2: float = 0.1,
        max_iterations: int = 100,
        random_state: int = 0,
        word_clusters: bool = True,
        features: str = "plain",
    ):
        self.c1 = c1
        self.c2 = c2
        self.max_iterations = max_iterations
        self.random_state = random_state  # CRFsuite's L-BFGS is deterministic; kept for the API
        self.word_clusters = word_clusters  # cluster features learned from X and `unlabelled` (train.clusters)
        self.features = features  # "plain", or "pipeline": also the language layer's, given as `context`

    def _contexts(self, X, context) -> list:
        """`context` checked against X and the feature kind: one feature list per token of every
        document for a pipeline tagger (None per document for a plain one)."""
        if self.features not in KINDS:
            raise ValueError(f"features={self.features!r}: not one of {', '.join(KINDS)}")
        if self.features == "plain":
            if context is not None:
                raise ValueError("a tagger with plain features takes no context")
            return [None] * len(X)
        if context is None:
            raise ValueError(
                "a tagger with pipeline features needs the context of every document (train.features.pipeline_context)"
            )
        if len(context) != len(X) or any(len(c) != len(t) for c, t in zip(context, X)):
            raise ValueError("the context does not match the documents: one feature list per token of each")
        return list(context)

    def fit(self, X, y, annotated_labels=None, unlabelled=(), context=None):
        """`unlabelled`: more documents (token lists) to learn the word clusters from, with X;
        `context`: the per-token pipeline features of X (with `features="pipeline"`)."""
        import pycrfsuite

        if len(X) != len(y):
            raise ValueError(f"{len(X)} documents but {len(y)} tag sequences")
        contexts = self._contexts(X, context)
        present = learnable_labels(y, annotated_labels)
        self.labels_ = present
        self.clusters_ = learn_clusters(list(X) + list(unlabelled)) if self.word_clusters else {}
        keep = set(present)
        trainer = pycrfsuite.Trainer(verbose=False)
        for tokens, tags, near in zip(X, y, contexts):
            features = document_features(tokens, self.clusters_)
            if near is not None:
                features = [own + extra for own, extra in zip(features, near)]
            trainer.append(features, [t if t == "O" or t[2:] in keep else "O" for t in tags])
        trainer.set_params(
            {"c1": self.c1, "c2": self.c2, "max_iterations": self.max_iterations, "feature.possible_transitions": True}
        )
        handle, path = tempfile.mkstemp(suffix=".crfsuite")
        os.close(handle)
        try:
            trainer.train(path)
            tagger = pycrfsuite.Tagger()
            tagger.open(path)
            info = tagger.info()
            tagger.close()
        finally:
            os.unlink(path)
        self.tags_ = iob_tags(present)
        index = {tag: i for i, tag in enumerate(self.tags_)}
        attributes: dict[str, int] = {}
        rows, columns, values = [], [], []
        for (attribute, tag), weight in info.state_features.items():
            if tag in index:
                rows.append(attributes.setdefault(attribute, len(attributes)))
                columns.append(index[tag])
                values.append(weight)
        weights = np.zeros((len(attributes), len(self.tags_)))
        weights[rows, columns] = values
        transitions = np.zeros((len(self.tags_) + 1, len(self.tags_)))  # last row: sentence start
        for (previous, tag), weight in info.transitions.items():
            if previous in index and tag in index:
                transitions[index[previous], index[tag]] = weight
        for p, previous in enumerate(self.tags_ + [None]):
            for t, tag in enumerate(self.tags_):
                if not _valid(previous, tag):
                    transitions[p, t] = NEG
        self.attributes_ = attributes
        self.state_weights_ = weights
        self.transitions_ = transitions
        self.n_documents_ = len(X)
        return self

    def _weight(self, features: list[str]) -> np.ndarray:
        rows = [r for r in map(self.attributes_.get, features) if r is not None]
        return self.state_weights_[rows].sum(axis=0) if rows else np.zeros(len(self.tags_))

    _CACHE_LIMIT = 200_000  # word types kept in the prediction cache

    def _type_rows(self, tokens: list[str]) -> np.ndarray:
        """Row of each token's word in `_table` (word type × (own, then each neighbour offset) ×
        tag: sums of feature weights), computing the rows of words not seen before."""
        index = self.__dict__.setdefault("_type_index", {})
        if "_table" not in self.__dict__ or len(index) > self._CACHE_LIMIT:
            index.clear()
            self._table = np.zeros((1024, 1 + len(OFFSETS), len(self.tags_)))
        new = [w for w in dict.fromkeys(tokens) if w not in index]
        if new:
            places, clusters = strong_place_words(), getattr(self, "clusters_", None)
            needed = len(index) + len(new)
            if needed > len(self._table):  # grow by doubling: amortised constant per word
                grown = np.zeros((max(needed, 2 * len(self._table)),) + self._table.shape[1:])
                grown[: len(index)] = self._table[: len(index)]
                self._table = grown
            for w in new:
                row = len(index)
                self._table[row, 0] = self._weight(word_features(w, places, clusters))
                for k, offset in enumerate(OFFSETS, start=1):
                    self._table[row, k] = self._weight(context_features(w, offset, places, clusters))
                index[w] = row
        return np.fromiter(map(index.__getitem__, tokens), dtype=np.int64, count=len(tokens))

    def __getstate__(self):
        state = dict(self.__dict__)
        for cached in ("_type_index", "_table"):  # a prediction cache, not learned state
            state.pop(cached, None)
        return state

    def _context_scores(self, context: list[list[str]]) -> np.ndarray:
        """The summed weights of each token's context features: a sparse tokens × attributes
        matrix (features the model never saw left out) times the state weights."""
        index, columns, pointers = self.attributes_, [], [0]
        for features in context:
            columns += [r for r in map(index.get, features) if r is not None]
            pointers.append(len(columns))
        matrix = sparse.csr_matrix((np.ones(len(columns)), columns, pointers), shape=(len(context), len(index)))
        return np.asarray(matrix @ self.state_weights_)

    def _emissions(self, tokens: list[str], context: list[list[str]] | None = None) -> np.ndarray:
        """State scores of every token and tag. Every plain feature depends on one word and one
        offset (train.features), so their score is a sum of per-word-type vectors, computed once
        per type (and cached across documents) and gathered with numpy: the same result as
        summing each token's feature weights (tested). The context features of a pipeline tagger
        are added per token (`_context_scores`)."""
        n = len(tokens)
        if n == 0:
            return np.zeros((0, len(self.tags_)))
        rows = self._type_rows(tokens)
        table = self._table
        scores = table[rows, 0].copy()
        for k, offset in enumerate(OFFSETS, start=1):
            pad = self._weight(context_features(None, offset))
            shifted = np.tile(pad, (n, 1))
            if offset < 0:
                shifted[-offset:] = table[rows[: n + offset], k]
            else:
                shifted[: n - offset] = table[rows[offset:], k]
            scores += shifted
        if context is not None:
            scores += self._context_scores(context)
        return scores

    def _viterbi_batch(self, batch: list[np.ndarray]) -> list[list[int]]:
        """Best valid tag paths of several documents at once: the recursion runs over positions,
        vectorised across the documents. Documents are sorted longest first, so the ones still
        running at a position are a prefix of the batch and no step works on finished ones."""
        lengths = np.array([len(e) for e in batch], dtype=np.int64)
        longest = int(lengths.max(initial=0))
        if longest == 0:
            return [[] for _ in batch]
        k, size = len(self.tags_), len(batch)
        order = np.argsort(-lengths, kind="stable")
        sorted_lengths = lengths[order]
        running = (sorted_lengths[None, :] > np.arange(longest)[:, None]).sum(axis=1)
        emissions = np.zeros((longest, size, k))  # position-major: one block per step
        for slot, b in enumerate(order):
            emissions[: len(batch[b]), slot] = batch[b]
        step = self.transitions_[:-1]
        score = self.transitions_[-1] + emissions[0]
        back = np.zeros((longest, size, k), dtype=np.int32)
        for t in range(1, longest):
            m = running[t]
            candidates = score[:m, :, None] + step  # previous tag × tag
            best = candidates.argmax(axis=1)
            back[t, :m] = best
            score[:m] = np.take_along_axis(candidates, best[:, None, :], axis=1)[:, 0, :] + emissions[t, :m]
        final = score.argmax(axis=1)  # each document's score stopped changing at its own end
        paths = np.zeros((longest, size), dtype=np.int32)
        current = np.zeros(size, dtype=np.int64)
        slots = np.arange(size)
        for t in range(longest - 1, -1, -1):
            m = running[t]
            current[:m] = np.where(sorted_lengths[:m] - 1 == t, final[:m], current[:m])
            paths[t, :m] = current[:m]
            if t:
                current[:m] = back[t, slots[:m], current[:m]]
        result: list[list[int]] = [[] for _ in batch]
        for slot, b in enumerate(order):
            result[b] = paths[: sorted_lengths[slot], slot].tolist()
        return result

    def _marginals_batch(self, batch: list[np.ndarray]) -> list[np.ndarray]:
        """Per document, the marginal probability of every tag at every token (tokens × tags,
        rows summing to 1) under the same state and transition weights the Viterbi decodes with:
        forward-backward, rescaled at every step, vectorised across the documents as `_viterbi_batch` is
        (longest first, so the documents still running at a position are a prefix). A tag an
        invalid IOB2 move would reach gets probability 0."""
        lengths = np.array([len(e) for e in batch], dtype=np.int64)
        longest = int(lengths.max(initial=0))
        k, size = len(self.tags_), len(batch)
        if longest == 0:
            return [np.zeros((0, k)) for _ in batch]
        order = np.argsort(-lengths, kind="stable")
        sorted_lengths = lengths[order]
        running = (sorted_lengths[None, :] > np.arange(longest)[:, None]).sum(axis=1)
        emissions = np.zeros((longest, size, k))
        for slot, b in enumerate(order):
            emissions[: len(batch[b]), slot] = batch[b]
        # Probability space with every step rescaled (Rabiner's scaled forward-backward): a matrix
        # product per step instead of a log-sum-exp, and no underflow. Constant factors per token
        # (the shift of its scores) or per step (the rescaling) cancel when a row is normalised.
        # An invalid move's weight, NEG, becomes exactly 0.
        step = np.exp(self.transitions_[:-1] - self.transitions_[:-1].max())
        start = np.exp(self.transitions_[-1] - self.transitions_[-1].max())
        emissions = np.exp(emissions - emissions.max(axis=2, keepdims=True))
        alpha = np.zeros((longest, size, k))
        alpha[0] = start * emissions[0]
        alpha[0] /= alpha[0].sum(axis=1, keepdims=True)
        for t in range(1, longest):
            m = running[t]
            forward = (alpha[t - 1, :m] @ step) * emissions[t, :m]
            alpha[t, :m] = forward / forward.sum(axis=1, keepdims=True)
        beta = np.ones((longest, size, k))  # one at each document's last token
        for t in range(longest - 2, -1, -1):
            m = running[t + 1]
            backward = (emissions[t + 1, :m] * beta[t + 1, :m]) @ step.T
            beta[t, :m] = backward / backward.sum(axis=1, keepdims=True)
        result: list[np.ndarray] = [np.zeros((0, k)) for _ in batch]
        for slot, b in enumerate(order):
            n = sorted_lengths[slot]
            joint = alpha[:n, slot] * beta[:n, slot]
            result[b] = joint / joint.sum(axis=1, keepdims=True)
        return result

    def _batch_emissions(self, X, contexts, first: int, batch_size: int) -> list[np.ndarray]:
        return [
            self._emissions(tokens, near)
            for tokens, near in zip(X[first : first + batch_size], contexts[first : first + batch_size])
        ]

    def marginals(self, X, batch_size: int = 256, context=None) -> list[np.ndarray]:
        """Per document (a list of tokens), the tokens × tags marginal probabilities (columns in
        the order of `tags_`)."""
        contexts, found = self._contexts(X, context), []
        for first in range(0, len(X), batch_size):
            found += self._marginals_batch(self._batch_emissions(X, contexts, first, batch_size))
        return found

    def _decoded(
        self, X, batch_size: int, margins: bool = False, context=None
    ) -> Iterator[tuple[np.ndarray, np.ndarray, float | None]]:
        """Per document: the decoded tag indices, per token the softmax weight of the chosen tag
        among the state scores (empty arrays for an empty document), and with `margins` the
        document's confidence (`confidence`; None for an empty document)."""
        contexts = self._contexts(X, context)
        for first in range(0, len(X), batch_size):
            emissions = self._batch_emissions(X, contexts, first, batch_size)
            marginals = self._marginals_batch(emissions) if margins else [None] * len(emissions)
            for scores, path, marginal in zip(emissions, self._viterbi_batch(emissions), marginals):
                path = np.asarray(path, dtype=np.int64)
                if not len(path):
                    yield path, np.zeros(0), None
                    continue
                shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
                chosen = shifted[np.arange(len(path)), path] / shifted.sum(axis=1)
                yield path, chosen, None if marginal is None else confidence(marginal)

    def predict_documents(
        self, X, batch_size: int = 256, context=None
    ) -> list[tuple[list[tuple[int, int, str, float]], float | None]]:
        """Per document, its entities as (first token, end token exclusive, label, score), the
        score being the mean over its tokens of the chosen tag's softmax weight, and the
        document's confidence (`confidence` of its marginals). Entities are read straight off the
        decoded tag indices: the decoding is valid IOB2, so every span is a B- followed by its I- tags.

        Span scores stay the softmax weights, not the spans' mean marginals (docs/decisions.md,
        "Confidence and span scores")."""
        begins = np.array([tag.startswith("B-") for tag in self.tags_])
        insides = np.array([tag.startswith("I-") for tag in self.tags_])
        labels = [tag[2:] for tag in self.tags_]
        found = []
        for path, chosen, sure in self._decoded(X, batch_size, margins=True, context=context):
            sums = np.concatenate(([0.0], np.cumsum(chosen)))
            starts = np.flatnonzero(begins[path])
            outside = np.append(np.flatnonzero(~insides[path]), len(path))
            ends = outside[np.searchsorted(outside, starts, side="right")]
            means = (sums[ends] - sums[starts]) / (ends - starts)
            found.append(
                (
                    list(
                        zip(
                            starts.tolist(),
                            ends.tolist(),
                            map(labels.__getitem__, path[starts].tolist()),
                            means.tolist(),
                        )
                    ),
                    sure,
                )
            )
        return found

    def predict_spans(self, X, batch_size: int = 256, context=None) -> list[list[tuple[int, int, str, float]]]:
        """The entities of `predict_documents`, without the documents' confidence."""
        return [entities for entities, _ in self.predict_documents(X, batch_size, context)]

    def predict(self, X, context=None) -> list[list[str]]:
        return [tags for tags, _ in self.predict_with_scores(X, context=context)]

    def predict_with_scores(self, X, batch_size: int = 256, context=None) -> list[tuple[list[str], list[float]]]:
        """Tags and, per token, the softmax weight of the chosen tag among the state scores."""
        return [
            ([self.tags_[t] for t in path.tolist()], chosen.tolist())
            for path, chosen, _ in self._decoded(X, batch_size, context=context)
        ]
