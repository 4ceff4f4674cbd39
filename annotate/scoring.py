"""The scoring core: spans counted against gold, and the figures, averages and notes built from
the counts, for `annotate score`, `train evaluate` and `train curve` alike.

- Counting: predicted spans against gold spans with nervaluate (`count_spans`, for `annotate
  score`); `train evaluate` counts its tag sequences the way it always has (seqeval's strict
  IOB2 entities, nervaluate's partial) and hands the counts to the same functions below.
- Figures (`prf`): a precision without a predicted span, a recall without a gold span, an F1
  with neither, cannot be computed: it is None, with the reason in `Scores.reason`, never NaN
  and never a 0 that pretends. An F1 whose one defined side is 0 is 0 (nothing found right).
- Labels (`summarise`): the labels both sides have are scored, each named; a label only one side
  has (a gold label the model never learned, a label no document is gold for) is listed in
  `unscored` with its reason and its gold count, and kept out of the micro and macro averages.
- Rendering (`cell`, `notes`, `scores_table`): None is "–" in a table, null in JSON, and every
  reason becomes one note.
- Predictions meet gold through `check_predictions` only (`predchecks.py`).

Each document is scored only on the labels it is gold for (`annotated_labels`): a corpus that
never marked actions is not evidence that predicted actions are wrong.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, NamedTuple

from newsgold.annotate.predchecks import ScoringError, check_predictions, document_key

HALF_CREDIT = ("partial", "ent_type")  # nervaluate's schemes giving a partial match half a point


NO_SPANS = "no gold span and no predicted span: nothing to compare"


class Counts(NamedTuple):
    correct: int = 0
    partial: int = 0
    predicted: int = 0
    gold: int = 0

    def __add__(self, other: "Counts") -> "Counts":  # type: ignore[override]
        return Counts(*(a + b for a, b in zip(self, other)))


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 (None where they cannot be computed, `reason` saying why) and
    the counts they come from. Reads like a dict too (`scores["f1"]`), as reports in JSON do."""

    precision: float | None
    recall: float | None
    f1: float | None
    correct: int
    predicted: int
    gold: int
    partial: int = 0
    reason: str | None = None

    def __getitem__(self, key: str):
        return getattr(self, key)

    def get(self, key: str, default=None):
        return getattr(self, key, default)


def prf(counts: Counts, half_credit: bool = False) -> Scores:
    """Scores of `counts`; `half_credit`: a partial match counts half (nervaluate's partial)."""
    credit = counts.correct + (0.5 * counts.partial if half_credit else 0)
    precision = credit / counts.predicted if counts.predicted else None
    recall = credit / counts.gold if counts.gold else None
    if precision is None and recall is None:
        f1, reason = None, NO_SPANS
    elif precision is None or recall is None:
        # the defined side is 0 (no credit without both), and so is F1 whatever the other side
        f1 = 0.0
        reason = "precision undefined: no span predicted" if precision is None else "recall undefined: no gold span"
    else:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        reason = None
    rounded = [None if v is None else round(v, 4) for v in (precision, recall, f1)]
    return Scores(
        *rounded,
        correct=counts.correct,
        predicted=counts.predicted,
        gold=counts.gold,
        partial=counts.partial,
        reason=reason,
    )


def _unscored(gold: int, reason: str) -> Scores:
    return Scores(None, None, None, correct=0, predicted=0, gold=gold, reason=f"not scored: {reason}")


def _macro(rows: dict[str, Scores], label_names: list[str], counts: Counts) -> Scores:
    """The mean over the labels of each figure where it is defined (seqeval's macro: F1 is the
    mean of the labels' F1), the labels left out of a figure named in the reason."""
    values, said = {}, []
    for metric in ("precision", "recall", "f1"):
        defined = [label for label in label_names if rows[label][metric] is not None]
        values[metric] = round(sum(rows[l][metric] for l in defined) / len(defined), 4) if defined else None
        missing = [label for label in label_names if label not in defined]
        if label_names and not defined:
            said.append(f"{metric} undefined for every label")
        elif missing:
            said.append(
                f"{metric} over {', '.join(defined)} only ("
                + "; ".join(f"{label}: {rows[label].reason}" for label in missing)
                + ")"
            )
    reason = "no label scored" if not label_names else ("; ".join(said) or None)
    return Scores(
        values["precision"],
        values["recall"],
        values["f1"],
        correct=counts.correct,
        predicted=counts.predicted,
        gold=counts.gold,
        partial=counts.partial,
        reason=reason,
    )


