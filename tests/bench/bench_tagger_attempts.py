"""What helps the tagger on little data: every attempt scored by story-grouped cross-validation on
the train split of re3d, beside the baseline and the sklearn-crfsuite tutorial CRF, in one run.

    python tests/bench/bench_tagger_attempts.py [--repeats 2]   (needs: pip install sklearn-crfsuite)

Folds are grouped by `story_id` (sklearn GroupKFold, 5 folds, shuffled with seeds 0..repeats-1),
so reports of one story never straddle folds. Every attempt is fitted and scored on the same
folds; its strict micro F1 (seqeval, IOB2) is given as mean ± standard deviation over folds, and
its gain over the baseline as the mean ± standard deviation of the per-fold differences, with the
number of folds it won. An attempt beats the baseline by more than the fold noise when its mean
gain exceeds the standard deviation of its gains. Never scored on the validation or test split.

Unlabelled text: the texts of all re3d documents and the seed articles, labels unused. In each
fold an attempt sees the fold's training documents with their labels and every other text
without (the held-out fold included, as the documents pushed for annotation would be).

Attempts: (a) word clusters (train.clusters: PPMI co-occurrence, truncated SVD, k-means at 16/64/256)
as features — learned from the training documents alone or with the unlabelled text, the
word's own clusters alone or with its neighbours'; (b) the rule pre-annotator's IOB2 tag of each
token as a feature; (c) self-training: the baseline labels the unlabelled text, the most confident
half of its sentences (mean per-token score) join the training data, and it is fitted again
(its first fit is the baseline's, shared, so its time is the second fit's).
The dataset (annotate re3d + annotate export) is cached in the temporary folder, keyed by the
corpus and the code that builds it.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from seqeval.metrics import classification_report  # noqa: E402
from seqeval.scheme import IOB2  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402

import newsgold.train.features as features_module  # noqa: E402
import newsgold.train.tagger as tagger_module  # noqa: E402
from newsgold.annotate.spans import offsets_to_iob  # noqa: E402
from newsgold.annotate.tokens import sentence_bounds, token_arrays  # noqa: E402
from newsgold.train.tagger import SequenceTagger  # noqa: E402
from tests.bench.bench_tagger import crf_features  # noqa: E402

LABELS = ("ACTOR", "LOCATION", "COUNT")
CORPUS = ROOT / "seeds" / "corpora" / "re3d"


def dataset() -> Path:
    """The re3d dataset with story-grouped splits, built once per corpus and code version."""
    digest = hashlib.sha256()
    for path in sorted(CORPUS.rglob("*.json")) + sorted((ROOT / "annotate").rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    folder = Path(tempfile.gettempdir()) / "newsgold-bench-attempts" / digest.hexdigest()[:16]
    if not (folder / "ds" / "dataset_dict.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        annotate = str(Path(sys.executable).parent / "annotate")
        subprocess.run(
            [annotate, "re3d", str(CORPUS), "-o", str(folder / "re3d.jsonl")], check=True, stdout=subprocess.DEVNULL
        )
        subprocess.run(
            [annotate, "export", "--from", str(folder / "re3d.jsonl"), "--out", str(folder / "ds"), "--force"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return folder / "ds"


class Doc:
    """A document as the attempts see it: text, tokens, token starts; tags and story when gold."""

    def __init__(self, text, tokens, starts, ends, tags=None, story=None, labels=None):
        self.text, self.tokens, self.starts, self.ends = text, tokens, starts, ends
        self.tags, self.story, self.labels = tags, story, labels


def load() -> tuple[list[Doc], list[Doc]]:
    """The train split's gold documents, and every text (all splits and the seeds) as unlabelled."""
    from datasets import load_from_disk

    data = load_from_disk(str(dataset()))
    names = data["train"].features["ner_tags"].feature.names
    gold, texts = [], []
    for split in data:
        for row in data[split].to_list():
            starts, ends = [s for s, _ in row["token_offsets"]], [e for _, e in row["token_offsets"]]
            doc = Doc(
                row["text"],
                row["tokens"],
                starts,
                ends,
                [names[t] for t in row["ner_tags"]],
                row["story_id"],
                row["annotated_labels"],
            )
            texts.append(doc)
            if split == "train":
                gold.append(doc)
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        texts.append(Doc(text, *token_arrays(text)))
    return gold, texts


