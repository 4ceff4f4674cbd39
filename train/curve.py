"""Learning curve: strict micro F1 against the number of training documents."""

from __future__ import annotations

import json
from pathlib import Path

from newsgold.annotate.dataset import load_split
from newsgold.annotate.outputs import FolderKind, check_folder, output_folder
from newsgold.train.evaluate import evaluate
from newsgold.train.tagger import SequenceTagger

# the folder `train curve --out` writes, replaced only when it wrote it
CURVE_FOLDER = FolderKind(
    what="a learning-curve folder `train curve` wrote", marker=".newsgold-curve",
    written=frozenset({".newsgold-curve", "curve.json", "curve.png"}), legacy=frozenset({"curve.json"}))


def learning_curve(dataset, out: Path, split: str = "validation", steps: int = 5, progress=None) -> list[dict]:
    """The strict micro F1 on `split` of taggers fitted on `steps` growing parts of the train split
    of `dataset`; curve.json and curve.png written into the folder `out` (`outputs.output_folder`:
    refused before any work when it is or holds the dataset, or holds files newsgold did not write)."""
    check_folder(out, CURVE_FOLDER, [dataset])
    train = load_split(dataset, "train")
    held = load_split(dataset, split)
    points = []
    for step in range(1, steps + 1):
        n = max(1, round(len(train.tokens) * step / steps))
        tagger = SequenceTagger().fit(train.tokens[:n], train.tags[:n], train.annotated_labels[:n])
        report = evaluate(held.tags, tagger.predict(held.tokens), held.annotated_labels, tagger.labels_)
        points.append({"documents": n, "f1": report["averages"].get("micro", {}).get("f1", 0.0)})
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
        axis.plot([p["documents"] for p in points], [p["f1"] for p in points], marker="o")
        axis.set_xlabel("training documents")
        axis.set_ylabel(f"strict micro F1 ({split})")
        axis.set_ylim(0, 1)
        figure.tight_layout()
        figure.savefig(out / "curve.png", dpi=120)
        plt.close(figure)
    except ImportError:
        pass