def summarise(
    counts: dict[str, dict[str, Counts]],
    scored: Iterable[str],
    unscored: dict[str, str],
    schemes: Iterable[str],
    order: Iterable[str] = (),
    pooled: dict[str, Counts] | None = None,
) -> dict:
    """The report of `counts` (label -> scheme -> Counts): `labels` (label -> scheme -> Scores,
    the labels scored first, then those in `unscored`, label -> why, with their gold count and no
    figure; in the order of `order`, then the rest), `micro` (the counts of the labels scored
    pooled, or `pooled`, scheme -> Counts, where the counter pools them itself: nervaluate's
    overall partial match ignores the label) and `macro` (scheme -> Scores) and `unscored`."""
    scored, schemes = list(scored), list(schemes)
    labels: dict[str, dict[str, Scores]] = {}
    for label in dict.fromkeys([*(l for l in order if l in scored or l in unscored), *scored, *unscored]):
        if label in unscored:
            labels[label] = {
                s: _unscored(counts.get(label, {}).get(s, Counts()).gold, unscored[label]) for s in schemes
            }
        else:
            labels[label] = {s: prf(counts.get(label, {}).get(s, Counts()), s in HALF_CREDIT) for s in schemes}
    micro, macro = {}, {}
    for scheme in schemes:
        total = sum((counts.get(label, {}).get(scheme, Counts()) for label in scored), Counts())
        if pooled is not None and scheme in pooled:
            total = pooled[scheme]
        if scored:
            micro[scheme] = prf(total, scheme in HALF_CREDIT)
        else:
            micro[scheme] = Scores(
                None,
                None,
                None,
                total.correct,
                total.predicted,
                total.gold,
                reason="no label is both predicted and gold: "
                + "; ".join(f"{label}: {reason}" for label, reason in unscored.items()),
            )
        macro[scheme] = _macro({label: labels[label][scheme] for label in scored}, scored, total)
    return {"labels": labels, "micro": micro, "macro": macro, "unscored": dict(unscored)}


def plain(value):
    """A report with its Scores as plain dicts (JSON: None is null)."""
    if isinstance(value, Scores):
        return asdict(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)) and not isinstance(value, Counts):
        return [plain(item) for item in value]
    return value


def cell(value: float | None) -> str:
    """A figure in a table: three decimals, or "–" where it cannot be computed."""
    return "–" if value is None else f"{value:.3f}"


def notes(report: dict) -> list[str]:
    """One line per reason in a report (per label, then the averages): what a "–" in the table
    means, and which labels were not scored and why."""
    lines: list[str] = []
    rows = list(report["labels"].items()) + [
        (f"{name} average", report[name]) for name in ("micro", "macro") if name in report
    ]
    for name, schemes in rows:
        reasons = {scheme: scores["reason"] for scheme, scores in schemes.items() if scores["reason"]}
        if len(set(reasons.values())) == 1:
            lines.append(f"{name}: {next(iter(reasons.values()))}")
        else:
            lines.extend(f"{name} ({scheme}): {reason}" for scheme, reason in reasons.items())
    return lines


def scores_table(report: dict) -> str:
    """A Markdown table of a report (`annotate score`'s or `train evaluate`'s): strict and
    partial P/R/F1 per label, micro and macro averaged, with the gold and predicted counts."""
    lines = [
        "| label | strict P | strict R | strict F1 | partial P | partial R | partial F1 | gold | predicted |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rows = list(report["labels"].items()) + [
        (f"**{name}**", report[name]) for name in ("micro", "macro") if name in report
    ]
    for label, schemes in rows:
        s, p = schemes["strict"], schemes["partial"]
        counts = ("", "") if label == "**macro**" else (s["gold"], s["predicted"])
        lines.append(
            f"| {label} | {cell(s['precision'])} | {cell(s['recall'])} | {cell(s['f1'])} | {cell(p['precision'])} "
            f"| {cell(p['recall'])} | {cell(p['f1'])} | {counts[0]} | {counts[1]} |"
        )
    return "\n".join(lines)


def nervaluate_spans(spans: list[dict], labels: set[str]) -> list[dict]:
    """Spans as nervaluate reads them, keeping only `labels`."""
    # nervaluate treats `end` as inclusive; our offsets are end-exclusive.
    return [{"label": s["label"], "start": s["start"], "end": s["end"] - 1} for s in spans if s["label"] in labels]