# (b) the rules' decisions as features. Not a feature of one word type (a rule reads the whole
# sentence), so this tagger scores tokens one by one instead of from per-word-type sums.
class RuleFeatureTagger(SequenceTagger):
    rule_tags: dict = {}  # tuple(tokens) -> the rules' IOB2 tags, filled by `rule_tags`

    def _extra(self, tokens):
        return [["r=" + tag] for tag in self.rule_tags[tuple(tokens)]]

    def _with_rules(self, tokens, clusters=None):
        return [a + b for a, b in zip(features_module.document_features(tokens, clusters), self._extra(tokens))]

    def fit(self, X, y, annotated_labels=None, unlabelled=()):
        with patched(tagger_module, "document_features", self._with_rules):
            return super().fit(X, y, annotated_labels, unlabelled)

    def _emissions(self, tokens):
        rows = [self._weight(f) for f in self._with_rules(tokens, self.clusters_)]
        return np.array(rows).reshape(len(tokens), len(self.tags_))


@contextmanager
def patched(module, name, value):
    old = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, old)


def rule_tags(texts: list[Doc]) -> dict:
    from newsgold.annotate.preannotate import RuleAnnotator

    rules = RuleAnnotator().warm_up()
    return {
        tuple(d.tokens): offsets_to_iob(d.text, d.starts, d.ends, rules.annotate_text(d.text)[0]).tags for d in texts
    }


def tagger_attempt(make, with_unlabelled: bool, **patches):
    """An attempt that fits the tagger `make()` returns (word clusters from the fold's training
    documents, plus every other text when `with_unlabelled`), with module constants patched."""

    def run(fit: list[Doc], test: list[Doc], others: list[Doc]):
        with _patches(patches):
            tagger = make().fit(
                [d.tokens for d in fit],
                [d.tags for d in fit],
                [d.labels for d in fit],
                unlabelled=[d.tokens for d in others] if with_unlabelled else (),
            )
            return tagger.predict([d.tokens for d in test])

    return run


@contextmanager
def _patches(patches):
    if not patches:
        yield
        return
    name, value = next(iter(patches.items()))
    rest = {k: v for k, v in patches.items() if k != name}
    with patched(features_module, name, value), _patches(rest):
        yield


_BASELINES: dict = {}


def fit_baseline(fit: list[Doc]) -> SequenceTagger:
    """The baseline fitted on `fit`, once per fold (self-training starts from it)."""
    key = tuple(id(d) for d in fit)
    if key not in _BASELINES:
        _BASELINES[key] = SequenceTagger(word_clusters=False).fit(
            [d.tokens for d in fit], [d.tags for d in fit], [d.labels for d in fit]
        )
    return _BASELINES[key]


def baseline(fit, test, others):
    return fit_baseline(fit).predict([d.tokens for d in test])


def tutorial_crf(fit, test, others):
    import sklearn_crfsuite

    crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=0.1, c2=0.1, max_iterations=100, all_possible_transitions=True)
    crf.fit([[crf_features(d.tokens, i) for i in range(len(d.tokens))] for d in fit], [d.tags for d in fit])
    return crf.predict([[crf_features(d.tokens, i) for i in range(len(d.tokens))] for d in test])


