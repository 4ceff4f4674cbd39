"""`annotate export --to conll` (annotate/export/to_conll.py) and the writer registry (targets.py)."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from seqeval.metrics.sequence_labeling import get_entities

from newsgold.annotate.cli import cli
from newsgold.annotate.export import ExportError, export_dataset
from newsgold.annotate.export.targets import WRITERS, chosen
from newsgold.annotate.export.write import EXPORT_FOLDER
from newsgold.annotate.formats.conll import read_conll
from newsgold.annotate.schema import load_schema

STARTER = Path(__file__).resolve().parent.parent / "seeds" / "gold" / "starter"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("conll")
    gold = folder / "gold.jsonl"
    gold.write_bytes(b"".join((STARTER / f"{s}.jsonl").read_bytes() for s in ("train", "validation")))
    report = export_dataset(folder / "out", from_file=gold, to="jsonl,conll")
    return report, folder / "out"


def _tagged(row, names):
    """The dataset's entities from its ner_tags: (label, their tokens joined by one space, as
    the CoNLL reader rebuilds the text) in order."""
    tags = [names[t] for t in row["ner_tags"]]
    return [(label, " ".join(row["tokens"][a : b + 1])) for label, a, b in get_entities(tags)]


def test_conll_round_trip_by_our_reader_and_seqeval(exported):
    report, out = exported
    names = load_schema(None).tag_names
    rows = [json.loads(line) for line in (out / "jsonl" / "train.jsonl").read_text().splitlines()]
    read = list(read_conll(out / "conll" / "train.conll"))
    assert len(read) == len(rows) > 10
    entities = 0
    for row, doc in zip(rows, read):
        expected = _tagged(row, names)
        assert [(s.label, doc.text[s.start : s.end]) for s in doc.spans] == expected
        entities += len(expected)
        assert doc.text.split() == row["tokens"]
    tags = [
        line.split()[-1]
        for line in (out / "conll" / "train.conll").read_text().splitlines()
        if line and not line.startswith("-DOCSTART-")
    ]
    assert len(get_entities(tags)) == entities > 100


def test_conll_says_what_it_cannot_hold(exported):
    report, out = exported
    assert any(
        note.startswith("conll holds tokens and IOB2 tags only") and "relation(s)" in note for note in report.notes
    )
    assert not (out / "parquet").exists() and not (out / "dataset_dict.json").exists()  # only what --to asked


def test_written_names_derive_from_the_writers():
    for kind in WRITERS:
        assert set(kind.paths) <= EXPORT_FOLDER.written
    assert [k.name for k in chosen(None)] == ["jsonl", "hf", "parquet"]
    with pytest.raises(ExportError, match="'xml' is not an output format"):
        chosen("jsonl,xml")


def test_cli_to_refuses_an_unknown_format(tmp_path):
    result = CliRunner().invoke(
        cli, ["export", "--from", str(STARTER / "validation.jsonl"), "--out", str(tmp_path / "o"), "--to", "xml"]
    )
    assert result.exit_code != 0 and "not an output format" in result.output
