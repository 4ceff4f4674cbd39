"""Learning curve: strict micro F1 against the number of training documents."""

from __future__ import annotations

import json
from pathlib import Path

from newsgold.train.evaluate import evaluate
from newsgold.annotate.dataset import DatasetError, load_split
from newsgold.annotate.limits import check
from newsgold.train.tagger import SequenceTagger


def curve_sizes(documents: int, steps: int) -> list[int]:
    """The training sizes of a curve of `steps` points over `documents` training documents:
    spread evenly up to all of them, each size once, so fewer points when there are fewer
    documents than steps (never a model fitted twice on the same documents)."""
    steps = check("steps", steps)
    return sorted({max(1, round(documents * step / steps)) for step in range(1, steps + 1)}) if documents else []


def learning_curve(dataset, out: Path, split: str = "validation", steps: int = 5, progress=None) -> list[dict]:
    """Strict micro F1 on `split` of a tagger fitted on the first n training documents, for
    each n of `curve_sizes` (`steps` of them at most); curve.json and curve.png in `out`."""
    steps = check("steps", steps)
    train = load_split(dataset, "train")
    if not train.tokens:
        raise DatasetError(f"{dataset}: the train split holds no documents, so there is no curve to draw; "
                           "export more annotated stories (or other --ratios) first")
    held = load_split(dataset, split)
    points = []
    for n in curve_sizes(len(train.tokens), steps):
        tagger = SequenceTagger().fit(train.tokens[:n], train.tags[:n], train.annotated_labels[:n])
        report = evaluate(held.tags, tagger.predict(held.tokens), held.annotated_labels, tagger.labels_)
        points.append({"documents": n, "f1": report["averages"].get("micro", {}).get("f1", 0.0)})
        if progress:
            progress(1)
    out.mkdir(parents=True, exist_ok=True)
    (out / "curve.json").write_text(json.dumps(points, indent=2))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axis = plt.subplots(figsize=(5, 3.5))
        axis.plot([p["documents"] for p in points], [p["f1"] for p in points], marker="o")
        axis.set_xlabel("training documents")
        axis.set_ylabel(f"strict micro F1 ({split})")
        axis.set_ylim(0, 1)
        figure.tight_layout()
        figure.savefig(out / "curve.png", dpi=120)
        plt.close(figure)
    except ImportError:
        pass
    return points
