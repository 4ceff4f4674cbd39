"""Scoring the tagger the way the field scores NER, and the report files.

Strict entity P/R/F1 per label from seqeval's strict IOB2 entities (an entity is right when its
label and both boundaries are); partial-boundary matching from nervaluate; token-level
confusion. A document is scored only on the labels it is gold for and the model learned: other
labels are masked to O in both gold and prediction. The figures, averages and notes come from
the scoring core `annotate.scoring` (`summarise`), as `annotate score`'s do: a figure that
cannot be computed is None with its reason, and a label only one side has is named, not scored.
The event scores (`event_report`: `annotate.eventscoring`, as `annotate score` has them) are the
model's predictions, drawn the way `train predict` draws them, against the split's gold records.
"""

from __future__ import annotations

import json
from pathlib import Path

from newsgold.annotate.outputs import FolderKind, Inputs, output_folder
from newsgold.annotate.scoring import Counts, ScoringError, nervaluate_counts, notes, plain, scores_table, summarise
from newsgold.annotate.spans import iob_tags

SCHEMES = ("strict", "partial")
_PLOTS = ("f1_per_label.png", "confusion.png")
# the folder `train evaluate` writes (MODEL/eval-SPLIT by default), replaced only when it wrote it
REPORT_FOLDER = FolderKind(
    what="an evaluation report folder `train evaluate` wrote",
    marker=".newsgold-evaluation",
    written=frozenset({".newsgold-evaluation", "report.json", "report.md", *_PLOTS}),
    legacy=frozenset({"report.json", "report.md"}),
)


def _mask(tags: list[str], keep: set[str]) -> list[str]:
    return [t if t == "O" or t[2:] in keep else "O" for t in tags]


def evaluate(
    gold: list[list[str]],
    predicted: list[list[str]],
    annotated: list[list[str]],
    labels: list[str],
    not_learned: dict[str, str] | None = None,
) -> dict:
    """The report of `predicted` tag sequences against `gold` ones, each document scored on the
    labels of `labels` (the model's) it is gold for (`annotated`; none: every label). A label of
    `labels` no document is gold for, and a label documents are gold for that `labels` lacks (the
    model did not learn it; `not_learned`: label -> why, from the model's metadata), are listed in
    `unscored` with their gold counts."""
    from nervaluate import Evaluator
    from seqeval.scheme import IOB2, Entities

    if not gold:
        raise ScoringError("no documents to score")
    gold_for: dict[str, int] = {}
    for doc_labels in annotated:
        for label in set(doc_labels or labels):
            gold_for[label] = gold_for.get(label, 0) + 1
    scored = [label for label in labels if gold_for.get(label)]
    unscored = {label: "no document of the split is gold for it" for label in labels if label not in scored}
    why = not_learned or {}
    unscored.update(
        {
            label: "the model did not learn it" + (f" ({why[label]})" if label in why else "")
            for label in sorted(gold_for)
            if label not in labels
        }
    )
    g, p, unmasked = [], [], []
    for gold_tags, pred_tags, doc_labels in zip(gold, predicted, annotated):
        keep = set(doc_labels or labels) & set(scored)
        g.append(_mask(gold_tags, keep))
        p.append(_mask(pred_tags, keep))
        unmasked.append(_mask(gold_tags, set(doc_labels or labels) & set(unscored)))
    counts: dict[str, dict[str, Counts]] = {}
    truth, guess = Entities(g, IOB2), Entities(p, IOB2)
    partial = Evaluator(g, p, tags=scored, loader="list").evaluate() if scored else {"entities": {}}
    for label in scored:
        true_set, pred_set = truth.filter(label), guess.filter(label)
        part = partial["entities"].get(label, {}).get("partial")  # nervaluate leaves out a label nobody has
        counts[label] = {
            "strict": Counts(len(true_set & pred_set), 0, len(pred_set), len(true_set)),
            "partial": nervaluate_counts(part) if part else Counts(),
        }
    # strict micro pools the labels' counts (seqeval's); partial micro is nervaluate's overall match
    pooled = {"partial": nervaluate_counts(partial["overall"]["partial"])} if scored else None
    left_out = Entities(unmasked, IOB2)
    for label in unscored:
        counts[label] = {scheme: Counts(gold=len(left_out.filter(label))) for scheme in SCHEMES}
    report = plain(summarise(counts, scored, unscored, SCHEMES, order=labels, pooled=pooled))
    # the averages as reports before the scoring core carried them
    report["averages"] = {
        "micro": report["micro"]["strict"],
        "macro": report["macro"]["strict"],
        "micro_partial": report["micro"]["partial"],
    }
    tags = iob_tags(scored)
    confusion = {a: {b: 0 for b in tags} for a in tags}
    for gold_tags, pred_tags in zip(g, p):
        for a, b in zip(gold_tags, pred_tags):
            if a in confusion and b in confusion[a]:
                confusion[a][b] += 1
    report.update(confusion=confusion, documents=len(gold))
    return report