def self_training(share: float = 0.5):
    """(c): the baseline labels the unlabelled texts; the `share` of their sentences it is most
    confident about (mean per-token score) are added to the training data; fitted again."""

    def run(fit, test, others):
        X, y, labels = [d.tokens for d in fit], [d.tags for d in fit], [d.labels for d in fit]
        first = fit_baseline(fit)
        ranked = []
        for doc, (tags, scores) in zip(others, first.predict_with_scores([d.tokens for d in others])):
            for a, b in sentence_bounds(doc.text, doc.tokens, doc.starts):
                ranked.append((-float(np.mean(scores[a:b])), len(ranked), doc.tokens[a:b], tags[a:b]))
        ranked.sort()
        chosen = ranked[: int(len(ranked) * share)]
        again = SequenceTagger(word_clusters=False).fit(
            X + [c[2] for c in chosen], y + [c[3] for c in chosen], labels + [first.labels_] * len(chosen)
        )
        return again.predict([d.tokens for d in test])

    return run


def folds(gold: list[Doc], repeats: int):
    groups = [d.story for d in gold]
    for seed in range(repeats):
        yield from GroupKFold(5, shuffle=True, random_state=seed).split(gold, groups=groups)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2, help="5-fold splits, each with its own shuffle")
    repeats = parser.parse_args().repeats
    started = time.perf_counter()
    gold, texts = load()
    RuleFeatureTagger.rule_tags = rule_tags(texts)
    shipped = SequenceTagger  # word clusters on
    attempts = [
        ("baseline (the tagger before this issue)", baseline),
        ("sklearn-crfsuite, tutorial features", tutorial_crf),
        ("(a) clusters ±1, training documents only", tagger_attempt(shipped, False)),
        ("(a) clusters ±1, + unlabelled texts", tagger_attempt(shipped, True)),
        ("(a) clusters, own word only, + unlabelled", tagger_attempt(shipped, True, CLUSTER_WINDOW=0)),
        ("(a) clusters ±2, + unlabelled", tagger_attempt(shipped, True, CLUSTER_WINDOW=2)),
        ("(b) rule tag of the token", tagger_attempt(lambda: RuleFeatureTagger(word_clusters=False), False)),
        ("(a)+(b) clusters ±1 + unlabelled, rule tag", tagger_attempt(RuleFeatureTagger, True)),
        ("(c) self-training, top half of sentences", self_training(0.5)),
    ]
    splits = list(folds(gold, repeats))
    prepared = time.perf_counter() - started
    results = []
    for name, attempt in attempts:
        began = time.perf_counter()
        micro, per_label = [], {label: [] for label in LABELS}
        for fit_index, test_index in splits:
            fit, test = [gold[i] for i in fit_index], [gold[i] for i in test_index]
            fitted = {id(d) for d in fit}
            predicted = attempt(fit, test, [d for d in texts if id(d) not in fitted])
            report = classification_report(
                [d.tags for d in test], predicted, mode="strict", scheme=IOB2, output_dict=True, zero_division=0
            )
            micro.append(report["micro avg"]["f1-score"])
            for label in LABELS:
                per_label[label].append(report.get(label, {}).get("f1-score", 0.0))
        results.append(
            (name, np.array(micro), {k: np.mean(v) for k, v in per_label.items()}, time.perf_counter() - began)
        )

    base = results[0][1]
    print(
        f"re3d train split, {len(gold)} documents in {len({d.story for d in gold})} stories; "
        f"{len(splits)} story-grouped folds (GroupKFold 5 x {repeats} shuffles); unlabelled texts: "
        f"{len(texts)} ({sum(len(d.tokens) for d in texts)} tokens); strict micro F1 (seqeval, IOB2)"
    )
    print("| attempt | F1 mean ± std | gain ± std | folds won | beats noise | ACTOR | LOCATION | COUNT | s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, micro, per_label, seconds in results:
        gain = micro - base
        verdict = "–" if micro is base else ("yes" if gain.mean() > gain.std() else "no")
        print(
            f"| {name} | {micro.mean():.3f} ± {micro.std():.3f} | {gain.mean():+.3f} ± {gain.std():.3f} | "
            f"{(gain > 0).sum()}/{len(gain)} | {verdict} | "
            + " | ".join(f"{per_label[label]:.3f}" for label in LABELS)
            + f" | {seconds:.0f} |"
        )
    print(f"run time {time.perf_counter() - started:.0f} s (data, rules and folds {prepared:.0f} s)")


if __name__ == "__main__":
    main()
