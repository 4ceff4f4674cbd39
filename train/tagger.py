"""The baseline sequence tagger: a linear-chain CRF trained with CRFsuite (L-BFGS, elastic-net
regularisation) over the features of `train.features`, decoded by our own Viterbi over the
learned state and transition weights in which an invalid IOB2 move (an I-X not preceded by B-X
or I-X, or opening a sentence) is impossible, so every output is a valid IOB2 sequence.

Chosen by measurement (tests/bench/bench_tagger.py): on re3d a logistic-regression token
classifier with the same features and Viterbi scored 0.600 strict F1 and fit in 36 s, the CRF
scores higher and fits in seconds.

A scikit-learn estimator: `fit(X, y)` returns self, learned state sits in trailing-underscore
attributes (plain dicts and numpy arrays, so skops can save them), `get_params`/`set_params` come
from BaseEstimator. X is a list of documents, each a list of token strings; y the IOB2 tag lists.
Partial gold: a CRF learns whole sequences, so it learns only the labels that every training
document is gold for (`annotated_labels`); tags of other labels are read as O and the model
never predicts those labels — no document teaches that a label it does not annotate is absent.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
from sklearn.base import BaseEstimator

from annotate.preannotate.gazetteer import strong_place_words
from train.features import OFFSETS, context_features, document_features, word_features

NEG = -1e9


def _valid(previous: str | None, tag: str) -> bool:
    if not tag.startswith("I-"):
        return True
    return previous is not None and previous != "O" and previous[2:] == tag[2:]


class SequenceTagger(BaseEstimator):
    def __init__(self, c1: float = 0.1, c2: float = 0.1, max_iterations: int = 100, random_state: int = 0):
        self.c1 = c1
        self.c2 = c2
        self.max_iterations = max_iterations
        self.random_state = random_state  # CRFsuite's L-BFGS is deterministic; kept for the API

    def fit(self, X, y, annotated_labels=None):
        import pycrfsuite

        if len(X) != len(y):
            raise ValueError(f"{len(X)} documents but {len(y)} tag sequences")
        present = sorted({tag[2:] for tags in y for tag in tags if tag != "O"})
        if annotated_labels is not None:
            common = set(present)
            for labels in annotated_labels:
                common &= set(labels or present)
            present = [label for label in present if label in common]
        self.labels_ = present
        keep = set(present)
        trainer = pycrfsuite.Trainer(verbose=False)
        for tokens, tags in zip(X, y):
            trainer.append(document_features(tokens), [t if t == "O" or t[2:] in keep else "O" for t in tags])
        trainer.set_params({"c1": self.c1, "c2": self.c2, "max_iterations": self.max_iterations,
                            "feature.possible_transitions": True})
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
        self.tags_ = ["O"] + [f"{p}-{label}" for label in present for p in ("B", "I")]
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

    def _type_vectors(self, word: str, places) -> np.ndarray:
        """Rows: the word's own weight vector, then its contribution at each neighbour offset."""
        cache = self.__dict__.setdefault("_type_cache", {})
        vectors = cache.get(word)
        if vectors is None:
            vectors = np.stack([self._weight(word_features(word, places))]
                               + [self._weight(context_features(word, o, places)) for o in OFFSETS])
            if len(cache) < 200_000:
                cache[word] = vectors
        return vectors

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_type_cache", None)  # a prediction cache, not learned state
        return state

    def _emissions(self, tokens: list[str]) -> np.ndarray:
        """State scores of every token and tag. Every feature depends on one word and one offset
        (train.features), so the score is a sum of per-word-type vectors, computed once per type
        (and cached across documents) and gathered with numpy: the same result as summing each
        token's feature weights (tested)."""
        n = len(tokens)
        if n == 0:
            return np.zeros((0, len(self.tags_)))
        places = strong_place_words()
        vocabulary = {w: k for k, w in enumerate(dict.fromkeys(tokens))}
        ids = np.fromiter(map(vocabulary.__getitem__, tokens), dtype=np.int64, count=n)
        table = np.stack([self._type_vectors(w, places) for w in vocabulary])  # types × (1+offsets) × tags
        scores = table[ids, 0].copy()
        for k, offset in enumerate(OFFSETS, start=1):
            pad = self._weight(context_features(None, offset))
            shifted = np.tile(pad, (n, 1))
            if offset < 0:
                shifted[-offset:] = table[ids[: n + offset], k]
            else:
                shifted[: n - offset] = table[ids[offset:], k]
            scores += shifted
        return scores

    def _viterbi(self, emissions: np.ndarray) -> list[int]:
        n = emissions.shape[0]
        if n == 0:
            return []
        score = self.transitions_[-1] + emissions[0]
        back = np.zeros(emissions.shape, dtype=np.int32)
        step = self.transitions_[:-1]
        for i in range(1, n):
            candidates = score[:, None] + step
            back[i] = candidates.argmax(axis=0)
            score = candidates[back[i], np.arange(len(score))] + emissions[i]
        path = [int(score.argmax())]
        for i in range(n - 1, 0, -1):
            path.append(int(back[i, path[-1]]))
        return path[::-1]

    def predict(self, X) -> list[list[str]]:
        return [[self.tags_[t] for t in self._viterbi(self._emissions(tokens))] for tokens in X]

    def predict_with_scores(self, X) -> list[tuple[list[str], list[float]]]:
        """Tags and, per token, the softmax weight of the chosen tag among the state scores."""
        results = []
        for tokens in X:
            emissions = self._emissions(tokens)
            path = self._viterbi(emissions)
            shifted = np.exp(emissions - emissions.max(axis=1, keepdims=True))
            confidence = shifted / shifted.sum(axis=1, keepdims=True)
            results.append(([self.tags_[t] for t in path], [float(confidence[i, t]) for i, t in enumerate(path)]))
        return results
