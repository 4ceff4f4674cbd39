"""The baseline sequence tagger: a logistic-regression token classifier over hashed features,
decoded with Viterbi over learned tag transitions in which invalid IOB2 moves (an I-X not
preceded by B-X or I-X) are impossible, so every output is a valid IOB2 sequence.

A scikit-learn estimator: `fit(X, y)` returns self, learned state sits in trailing-underscore
attributes, `random_state` fixes the solver, `get_params`/`set_params` come from BaseEstimator.
X is a list of documents, each a list of token strings; y the IOB2 tag lists. Partial gold is
respected: `fit(..., annotated_labels=[...])` gives each document's gold labels, and the O
tokens of a document that is not gold for every learned label are left out of training (they
might be an unannotated label), while its labelled tokens are used.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_extraction import FeatureHasher
from sklearn.linear_model import LogisticRegression

from train.features import document_features

NEG = -1e9


def _valid(previous: str, tag: str) -> bool:
    return not tag.startswith("I-") or previous[2:] == tag[2:] and previous != "O"


class SequenceTagger(BaseEstimator):
    def __init__(self, C: float = 20.0, max_iter: int = 200, n_features: int = 2**18, random_state: int = 0):
        self.C = C
        self.max_iter = max_iter
        self.n_features = n_features
        self.random_state = random_state

    def _hasher(self):
        return FeatureHasher(n_features=self.n_features, input_type="string", alternate_sign=False)

    def _matrix(self, X):
        flat = [f for tokens in X for f in document_features(tokens)]
        return self._hasher().transform(flat)

    def fit(self, X, y, annotated_labels=None):
        if len(X) != len(y):
            raise ValueError(f"{len(X)} documents but {len(y)} tag sequences")
        present = sorted({tag[2:] for tags in y for tag in tags if tag != "O"})
        self.labels_ = present
        self.tags_ = ["O"] + [f"{p}-{label}" for label in present for p in ("B", "I")]
        index = {tag: i for i, tag in enumerate(self.tags_)}
        keep, targets = [], []
        position = 0
        for d, tags in enumerate(y):
            full = annotated_labels is None or set(present) <= set(annotated_labels[d] or present)
            for tag in tags:
                if tag != "O" or full:
                    keep.append(position)
                    targets.append(index[tag])
                position += 1
        matrix = self._matrix(X)[keep]
        self.classifier_ = LogisticRegression(C=self.C, max_iter=self.max_iter, random_state=self.random_state)
        self.classifier_.fit(matrix, np.array(targets))
        # transitions: add-one smoothed log P(tag | previous), impossible IOB2 moves forbidden
        counts = np.ones((len(self.tags_) + 1, len(self.tags_)))  # last row: sequence start
        for tags in y:
            previous = len(self.tags_)
            for tag in tags:
                counts[previous, index[tag]] += 1
                previous = index[tag]
        transitions = np.log(counts / counts.sum(axis=1, keepdims=True))
        for p, previous in enumerate(self.tags_ + ["O"]):
            for t, tag in enumerate(self.tags_):
                if not _valid(previous, tag):
                    transitions[p, t] = NEG
        self.transitions_ = transitions
        self.n_documents_ = len(X)
        self.n_training_tokens_ = len(keep)
        return self

    def _emissions(self, X):
        """Per document, log-probabilities of each tag (columns in `tags_` order)."""
        probabilities = self.classifier_.predict_log_proba(self._matrix(X))
        full = np.full((probabilities.shape[0], len(self.tags_)), NEG)
        full[:, self.classifier_.classes_] = probabilities
        out, start = [], 0
        for tokens in X:
            out.append(full[start : start + len(tokens)])
            start += len(tokens)
        return out

    def _viterbi(self, emissions: np.ndarray) -> tuple[list[int], np.ndarray]:
        n, k = emissions.shape
        if n == 0:
            return [], emissions
        score = self.transitions_[-1] + emissions[0]
        back = np.zeros((n, k), dtype=np.int32)
        for i in range(1, n):
            candidates = score[:, None] + self.transitions_[:-1]
            back[i] = candidates.argmax(axis=0)
            score = candidates.max(axis=0) + emissions[i]
        path = [int(score.argmax())]
        for i in range(n - 1, 0, -1):
            path.append(int(back[i, path[-1]]))
        return path[::-1], emissions

    def predict(self, X) -> list[list[str]]:
        return [[self.tags_[t] for t in self._viterbi(e)[0]] for e in self._emissions(X)]

    def predict_with_scores(self, X) -> list[tuple[list[str], list[float]]]:
        """Tags and, per token, the classifier's probability of the chosen tag."""
        results = []
        for emissions in self._emissions(X):
            path, _ = self._viterbi(emissions)
            results.append(([self.tags_[t] for t in path], [float(np.exp(emissions[i, t])) for i, t in enumerate(path)]))
        return results
