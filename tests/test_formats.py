"""The input formats (annotate/formats/): each reader read directly, detection of each, the
registry a new format joins without editing any other module, and `--from-format` with its
deprecated spelling `--format`."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsgold.annotate import formats
from newsgold.annotate.cli import cli
from newsgold.annotate.documents import Skipped
from newsgold.annotate.errors import ExportError
from newsgold.annotate.formats import InputFormat, Sample
from newsgold.annotate.formats.brat import read_brat
from newsgold.annotate.formats.conll import read_conll
from newsgold.annotate.formats.doccano import read_doccano
from newsgold.annotate.formats.gold import read_gold
from newsgold.annotate.formats.labelstudio import iter_ls_export_file
from newsgold.annotate.formats.raw import RawDocument, RawSpan
from newsgold.annotate.formats.spacy import read_spacy
from newsgold.annotate.spans import Relation

TEXT = "Rebels attacked Homs."
ROOT = Path(__file__).resolve().parent.parent


def lines(path: Path, *records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


# ------------------------------------------------------------------ one small file per format


def gold_file(tmp_path):
    return lines(
        tmp_path / "gold.jsonl",
        {
            "id": "d1",
            "text": TEXT,
            "annotated_labels": ["ACTOR", "ACTION"],
            "spans": [
                {"id": "s1", "start": 0, "end": 6, "label": "ACTOR", "text": "Rebels"},
                {"id": "s2", "start": "7", "end": 15, "label": "ACTION", "text": "attacked"},
            ],
            "relations": [{"head": "s2", "tail": "s1", "label": "agent"}],
        },
        {"text": "Kabul fell.", "spans": [], "answer": "reject"},
    )


def doccano_file(tmp_path):
    return lines(
        tmp_path / "doccano.jsonl",
        {"text": TEXT, "label": [[16, 20, "LOC"]]},
        {
            "text": TEXT,
            "entities": [
                {"id": 3, "label": "PER", "start_offset": 0, "end_offset": 6},
                {"id": 4, "label": "ACT", "start_offset": 7, "end_offset": 15},
            ],
            "relations": [{"from_id": 4, "to_id": 3, "type": "agent"}],
        },
    )


def spacy_file(tmp_path):
    return lines(
        tmp_path / "prodigy.jsonl",
        {"text": TEXT, "_input_hash": 1, "answer": "accept", "spans": [{"start": 16, "end": 20, "label": "LOCATION"}]},
    )


def conll_file(tmp_path):
    path = tmp_path / "eng.train"
    path.write_text("Rebels B-ORG\nattacked O\nHoms S-LOC\n.\tO\n\nPeter B-PER\nBlackburn I-PER\n")
    return path


def brat_file(tmp_path):
    folder = tmp_path / "brat"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    (folder / "a.ann").write_text(
        "T1\tOrg 0 6\tRebels\nT2\tAttack 7 15\tattacked\nR1\tagent Arg1:T2 Arg2:T1\n", encoding="utf-8"
    )
    return folder


TASKS = [{"id": 1, "data": {"text": TEXT}, "annotations": []}]


def labelstudio_file(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(TASKS, indent=1), encoding="utf-8")
    return path


FILES = {
    "gold": gold_file,
    "doccano": doccano_file,
    "spacy": spacy_file,
    "conll": conll_file,
    "brat": brat_file,
    "labelstudio": labelstudio_file,
}


def test_gold_reader_reads_spans_relations_fields_and_skips_rejected(tmp_path):
    path = gold_file(tmp_path)
    first, rejected = read_gold(path)
    record = json.loads(path.read_text().splitlines()[0])
    assert first == RawDocument(
        1,
        TEXT,
        [
            RawSpan(0, 6, "ACTOR", "Rebels", "s1"),
            RawSpan(7, 15, "ACTION", "attacked", "s2", "start written as text, read as a number"),
        ],
        [Relation("s2", "s1", "agent")],
        record,
    )
    assert rejected == Skipped(f"{path} line 2", "Prodigy answer 'reject' (not gold)")


def test_doccano_reader_reads_triples_and_entities_with_relations(tmp_path):
    path = doccano_file(tmp_path)
    triples, entities = read_doccano(path)
    assert (triples.line, triples.text, triples.spans, triples.relations) == (1, TEXT, [RawSpan(16, 20, "LOC")], [])
    assert (entities.line, entities.spans, entities.relations) == (
        2,
        [RawSpan(0, 6, "PER", id="e3"), RawSpan(7, 15, "ACT", id="e4")],
        [Relation("e4", "e3", "agent")],
    )


def test_spacy_reader_reads_spans_without_their_text(tmp_path):
    [doc] = read_spacy(spacy_file(tmp_path))
    assert (doc.line, doc.text, doc.spans, doc.relations) == (1, TEXT, [RawSpan(16, 20, "LOCATION")], [])


def test_conll_reader_rebuilds_the_text_one_document_per_sentence(tmp_path):
    assert list(read_conll(conll_file(tmp_path))) == [
        RawDocument(
            1, "Rebels attacked Homs .", [RawSpan(0, 6, "ORG", line=1), RawSpan(16, 20, "LOC", line=3)], [], {}
        ),
        RawDocument(6, "Peter Blackburn", [RawSpan(0, 15, "PER", line=6)], [], {}),
    ]


def test_brat_reader_reads_one_document_per_ann(tmp_path):
    folder = brat_file(tmp_path)
    assert list(read_brat(folder)) == [
        RawDocument(
            1,
            TEXT,
            [RawSpan(0, 6, "Org", "Rebels", "T1", line=1), RawSpan(7, 15, "Attack", "attacked", "T2", line=2)],
            [Relation("T2", "T1", "agent")],
            {"source": "a.txt"},
            where=str(folder / "a.ann"),
        )
    ]


def test_labelstudio_reader_reads_the_tasks(tmp_path):
    assert list(iter_ls_export_file(labelstudio_file(tmp_path))) == TASKS


# ------------------------------------------------------------------ detection and the registry


def test_every_format_module_is_registered_in_detection_order():
    assert formats.names() == ["brat", "labelstudio", "doccano", "spacy", "prodigy", "gold", "conll"]
    assert formats.names(gold=True) == ["brat", "doccano", "spacy", "prodigy", "gold", "conll"]
    assert formats.get("prodigy") is formats.get("spacy") and formats.get("nothing") is None


@pytest.mark.parametrize("name", FILES)
def test_each_format_is_detected(tmp_path, name):
    path = FILES[name](tmp_path)
    assert formats.detect(path) == name
    assert formats.get(name).detect(Sample(path))


def test_detection_order_decides_between_jsonl_formats_and_a_stranger_is_one_line(tmp_path):
    with_text = lines(
        tmp_path / "a.jsonl", {"text": TEXT, "spans": [{"start": 0, "end": 6, "label": "ACTOR", "text": "Rebels"}]}
    )
    assert formats.detect(with_text) == "gold"  # spacy claims spans without their text only
    (tmp_path / "b.jsonl").write_text('{"text": "no end\n')
    assert formats.detect(tmp_path / "b.jsonl") == "gold"  # not JSON: reading it as gold names the line
    (tmp_path / "notes.txt").write_text("just some notes\n")
    with pytest.raises(ExportError, match=r"notes.txt: not a file of a format .*--from-format$"):
        formats.detect(tmp_path / "notes.txt")
    with pytest.raises(ExportError, match="cannot be read"):
        formats.detect(tmp_path / "missing.jsonl")


def test_docs_table_lists_every_gold_format():
    page = (ROOT / "docs" / "commands.md").read_text()
    assert all(f"| `{fmt.name}`" in page for fmt in formats.formats(gold=True))


@pytest.fixture
def toy():
    """A format defined here, in the test: `.toy` files of `text<TAB>label<TAB>start<TAB>end` lines."""

    def read(path):
        for number, line in enumerate(Path(path).read_text().splitlines(), 1):
            text, label, start, end = line.split("\t")
            yield RawDocument(number, text, [RawSpan(int(start), int(end), label)], [], {})

    fmt = formats.register(
        InputFormat(
            name="toy",
            title="toy file",
            help="the toy format of the tests",
            detect=lambda sample: sample.path.suffix == ".toy",
            read=read,
            order=5,
        )
    )
    yield fmt
    formats.unregister("toy")
    assert "toy" not in formats.names()


def test_a_registered_format_is_a_choice_is_detected_and_read(tmp_path, toy):
    for command in ("export", "score"):
        shown = CliRunner().invoke(cli, [command, "--help"]).output
        assert "[auto|toy|brat|" in shown and "toy: the toy format of the tests" in shown
    path = tmp_path / "a.toy"
    path.write_text(f"{TEXT}\tACTOR\t0\t6\n")
    assert formats.detect(path) == "toy"
    result = CliRunner().invoke(cli, ["export", "--from", str(path), "--out", str(tmp_path / "ds")])
    assert result.exit_code == 0, result.output
    [row] = [json.loads(line) for line in (tmp_path / "ds" / "jsonl" / "train.jsonl").read_text().splitlines()]
    assert [(s["start"], s["end"], s["label"]) for s in row["spans"]] == [(0, 6, "ACTOR")]
    assert row["annotated_labels"] == ["ACTOR"]
    assert "toy file" in (tmp_path / "ds" / "README.md").read_text()  # the card names the source by its title
    predicted = lines(tmp_path / "p.jsonl", {"text": TEXT, "spans": [{"start": 0, "end": 6, "label": "ACTOR"}]})
    scored = CliRunner().invoke(cli, ["score", str(path), str(predicted), "--from-format", "toy", "--json"])
    assert scored.exit_code == 0, scored.output
    with pytest.raises(ValueError, match="toy"):
        formats.register(toy)


# ------------------------------------------------------------------ --from-format and --format


@pytest.mark.parametrize("command", ["export", "score"])
def test_old_format_spelling_works_with_a_note_and_a_conflict_is_one_error(tmp_path, command):
    path = gold_file(tmp_path)
    predicted = lines(tmp_path / "p.jsonl", {"id": "d1", "text": TEXT, "spans": []})
    args = {
        "export": ["export", "--from", str(path), "--out", str(tmp_path / "ds"), "--force"],
        "score": ["score", str(path), str(predicted), "--json"],
    }[command]
    new = CliRunner().invoke(cli, [*args, "--from-format", "gold"])
    old = CliRunner().invoke(cli, [*args, "--format", "gold"])
    assert new.exit_code == old.exit_code == 0, old.output
    assert "deprecated" not in new.stderr
    assert old.stderr.splitlines().count("note: --format is deprecated; use --from-format") == 1
    assert old.stdout == new.stdout
    both = CliRunner().invoke(cli, [*args, "--format", "gold", "--from-format", "gold"])
    assert both.exit_code == 0 and both.stdout == new.stdout
    clash = CliRunner().invoke(cli, [*args, "--from-format", "doccano", "--format", "gold"])
    assert clash.exit_code == 2
    [error] = [line for line in clash.stderr.splitlines() if line.startswith("Error:")]
    assert error == "Error: --from-format doccano and --format gold name different formats; give --from-format alone"
    assert "--format" not in CliRunner().invoke(cli, [command, "--help"]).output.replace("--from-format", "")
