"""`annotate export --to spacy`: one spaCy `DocBin` per split, `spacy/<split>.spacy`, read by
`DocBin().from_disk(path).get_docs(nlp.vocab)` and by `spacy train` as a corpus.

Each `Doc` is built from the row's own tokens, its text exactly: the whitespace between two
tokens is the first token's trailing space when it is one space, else a whitespace token of its
own (as spaCy's tokenizer makes them). On it:

- `doc.ents`: the entities of the row's IOB2 `ner_tags` (overlapping spans and spans off token
  boundaries are not in them, as in the tags);
- `doc.spans["sc"]` (`SPANS_KEY`, the key spaCy's span categorizer reads): every span of the
  row on token boundaries, overlapping ones included, each with its newsgold span id as
  `span.id_`, in row order;
- `doc.user_data` (kept: the DocBin stores user data): `"id"`, `"story_id"`,
  `"annotated_labels"`, `"relations"` (head and tail are span ids, as `span.id_`) and `"events"`
  (the `events` column's records), as the dataset's JSONL has them (lists come back as tuples).

A span off our token boundaries (listed in problems.jsonl) is not in the Doc; `notes()` counts
those and the spans `doc.ents` leaves out. Only the token attributes that carry something are
stored (ORTH, ENT_IOB, ENT_TYPE; spaCy adds the spaces). A split's DocBin is held in memory until
the end of the export (the file is one compressed blob): about 40 bytes a token on the starter
gold, less than its JSONL rows.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from newsgold.annotate.dataset import SPLITS
from newsgold.annotate.export.report import ExportError
from newsgold.annotate.export.writers import Writer

SPANS_KEY = "sc"
ATTRS = ("ORTH", "ENT_IOB", "ENT_TYPE")
USER_DATA = ("id", "story_id", "annotated_labels", "relations", "events")


def words_and_spaces(text: str, offsets) -> tuple[list[str], list[bool]]:
    """spaCy's words and spaces for the tokens at `offsets` of `text` (module docstring): their
    concatenation is `text`."""
    words: list[str] = []
    spaces: list[bool] = []
    at = 0

    def gap(upto: int) -> None:
        between = text[at:upto]
        if between.startswith(" ") and words and not words[-1].isspace():
            spaces[-1], between = True, between[1:]
        if between:
            words.append(between)
            spaces.append(False)

    for start, end in offsets:
        gap(start)
        words.append(text[start:end])
        spaces.append(False)
        at = end
    gap(len(text))
    return words, spaces


def tagged(row: dict, tag_names) -> list[tuple[int, int, str]]:
    """The entities of the row's IOB2 tags as character spans (start, end, label)."""
    found: list[list] = []
    previous = "O"
    for (start, end), tag in zip(row["token_offsets"], row["ner_tags"]):
        name = tag_names[tag]
        if name.startswith("I-") and previous != "O" and previous[2:] == name[2:]:
            found[-1][1] = end
        elif name != "O":  # B-, or an I- that continues nothing (read as a start, as seqeval does)
            found.append([start, end, name[2:]])
        previous = name
    return [(start, end, label) for start, end, label in found]


def row_doc(row: dict, vocab, tag_names):
    """The `Doc` of one dataset row (module docstring), and how many of its spans are off the
    token boundaries and how many are left out of `doc.ents`."""
    from spacy.tokens import Doc

    words, spaces = words_and_spaces(row["text"], row["token_offsets"])
    doc = Doc(vocab, words=words, spaces=spaces)
    if doc.text != row["text"]:
        raise ExportError(
            f"document {row['id']}: its tokens do not rebuild its text (overlapping token "
            "offsets); the spacy writer needs increasing token offsets into the text"
        )
    entities = tagged(row, tag_names)
    doc.ents = [doc.char_span(start, end, label=label) for start, end, label in entities]
    group, off = [], 0
    for span in row["spans"]:
        made = doc.char_span(span["start"], span["end"], label=span["label"], span_id=span["id"] or "")
        if made is None:
            off += 1
        else:
            group.append(made)
    doc.spans[SPANS_KEY] = group
    for key in USER_DATA:
        if key in row:
            doc.user_data[key] = row[key]
    in_ents = set(entities)
    outside = sum((s.start_char, s.end_char, s.label_) not in in_ents for s in group)
    return doc, off, outside


class SpacyWriter(Writer):
    """`spacy/<split>.spacy` (module docstring)."""

    name, paths = "spacy", ("spacy",)
    summary = (
        "spacy/<split>.spacy, a spaCy DocBin: doc.ents, every span in doc.spans['sc'], relations and "
        "events in doc.user_data"
    )

    def __init__(self, folder: Path, schema, features, gold=None) -> None:
        from spacy.tokens import DocBin
        from spacy.vocab import Vocab

        self.folder, self.vocab = folder / "spacy", Vocab()
        self.tag_names = features["ner_tags"].feature.names
        self.bins = {name: DocBin(attrs=list(ATTRS), store_user_data=True) for name in SPLITS}
        self.off = self.outside = 0
        self.folder.mkdir()

    def write(self, split: str, table, lines: list[bytes]) -> None:
        for line in lines:
            doc, off, outside = row_doc(orjson.loads(line), self.vocab, self.tag_names)
            self.bins[split].add(doc)
            self.off += off
            self.outside += outside

    def close(self) -> None:
        for name, docs in self.bins.items():
            docs.to_disk(self.folder / f"{name}.spacy")

    def notes(self) -> list[str]:
        notes = []
        if self.outside:
            notes.append(
                f"spacy: {self.outside} span(s) left out of ner_tags (overlapping another, or with "
                f"several labels) are in doc.spans[{SPANS_KEY!r}] but not in doc.ents, which cannot overlap"
            )
        if self.off:
            notes.append(
                f"spacy: {self.off} span(s) off the token boundaries are not in the spaCy docs "
                "(jsonl, hf and parquet hold them; listed in problems.jsonl)"
            )
        return notes
