"""Scoring the tagger the way the field scores NER, and the report files.

Strict entity P/R/F1 per label with micro and macro averages from seqeval (mode="strict",
scheme=IOB2); partial-boundary matching from nervaluate; token-level confusion. A document is
scored only on the labels it is gold for and the model learned: other labels are masked to O in
both gold and prediction.
"""

from __future__ import annotations

import json
from pathlib import Path

from newsgold.annotate.outputs import FolderKind, Inputs, output_folder
from newsgold.annotate.spans import iob_tags

_PLOTS = ("f1_per_label.png", "confusion.png")
# the folder `train evaluate` writes (MODEL/eval-SPLIT by default), replaced only when it wrote it
REPORT_FOLDER = FolderKind(
    what="an evaluation report folder `train evaluate` wrote", marker=".newsgold-evaluation",
    written=frozenset({".newsgold-evaluation", "report.json", "report.md", *_PLOTS}),
    legacy=frozenset({"report.json", "report.md"}))


def _mask(tags: list[str], keep: set[str]) -> list[str]:
    return [t if t == "O" or t[2:] in keep else "O" for t in tags]


def evaluate(gold: list[list[str]], predicted: list[list[str]], annotated: list[list[str]], labels: list[str]) -> dict:
    from nervaluate import Evaluator
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    g, p = [], []
    for gold_tags, pred_tags, doc_labels in zip(gold, predicted, annotated):
        keep = set(doc_labels or labels) & set(labels)
        g.append(_mask(gold_tags, keep))
        p.append(_mask(pred_tags, keep))
    strict = classification_report(g, p, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    partial = Evaluator(g, p, tags=labels, loader="list").evaluate()
    per_label = {}
    for label in labels:
        s = strict.get(label, {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0})
        part = partial["entities"][label]["partial"]
        per_label[label] = {
            "strict": {"precision": round(s["precision"], 4), "recall": round(s["recall"], 4),
                       "f1": round(s["f1-score"], 4), "support": int(s["support"])},
            "partial": {"precision": round(part.precision, 4), "recall": round(part.recall, 4), "f1": round(part.f1, 4)},
        }
    averages = {
        name: {"precision": round(strict[key]["precision"], 4), "recall": round(strict[key]["recall"], 4),
               "f1": round(strict[key]["f1-score"], 4)}
        for name, key in (("micro", "micro avg"), ("macro", "macro avg")) if key in strict
    }
    overall_partial = partial["overall"]["partial"]
    averages["micro_partial"] = {"precision": round(overall_partial.precision, 4),
                                 "recall": round(overall_partial.recall, 4), "f1": round(overall_partial.f1, 4)}
    tags = iob_tags(labels)
    confusion = {a: {b: 0 for b in tags} for a in tags}
    for gold_tags, pred_tags in zip(g, p):
        for a, b in zip(gold_tags, pred_tags):
            if a in confusion and b in confusion[a]:
                confusion[a][b] += 1
    return {"labels": per_label, "averages": averages, "confusion": confusion, "documents": len(gold)}


def table(report: dict) -> str:
    lines = ["| label | strict P | strict R | strict F1 | partial F1 | support |", "|---|---|---|---|---|---|"]
    for label, scores in report["labels"].items():
        s, p = scores["strict"], scores["partial"]
        lines.append(f"| {label} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {p['f1']:.3f} | {s['support']} |")
    for name in ("micro", "macro"):
        if name in report["averages"]:
            a = report["averages"][name]
            partial = f"{report['averages']['micro_partial']['f1']:.3f}" if name == "micro" else "–"
            lines.append(f"| **{name}** | {a['precision']:.3f} | {a['recall']:.3f} | {a['f1']:.3f} | {partial} | |")
    return "\n".join(lines)


def write_report(report: dict, folder: Path, title: str, inputs: Inputs = ()) -> list[Path]:
    """report.json, report.md and, when matplotlib is installed, PNG plots, into the folder
    `folder` (next to the model by default), written as a whole (`outputs.output_folder`): a
    folder `train evaluate` wrote is replaced, one that is or holds an input is refused."""
    folder = Path(folder)
    with output_folder(folder, REPORT_FOLDER, inputs=inputs) as tmp:
        names = _write_report(report, tmp, title)
    return [folder / name for name in names]


def _write_report(report: dict, folder: Path, title: str) -> list[str]:
    (folder / "report.json").write_text(json.dumps(report, indent=2))
    (folder / "report.md").write_text(f"# {title}\n\n{table(report)}\n")
    written = ["report.json", "report.md"]
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return written
    labels = list(report["labels"])
    figure, axis = plt.subplots(figsize=(6, 3.5))
    strict = [report["labels"][l]["strict"]["f1"] for l in labels]
    partial = [report["labels"][l]["partial"]["f1"] for l in labels]
    x = range(len(labels))
    axis.bar([i - 0.2 for i in x], strict, width=0.4, label="strict F1")
    axis.bar([i + 0.2 for i in x], partial, width=0.4, label="partial F1")
    axis.set_xticks(list(x), labels)
    axis.set_ylim(0, 1)
    axis.set_title(title)
    axis.legend()
    figure.tight_layout()
    figure.savefig(folder / "f1_per_label.png", dpi=120)
    plt.close(figure)
    tags = list(report["confusion"])
    matrix = [[report["confusion"][a][b] for b in tags] for a in tags]
    figure, axis = plt.subplots(figsize=(6, 5))
    image = axis.imshow(matrix, cmap="Blues", norm=matplotlib.colors.LogNorm(vmin=1, vmax=max(max(r) for r in matrix) or 1))
    axis.set_xticks(range(len(tags)), tags, rotation=60, ha="right")
    axis.set_yticks(range(len(tags)), tags)
    axis.set_xlabel("predicted")
    axis.set_ylabel("gold")
    axis.set_title("token confusion (log scale)")
    figure.colorbar(image)
    figure.tight_layout()
    figure.savefig(folder / "confusion.png", dpi=120)
    plt.close(figure)
    return written + list(_PLOTS)
