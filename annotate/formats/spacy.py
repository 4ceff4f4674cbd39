"""spaCy and Prodigy JSONL: `text` and `spans` of `start`, `end`, `label` (span `text`
optional), the shape of newsgold gold JSONL; a Prodigy `answer` of reject or ignore skips the
example (`formats.gold.read_gold` reads both)."""

from __future__ import annotations

from newsgold.annotate.formats import InputFormat, Sample
from newsgold.annotate.formats.gold import read_gold

read_spacy = read_gold  # spaCy/Prodigy JSONL has the same shape; span `text` is optional in both

_PRODIGY_KEYS = frozenset({"answer", "tokens", "_input_hash", "_task_hash"})


def is_spacy(sample: Sample) -> bool:
    """A first JSON object with Prodigy's keys, or with `spans` that lack their `text`."""
    record = sample.record
    if record is None:
        return False
    spans = record.get("spans")
    return bool(_PRODIGY_KEYS & record.keys()) or (
        isinstance(spans, list) and any(isinstance(s, dict) and "text" not in s for s in spans)
    )


FORMAT = InputFormat(
    name="spacy",
    aliases=("prodigy",),
    title="spaCy/Prodigy JSONL",
    help="spaCy/Prodigy JSONL",
    detect=is_spacy,
    read=read_spacy,
    order=40,
)
