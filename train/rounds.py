"""The trainer `annotate loop` finds through the entry point group `newsgold.trainers`.

`fit_round(dataset, out)` fits the tagger on the train split of an exported dataset into the model
folder `out` (written atomically by `train.api.fit`) and scores it on the validation split: the
round's dev score. `annotate` never imports `train`; it loads this function by its entry point.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable


def _figures(scores) -> dict:
    return {
        "precision": scores["precision"],
        "recall": scores["recall"],
        "f1": scores["f1"],
        "correct": scores["correct"],
        "predicted": scores["predicted"],
        "gold": scores["gold"],
    }


def dev_score(model: str | Path, dataset: str | Path) -> tuple[dict | None, str | None]:
    """(the model's strict and partial micro P/R/F1 on the validation split, None) or (None, why
    there is none: no validation split, no label in common)."""
    from newsgold.annotate.errors import NewsgoldError
    from newsgold.train.checks import held_split, shared_labels, split_sizes
    from newsgold.train.evaluate import evaluate
    from newsgold.train.features import context_for
    from newsgold.train.model import load_model

    if not split_sizes(dataset).get("validation"):
        return None, "the export has no validation split (no story fell into it): no dev score"
    tagger, metadata = load_model(model, dataset)
    part = held_split(dataset, "validation")
    try:
        shared_labels(tagger.labels_, dataset, "validation", part, f"{model}: the model")
    except NewsgoldError as exc:
        return None, str(exc)
    predicted = tagger.predict(part.tokens, context_for(tagger.features, part.texts, part.offsets))
    report = evaluate(part.tags, predicted, part.annotated_labels, tagger.labels_, metadata.get("not_learned_because"))
    micro = report["micro"]
    return {
        "split": "validation",
        "documents": len(part.tokens),
        "strict": _figures(micro["strict"]),
        "partial": _figures(micro["partial"]),
        "unscored": sorted(report.get("unscored") or {}),
    }, None


def fit_round(
    dataset: str | Path, out: str | Path, *, features: str = "pipeline", unlabelled: Iterable[str | Path] = ()
) -> dict:
    """Fit `out` from `dataset` (its word clusters also from the `unlabelled` documents) and
    score it on the validation split: {"model_version", "train_documents", "labels", "dev"
    (None without a score), "dev_note" (why not)}."""
    from newsgold.train.api import fit

    metadata = fit(dataset, out, unlabelled=list(unlabelled), features=features)
    dev, note = dev_score(out, dataset)
    return {
        "model_version": metadata["model_version"],
        "train_documents": metadata["train_documents"],
        "labels": metadata["labels"],
        "dev": dev,
        "dev_note": note,
    }
