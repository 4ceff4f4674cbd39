"""What fitting and scoring need of a dataset, checked before any work starts, so that small data
(normal at the start of a project) ends in one true line instead of a traceback or a false figure.

- `held_split`, `train_split`: a split to score (`train evaluate`, `train curve`) or to train on
  (`train fit`, `train curve`) must hold documents; the error names the split, the splits that
  do, and what to do.
- `require_learnable`: `train fit` (and `train curve`) need a train split from which the tagger
  can learn at least one label (a label with a span, that every train document is gold for);
  `not_learned` says, per label, why it was not learned.
- `shared_labels`: the labels a model learned and a split is gold for; none is a refusal, and
  the others are listed, with why, in the report (`annotate.scoring.summarise`).
"""

from __future__ import annotations

from pathlib import Path

from newsgold.annotate.dataset import DatasetError, Split, load_split, require_dataset
from newsgold.train.tagger import learnable_labels

RULE = "the tagger learns a label only when every train document is gold for it and it has a span"


class SmallDataError(DatasetError):
    """A dataset has too little in it for what is asked: an empty split, nothing to learn."""


def split_sizes(dataset: str | Path) -> dict[str, int]:
    from datasets import load_from_disk

    return {name: part.num_rows for name, part in load_from_disk(str(require_dataset(dataset))).items()}


def held_split(
    dataset: str | Path, split: str, what: str = "no score can be computed", fix: str | None = None
) -> Split:
    """The split `split` of `dataset`, refused when it holds no document: the error names the
    splits that have some and what to do (`fix`, or by default: score another split)."""
    part = load_split(dataset, split)
    if part.tokens:
        return part
    sizes = split_sizes(dataset)
    filled = {name: rows for name, rows in sizes.items() if rows}
    if not filled:
        raise SmallDataError(f"{dataset}: the dataset holds no document in any split; annotate some and export again")
    others = ", ".join(f"{name} ({rows} document{'s' * (rows != 1)})" for name, rows in filled.items())
    if fix is None:
        held = [name for name in filled if name != "train"]
        fix = (
            f"pass --split {held[0]}"
            if held
            else "pass --split train to score on the training data itself (not a held-out score)"
        )
    raise SmallDataError(
        f"{dataset}: split {split!r} has no documents, so {what}; only {others} "
        f"{'has' if len(filled) == 1 else 'have'} documents. {fix[0].upper() + fix[1:]}, or annotate and export more "
        f"stories: `annotate export` assigns whole stories to splits, so {split} gets documents once there are "
        "enough stories"
    )


def train_split(dataset: str | Path, what: str = "no tagger can be fitted") -> Split:
    """The train split of `dataset`, refused when it holds no document (with few stories, the
    split by story can put every one elsewhere)."""
    return held_split(
        dataset, "train", what, fix="export again with `--ratios 1,0,0` to train on every document (nothing held out)"
    )


def _gold_for(annotated: list[str], present: set[str]) -> set[str]:
    return set(annotated or present)


def not_learned(train: Split) -> dict[str, str]:
    """Label -> why a tagger fitted on `train` does not learn it, for every label some train
    document is gold for or has a span of."""
    spans: dict[str, int] = {}
    for tags in train.tags:
        for tag in tags:
            if tag.startswith("B-"):
                spans[tag[2:]] = spans.get(tag[2:], 0) + 1
    present = set(spans)
    gold_in = {}
    for annotated in train.annotated_labels:
        for label in _gold_for(annotated, present):
            gold_in[label] = gold_in.get(label, 0) + 1
    learned = set(learnable_labels(train.tags, train.annotated_labels))
    n, reasons = len(train.tokens), {}
    for label in sorted((present | set(gold_in)) - learned):
        why = []
        if gold_in.get(label, 0) < n:
            why.append(f"gold in {gold_in.get(label, 0)} of the {n} training documents, not all")
        if not spans.get(label):
            why.append("no span of it in the train split")
        reasons[label] = "; ".join(why)
    return reasons


def require_learnable(dataset: str | Path, train: Split) -> list[str]:
    """The labels a tagger learns from `train`, refused (SmallDataError) when there is none."""
    learned = learnable_labels(train.tags, train.annotated_labels)
    if learned:
        return learned
    n = len(train.tokens)
    documents = f"{n} document{'s' * (n != 1)}"
    reasons = not_learned(train)
    if not any(tag != "O" for tags in train.tags for tag in tags):
        raise SmallDataError(
            f"{dataset}: the train split's {documents} hold no entity span, so the tagger has "
            "nothing to learn; annotate spans in them (the pre-annotations are not gold until "
            "an annotator submits them) and export again"
        )
    listed = "; ".join(f"{label}: {reason}" for label, reason in reasons.items())
    raise SmallDataError(
        f"{dataset}: the tagger can learn no label from the train split ({documents}): {listed}; "
        f"{RULE}: annotate every train document for the same labels, or export only documents "
        "gold for them"
    )


def shared_labels(learned: list[str], dataset: str | Path, split: str, part: Split, who: str) -> list[str]:
    """The labels of `learned` some document of `part` is gold for, refused when there is none;
    `who` learned them ("MODEL: the model", "DATASET: its train split")."""
    gold_for = set()
    for annotated in part.annotated_labels:
        gold_for |= set(annotated or learned)
    shared = [label for label in learned if label in gold_for]
    if shared:
        return shared
    if not learned:
        raise SmallDataError(
            f"{who} learned no label, so it predicts nothing and there is nothing to score; "
            "retrain it with `train fit DATASET --out DIR` on a dataset with spans"
        )
    raise SmallDataError(
        f"{who} learned {', '.join(learned)}, but no document of split {split!r} of {dataset} is gold for "
        f"{'it' if len(learned) == 1 else 'any of them'} (they are gold for {', '.join(sorted(gold_for)) or 'nothing'}), "
        f"so nothing can be scored; score on documents annotated for {', '.join(learned)}, or fit on documents "
        f"annotated like split {split!r}"
    )
