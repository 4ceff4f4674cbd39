"""Learning curve: strict micro F1 against the number of training documents.

Each point is a tagger fitted as `train fit` fits it by default (pipeline features; the train
and held-out texts analysed by the language layer once, in one call) on the first N train
documents, scored on `split` through the
scoring core (`annotate.scoring`): a point where F1 cannot be computed (the first N documents
teach no label, or nothing to compare) has `f1` None and its `reason`; an empty held-out split,
a train split with nothing to learn, or no label shared by the two is refused before any fit.
"""

from __future__ import annotations

import json
from pathlib import Path

from newsgold.annotate.limits import check
from newsgold.annotate.outputs import FolderKind, check_folder, output_folder
from newsgold.train.checks import held_split, require_learnable, shared_labels, train_split
from newsgold.train.evaluate import evaluate
from newsgold.train.features import KINDS, context_for
from newsgold.train.tagger import SequenceTagger, learnable_labels

# the folder `train curve --out` writes, replaced only when it wrote it
CURVE_FOLDER = FolderKind(
    what="a learning-curve folder `train curve` wrote",
    marker=".newsgold-curve",
    written=frozenset({".newsgold-curve", "curve.json", "curve.png"}),
    legacy=frozenset({"curve.json"}),
)


def curve_sizes(documents: int, steps: int) -> list[int]:
    """The training sizes of a curve of `steps` points over `documents` training documents:
    spread evenly up to all of them, each size once, so fewer points when there are fewer
    documents than steps (never a model fitted twice on the same documents)."""
    steps = check("steps", steps)
    return sorted({max(1, round(documents * step / steps)) for step in range(1, steps + 1)}) if documents else []


def learning_curve(dataset, out: Path, split: str = "validation", steps: int = 5, progress=None) -> list[dict]:
    """The strict micro F1 on `split` of taggers fitted on the first n training documents, for
    each n of `curve_sizes` (`steps` of them at most); curve.json and curve.png written into the
    folder `out` (`outputs.output_folder`: refused before any work when it is or holds the
    dataset, or holds files newsgold did not write)."""
    steps = check("steps", steps)
    check_folder(out, CURVE_FOLDER, [dataset])
    train = train_split(dataset, "no learning curve can be computed")
    learned = require_learnable(dataset, train)
    held = held_split(dataset, split, "no learning curve can be computed")
    shared_labels(learned, dataset, split, held, f"{dataset}: a tagger fitted on its train split")
    both = context_for(KINDS[0], train.texts + held.texts, train.offsets + held.offsets)
    contexts = (both[: len(train.tokens)], both[len(train.tokens) :])
    points = []
    for n in curve_sizes(len(train.tokens), steps):
        points.append(_point(train, held, n, contexts))
        if progress:
            progress(1)
    with output_folder(out, CURVE_FOLDER, inputs=[dataset]) as tmp:
        _write_curve(points, tmp, split)
    return points


def _write_curve(points: list[dict], out: Path, split: str) -> None:
    (out / "curve.json").write_text(json.dumps(points, indent=2))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axis = plt.subplots(figsize=(5, 3.5))
        shown = [p for p in points if p["f1"] is not None]  # a point without F1 is left out, its reason in curve.json
        axis.plot([p["documents"] for p in shown], [p["f1"] for p in shown], marker="o")
        axis.set_xlabel("training documents")
        axis.set_ylabel(f"strict micro F1 ({split})")
        axis.set_ylim(0, 1)
        figure.tight_layout()
        figure.savefig(out / "curve.png", dpi=120)
        plt.close(figure)
    except ImportError:
        pass


def _point(train, held, n: int, contexts) -> dict:
    learned = learnable_labels(train.tags[:n], train.annotated_labels[:n])
    if not learned:
        return {
            "documents": n,
            "f1": None,
            "reason": (f"the first {n} training documents teach" if n != 1 else "the first training document teaches")
            + " no label: no span of a label that all of them are gold for",
        }
    tagger = SequenceTagger(features=KINDS[0]).fit(
        train.tokens[:n], train.tags[:n], train.annotated_labels[:n], context=contexts[0][:n]
    )
    report = evaluate(held.tags, tagger.predict(held.tokens, contexts[1]), held.annotated_labels, tagger.labels_)
    micro = report["micro"]["strict"]
    point = {"documents": n, "f1": micro["f1"], "labels": [l for l in report["labels"] if l not in report["unscored"]]}
    if micro["f1"] is None:
        point["reason"] = micro["reason"]
    return point