def count_spans(
    gold: list[dict], predicted: dict[str, dict], labels: list[str], schemes: Iterable[str] = ("strict", "partial")
) -> tuple[dict, dict[str, Counts], dict[str, int]]:
    """Label -> scheme -> Counts of the predicted spans (document id -> record, as
    `check_predictions` returns them) against the `gold` documents under nervaluate's `schemes`,
    each document on the labels of `labels` it is gold for; scheme -> the Counts nervaluate pools
    over every label (its micro); and label -> the number of gold documents gold for it. Every gold document needs a prediction."""
    from nervaluate import Evaluator

    true_lists, pred_lists = [], []
    documents_gold_for = {label: 0 for label in labels}
    for doc in gold:
        if doc["id"] not in predicted:
            raise ScoringError(
                f"gold document {doc['id']} ({doc.get('source')}) has no prediction; "
                "pre-annotate the same documents you score"
            )
        scored = set(doc.get("annotated_labels") or labels) & set(labels)
        for label in scored:
            documents_gold_for[label] += 1
        true_lists.append(nervaluate_spans(doc.get("spans") or [], scored))
        pred_lists.append(nervaluate_spans(predicted[doc["id"]].get("spans") or [], scored))
    schemes = list(schemes)
    counts: dict[str, dict[str, Counts]] = {}
    pooled = {s: Counts() for s in schemes}
    if gold:
        results = Evaluator(
            true_lists, pred_lists, tags=list(labels), loader="dict"
        ).evaluate()  # a first document without spans too
        for label, by_scheme in results["entities"].items():  # nervaluate leaves out a label nobody has
            counts[label] = {s: nervaluate_counts(r) for s, r in by_scheme.items() if s in schemes}
        pooled = {s: nervaluate_counts(results["overall"][s]) for s in schemes}
    return counts, pooled, documents_gold_for


def nervaluate_counts(result) -> Counts:
    """The Counts of a nervaluate result."""
    return Counts(result.correct, result.partial, result.actual, result.possible)


def score_documents(
    gold: list[dict],
    predicted: list[dict] | dict[str, dict],
    labels: list[str],
    source: str = "predictions",
    schemes: tuple[str, ...] = ("strict", "partial"),
    gold_source: str = "the gold",
    relation_ends: dict | None = None,
    schema=None,
) -> dict:
    """P/R/F1 per label and micro- and macro-averaged over `labels` under nervaluate's `schemes`
    (strict, partial; also exact, ent_type: the label right and the boundaries overlapping),
    figures that cannot be computed None with their reason (see `summarise`).

    `gold` and `predicted` are documents in the JSONL shape (`id`, `text`, `spans`,
    `annotated_labels`); they are matched by id (a document without one by its content hash,
    `document_key`), the predictions checked against the gold (`check_predictions`; a dict is
    taken as checked), and every gold document needs a prediction. `source` names the
    predictions in errors, `gold_source` the gold. A label no gold document is gold for is not
    scored, and said so. With `relation_ends` (`Schema.relation_ends`) or the `schema`,
    `relations` holds the relation scores too (`annotate.relscoring.relation_scores`) and
    `events` the event scores (`annotate.eventscoring.event_scores`, trigger and roles the
    schema's).
    """
    gold = [{**doc, "id": document_key(doc, f"gold document {n}")} for n, doc in enumerate(gold, 1)]
    if not gold:
        raise ScoringError(
            f"{gold_source}: no gold document in it, so nothing can be scored; score against a "
            "file of gold documents (`annotate export` writes one as JSONL)"
        )
    if not isinstance(predicted, dict):
        predicted = check_predictions(
            gold, ((f"{source} document {n}", record) for n, record in enumerate(predicted, 1)), labels
        )
    counts, pooled, gold_for = count_spans(gold, predicted, labels, schemes)
    unscored = {label: "no gold document is annotated for it" for label in labels if not gold_for[label]}
    report = summarise(counts, [label for label in labels if label not in unscored], unscored, schemes, labels, pooled)
    report["documents"] = len(gold)
    report["predictions_without_gold"] = len(set(predicted) - {doc["id"] for doc in gold})
    if schema is not None and relation_ends is None:
        relation_ends = schema.relation_ends
    if relation_ends is not None:
        from newsgold.annotate.eventscoring import event_scores
        from newsgold.annotate.relscoring import relation_scores

        report["relations"] = relation_scores(gold, predicted, relation_ends, labels)
        report["events"] = event_scores(gold, predicted, schema if schema is not None else relation_ends, labels)
    return report
