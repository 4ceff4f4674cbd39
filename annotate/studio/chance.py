"""Chance-corrected agreement and relation agreement between annotators.

Beside the pairwise span F1 of `annotate.studio.agreement`, which credits agreement that chance alone
would produce, this module reports what reviewers of annotation papers ask for:

- **Krippendorff's α** (nominal), token level: each token of a compared document is a unit, each
  annotator a coder, the value the token's IOB2 tag (`O`, `B-ACTOR`, ...). Over all tags, and per
  label (the tags of that label alone, every other token `O`). Computed by the `krippendorff`
  package (Castro's implementation of Krippendorff 2011, the one INCEpTION's DKPro Agreement
  results are checked against); an annotator who did not annotate a document is missing there,
  which α allows.
- **Cohen's κ** per pair of annotators over the tokens of the documents both annotated
  (scikit-learn's `cohen_kappa_score`).
- **relation agreement** per pair: F1 over the relations of the documents both annotated, a
  relation agreeing when its type and both endpoints (start, end, label) are the same.

A token takes the tag of the span it lies in, the first token of a span `B-`; a span whose edges
fall inside a token still marks the tokens it touches (annotators draw on characters). A figure
that cannot be computed (a single value everywhere: no variation to correct for) is None, with
its reason under `unscored`.
"""

from __future__ import annotations

from itertools import combinations

from newsgold.annotate.tokens import token_arrays

DEFINITION = (
    "Krippendorff's alpha (nominal): each token of a compared document a unit, each annotator a coder, "
    "the value its IOB2 tag; over all tags, and per label over that label's tags alone. Cohen's kappa: "
    "per pair, over the tokens of the documents both annotated. Relation F1: per pair, a relation "
    "agreeing when its type and both endpoints (start, end, label) are the same. 1 is perfect "
    "agreement, 0 what chance gives."
)


def token_tags(text: str, spans) -> list[str]:
    """The IOB2 tag of each token of `text` (`annotate.tokens`) under `spans` (objects with start,
    end, label): a token takes the span it overlaps, `B-` on the span's first token."""
    _, starts, ends = token_arrays(text)
    tags = ["O"] * len(starts)
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        inside = [i for i, (s, e) in enumerate(zip(starts, ends)) if s < span.end and span.start < e and tags[i] == "O"]
        for n, i in enumerate(inside):
            tags[i] = f"{'B' if n == 0 else 'I'}-{span.label}"
    return tags


def relation_keys(spans, relations) -> set[tuple]:
    """Each relation as (type, head (start, end, label), tail (start, end, label)); a relation
    whose endpoint is not among `spans` is left out."""
    by_id = {s.id: (s.start, s.end, s.label) for s in spans if s.id is not None}
    return {(r.label, by_id[r.head], by_id[r.tail]) for r in relations if r.head in by_id and r.tail in by_id}


class ChanceAgreement:
    """Collects, document by document, each annotator's token tags and relations, then reports
    α, κ and relation F1 (`report`)."""

    def __init__(self, labels: list[str]):
        self.labels = list(labels)
        self.documents: list[dict[str, tuple[list[str], set]]] = []

    def add(self, text: str, drawn: dict[str, tuple[list, list]]) -> None:
        """One document: annotator name -> (spans, relations) of their annotation."""
        self.documents.append(
            {
                name: (token_tags(text, spans), relation_keys(spans, relations))
                for name, (spans, relations) in drawn.items()
            }
        )

    def report(self) -> dict:
        unscored: dict[str, str] = {}
        coders = sorted({name for doc in self.documents for name in doc})
        alpha = {
            "tags": _alpha(self.documents, coders, lambda tag: tag, "all tags", unscored),
            "labels": {label: _alpha(self.documents, coders, _only(label), label, unscored) for label in self.labels},
        }
        kappa, relations = {}, {}
        for a, b in combinations(coders, 2):
            both = [doc for doc in self.documents if a in doc and b in doc]
            if not both:
                continue
            pair = f"{a} vs {b}"
            kappa[pair] = _kappa(
                [t for doc in both for t in doc[a][0]], [t for doc in both for t in doc[b][0]], pair, unscored
            )
            relations[pair] = _relation_f1([doc[a][1] for doc in both], [doc[b][1] for doc in both])
        return {"alpha": alpha, "kappa": kappa, "relations": relations, "unscored": unscored, "definition": DEFINITION}


def _only(label: str):
    return lambda tag: tag if tag[2:] == label else "O"


def _alpha(documents, coders: list[str], value, name: str, unscored: dict) -> float | None:
    """Nominal α over every token of `documents` (coders missing where they did not annotate)."""
    import krippendorff
    import numpy as np

    columns, codes = [], {}
    for doc in documents:
        length = len(next(iter(doc.values()))[0])
        for i in range(length):
            columns.append([codes.setdefault(value(doc[c][0][i]), len(codes)) if c in doc else np.nan for c in coders])
    paired = [col for col in columns if sum(v == v for v in col) >= 2]  # NaN != NaN
    if not paired:
        unscored[f"alpha: {name}"] = (
            "no token annotated by two or more annotators (the ground truth aside): nothing to compare"
        )
        return None
    if len({v for col in paired for v in col if v == v}) < 2:
        unscored[f"alpha: {name}"] = "one value on every token the annotators share: nothing to correct for chance"
        return None
    return round(
        float(krippendorff.alpha(reliability_data=np.array(paired, dtype=float).T, level_of_measurement="nominal")), 4
    )


def _kappa(a: list[str], b: list[str], pair: str, unscored: dict) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    if len(set(a) | set(b)) < 2:
        unscored[f"kappa: {pair}"] = "one tag on every token both annotated: nothing to correct for chance"
        return None
    return round(float(cohen_kappa_score(a, b)), 4)


def _relation_f1(a: list[set], b: list[set]) -> dict:
    """Pooled over documents: the relations both drew, each side's count, and F1 (None when
    neither drew one)."""
    both, first, second = sum(len(x & y) for x, y in zip(a, b)), sum(map(len, a)), sum(map(len, b))
    return {
        "agreed": both,
        "first": first,
        "second": second,
        "f1": round(2 * both / (first + second), 4) if first + second else None,
    }


def chance_table(report: dict) -> str:
    """Markdown tables of α (all tags and per label) and, per pair, κ and relation F1."""

    def cell(x):
        return "–" if x is None else f"{x:.2f}"

    alpha = report["alpha"]
    lines = [
        "| Krippendorff's α | " + " | ".join(["all tags", *alpha["labels"]]) + " |",
        "|---|" + "---|" * (len(alpha["labels"]) + 1),
        "| tokens | " + " | ".join(cell(x) for x in [alpha["tags"], *alpha["labels"].values()]) + " |",
    ]
    if report["kappa"]:
        lines += ["", "| pair | Cohen's κ | relation F1 | relations agreed / drawn by each |", "|---|---|---|---|"]
        for pair, kappa in report["kappa"].items():
            r = report["relations"][pair]
            lines.append(f"| {pair} | {cell(kappa)} | {cell(r['f1'])} | {r['agreed']} / {r['first']}, {r['second']} |")
    lines += [f"- {name}: –, {reason}" for name, reason in report["unscored"].items()]
    return "\n".join(lines)
