"""Predictions meet gold through `check_predictions` only: one prediction per document, the
same text as the gold document of its id (after normalisation), spans inside that text whose
`text` (when given) is what the offsets cover, labels of the schema. A prediction that cannot be
scored is a `ScoringError` naming the document, the cause and the fix."""

from __future__ import annotations

from typing import Iterable

from newsgold.annotate.documents import document_id, normalize_id, normalize_text
from newsgold.annotate.errors import NewsgoldError


class ScoringError(NewsgoldError):
    """Predictions that cannot be scored against the gold, or nothing to score at all."""


def document_key(record: dict, item: str) -> str:
    """The id of a JSONL document, or the content hash of its text (what `annotate documents`
    gives a document without one); a NewsgoldError when it has neither."""
    doc_id = normalize_id(record.get("id"), item)  # the identity rule every reader follows
    if doc_id is not None:
        return doc_id
    if isinstance(record.get("text"), str) and normalize_text(record["text"]):
        return document_id(normalize_text(record["text"]))
    raise ScoringError(
        f"{item}: the document has neither an 'id' nor a 'text' to match it by; "
        "score the file `annotate preannotate` or `train predict` wrote"
    )


_FIX = "score the file `annotate preannotate` or `train predict` wrote for these gold documents"


def _checked_spans(record: dict, item: str, labels: list[str]) -> list[dict]:
    spans = record.get("spans") or []
    if not isinstance(spans, list):
        raise ScoringError(f"{item}: 'spans' is a {type(spans).__name__}, not a list of spans; {_FIX}")
    for span in spans:
        if not (
            isinstance(span, dict)
            and isinstance(span.get("label"), str)
            and all(isinstance(span.get(k), int) and not isinstance(span.get(k), bool) for k in ("start", "end"))
        ):
            raise ScoringError(f"{item}: span {span!r} has no integer start and end and a label; {_FIX}")
        if span["label"] not in labels:
            raise ScoringError(
                f"{item}: span {span['start']}-{span['end']} has the label {span['label']!r}, which "
                f"is not in the schema ({', '.join(labels)}); map it onto a schema label or leave it out"
            )
    return spans


def _on_gold(record: dict, spans: list[dict], gold: dict, item: str) -> list[dict]:
    """`spans` of the prediction `record` in offsets of the gold text, or a ScoringError when the
    prediction's text is not the gold document's or a span does not lie in it as it says."""
    from newsgold.annotate.formats.normalised import Normalised

    text, where = gold.get("text"), f"{item} (document {gold['id']})"
    if not isinstance(text, str):  # gold without its text (a caller's own records): nothing to check against
        return spans
    raw = record.get("text")
    if raw is not None and not isinstance(raw, str):
        raise ScoringError(f"{where}: 'text' is a {type(raw).__name__}, not a string; {_FIX}")
    normalised = Normalised.of(raw) if raw is not None else Normalised(text)
    if normalised.text != text:
        at = next(
            (i for i, (a, b) in enumerate(zip(normalised.text, text)) if a != b), min(len(normalised.text), len(text))
        )
        raise ScoringError(
            f"{where}: the prediction's text differs from the gold document of that id (first at character {at}: "
            f"{normalised.text[at : at + 20]!r} against {text[at : at + 20]!r}), so its spans do not point into the gold; "
            "predict on the gold texts themselves (`annotate preannotate GOLD` or `train predict MODEL GOLD`)"
        )
    own = raw if raw is not None else text
    carried = []
    for span in spans:
        start, end, label = span["start"], span["end"], span["label"]
        if not 0 <= start < end <= len(own):
            raise ScoringError(
                f"{where}: span {start}-{end} ({label}) lies outside the text, which has {len(own)} "
                f"characters (a span needs 0 <= start < end <= {len(own)}); {_FIX}"
            )
        if "text" in span and span["text"] != own[start:end]:
            raise ScoringError(
                f"{where}: span {start}-{end} ({label}) says {span['text']!r}, but the text there reads "
                f"{own[start:end]!r}: its offsets do not point at its text; {_FIX}"
            )
        edges = normalised.carry(start, end)
        if isinstance(edges, str):
            raise ScoringError(
                f"{where}: span {start}-{end} ({label}) cannot be placed in the normalised text: {edges}"
            )
        carried.append({**span, "start": edges[0], "end": edges[1]})
    return carried


def check_predictions(
    gold: list[dict],
    predictions: Iterable[tuple[str, dict]],
    labels: list[str],
    gold_items: dict[str, str] | None = None,
    relation_ends: dict | None = None,
) -> dict[str, dict]:
    """Document id -> prediction record (its spans in offsets of the gold text), every record of
    `predictions` ((item naming it, record) pairs) checked against the `gold` documents (JSONL
    records with their ids) and the schema `labels`: the document shape (`documents.check_record`);
    one id naming one text, among the predictions and against the gold (`documents.Identities`,
    the gold named by `gold_items`, id -> item); a document predicted twice must be predicted
    alike, and is kept once; with `relation_ends` (`Schema.relation_ends`), relations that can
    hold (`spans.refuse_bad_relations`); spans with integer offsets and schema labels; for a
    document of the gold, the same text after normalisation and every span inside it, covering
    its `text` when given. An error names the first record that fails, and why. Predictions of
    documents not in the gold are checked for shape and labels only (they are not scored)."""
    from newsgold.annotate.documents import Identities, check_record
    from newsgold.annotate.errors import DocumentError
    from newsgold.annotate.spans import refuse_bad_relations

    by_gold_id = {doc["id"]: doc for doc in gold}
    identities = Identities()
    for doc in gold:
        if isinstance(doc.get("text"), str):
            identities.check(doc["id"], doc["text"], (gold_items or {}).get(doc["id"], f"gold document {doc['id']}"))
    checked: dict[str, dict] = {}
    seen: dict[str, tuple[str, object]] = {}
    for item, record in predictions:
        if not isinstance(record, dict):
            raise ScoringError(
                f"{item}: a {type(record).__name__}, not a JSON object with 'id', 'text' and 'spans'; {_FIX}"
            )
        check_record(record, item)
        key = document_key(record, item)
        if isinstance(record.get("text"), str):
            identities.check(key, normalize_text(record["text"]), item)
        if key in seen:
            if seen[key][1] != record.get("spans"):
                raise DocumentError(
                    f"{seen[key][0]} and {item}: document {key!r} is predicted twice, differently; "
                    "keep one prediction per document"
                )
            continue  # a copy of the same prediction
        seen[key] = (item, record.get("spans"))
        if relation_ends is not None and isinstance(record.get("spans") or [], list):
            refuse_bad_relations(
                record.get("relations"), record.get("spans") or [], relation_ends, f"{item} (document {key})"
            )
        spans = _checked_spans(record, item, labels)
        if key in by_gold_id:
            spans = _on_gold(record, spans, by_gold_id[key], item)
        checked[key] = {**record, "id": key, "spans": spans}
    return checked