def gold_records(dataset: str | Path, split: str) -> list[dict]:
    """The documents of a split of `dataset` as JSONL records: id, source, story_id, text,
    spans (with their ids), relations (by span id) and annotated_labels."""
    from newsgold.annotate.dataset import open_dataset, reading

    part = open_dataset(dataset)[split]
    with reading(dataset):
        return part.select_columns(
            ["id", "source", "story_id", "text", "spans", "relations", "annotated_labels"]
        ).to_list()


def event_report(gold: list[dict], annotator, schema) -> dict:
    """The event scores (`eventscoring.event_scores`, trigger and roles the `schema`'s) of the
    pre-annotator `annotator` (the model as `train predict` runs it) on the `gold` records."""
    from newsgold.annotate.documents import Document
    from newsgold.annotate.eventscoring import event_scores
    from newsgold.annotate.preannotator import annotate_all

    documents = [Document(r["id"], r["text"], r.get("source") or "dataset", r.get("story_id")) for r in gold]
    predicted = {doc.document.id: doc.to_record() for doc in annotate_all(annotator, documents)}
    return plain(event_scores(gold, predicted, schema, list(schema.label_names)))


def table(report: dict) -> str:
    """The span table, and the events table when the report scores events."""
    from newsgold.annotate.eventscoring import events_table, scored

    text = scores_table(report)
    if report.get("events") and scored(report["events"]):
        text += "\n\n" + events_table(report["events"])
    return text


def markdown(report: dict, title: str) -> str:
    """report.md: the table, and a note for every figure that cannot be computed or label not scored."""
    from newsgold.train.features import features_note

    lines = notes(report)
    text = f"# {title}\n\n"
    if "features" in report:  # a model's report: which features, which language pipeline
        text += f"Model {report.get('model_version')}: {features_note(report)}.\n\n"
    text += f"{scores_table(report)}\n"
    events = report.get("events")
    if events:
        from newsgold.annotate.eventscoring import event_notes, events_table, scored

        text += "\n## Events\n\n" + events["definition"] + "\n\n"
        text += (events_table(events) + "\n") if scored(events) else ""
        lines += event_notes(events)
    if lines:
        text += "\n– : cannot be computed. Notes:\n\n" + "".join(f"- {line}\n" for line in lines)
    return text


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
    (folder / "report.md").write_text(markdown(report, title))
    written = ["report.json", "report.md"]
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return written
    labels = list(report["labels"])
    figure, axis = plt.subplots(figsize=(6, 3.5))
    x = range(len(labels))
    for shift, scheme in ((-0.2, "strict"), (0.2, "partial")):
        values = [report["labels"][l][scheme]["f1"] for l in labels]
        axis.bar([i + shift for i in x], [v or 0 for v in values], width=0.4, label=f"{scheme} F1")
        for i, value in zip(x, values):
            if value is None:  # cannot be computed: "–", the reason is in report.md
                axis.text(i + shift, 0.02, "–", ha="center")
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
    image = axis.imshow(
        matrix, cmap="Blues", norm=matplotlib.colors.LogNorm(vmin=1, vmax=max(max(r) for r in matrix) or 1)
    )
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
