"""Every `Writer` of the registry driven directly, outside `export_dataset` (issue 24 item 6):
each writes only the paths it declares (the "replace only what newsgold wrote" rule rests on
them), the same rows give the same bytes, and hf, parquet and jsonl give back exactly the rows
they were given."""

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from newsgold.annotate.dataset import SPLITS, arrow_schema, features
from newsgold.annotate.export import export_dataset
from newsgold.annotate.export.targets import WRITERS, written_paths
from newsgold.annotate.schema import load_schema

STARTER = Path(__file__).resolve().parent.parent / "seeds" / "gold" / "starter"


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    """Per split, the rows of the starter gold (train + validation) as an Arrow table and as
    JSONL lines, read from an export's parquet and jsonl files."""
    folder = tmp_path_factory.mktemp("writers")
    gold = folder / "gold.jsonl"
    gold.write_bytes(b"".join((STARTER / f"{s}.jsonl").read_bytes() for s in ("train", "validation")))
    export_dataset(folder / "out", from_file=gold, to="parquet,jsonl")
    out = folder / "out"
    found = {}
    for split in SPLITS:
        table = pq.read_table(out / "parquet" / f"{split}.parquet")
        lines = (out / "jsonl" / f"{split}.jsonl").read_bytes().splitlines(keepends=True)
        assert table.num_rows == len(lines)
        found[split] = (table, lines)
    assert sum(len(lines) for _, lines in found.values()) > 10
    return found


def _write(kind, folder: Path, rows) -> Path:
    schema = load_schema(None)
    folder.mkdir()
    writer = kind(folder, arrow_schema(schema), features(schema), schema)
    for split, (table, lines) in rows.items():
        for start in range(0, table.num_rows, 7):  # in several batches, as the export hands them over
            writer.write(split, table.slice(start, 7), lines[start : start + 7])
    writer.close()
    assert all(isinstance(note, str) and "\n" not in note for note in writer.notes())
    return folder


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("kind", WRITERS, ids=lambda kind: kind.name)
def test_a_writer_writes_only_its_paths_and_the_same_bytes_twice(kind, rows, tmp_path):
    first = _write(kind, tmp_path / "a", rows)
    top = {p.name for p in first.iterdir()}
    assert top and top <= set(kind.paths), f"{kind.name} wrote {sorted(top - set(kind.paths))} it does not declare"
    assert set(kind.paths) <= written_paths()
    assert _digests(first) == _digests(_write(kind, tmp_path / "b", rows))


def test_names_and_paths_are_unique():
    names = [kind.name for kind in WRITERS]
    paths = [path for kind in WRITERS for path in kind.paths]
    assert len(set(names)) == len(names) and len(set(paths)) == len(paths)
    assert all(kind.summary for kind in WRITERS)


def test_jsonl_writer_gives_back_its_lines(rows, tmp_path):
    (kind,) = [k for k in WRITERS if k.name == "jsonl"]
    folder = _write(kind, tmp_path / "out", rows)
    for split, (_, lines) in rows.items():
        assert (folder / "jsonl" / f"{split}.jsonl").read_bytes() == b"".join(lines)


def test_parquet_writer_gives_back_its_table(rows, tmp_path):
    (kind,) = [k for k in WRITERS if k.name == "parquet"]
    folder = _write(kind, tmp_path / "out", rows)
    for split, (table, _) in rows.items():
        assert pq.read_table(folder / "parquet" / f"{split}.parquet").equals(table)


def test_hf_writer_gives_a_datasetdict_of_the_rows(rows, tmp_path):
    from datasets import load_from_disk

    (kind,) = [k for k in WRITERS if k.name == "hf"]
    folder = _write(kind, tmp_path / "out", rows)
    loaded = load_from_disk(str(folder))
    assert set(loaded) == set(SPLITS)
    for split, (_, lines) in rows.items():
        assert [row["id"] for row in loaded[split]] == [json.loads(line)["id"] for line in lines]
        if lines:
            assert loaded[split][0]["tokens"] == json.loads(lines[0])["tokens"]
    assert loaded["train"].features == features(load_schema(None))


@pytest.mark.parametrize("to", ["", ",,", "HF", "hf,nope", "conll;spacy"])
def test_export_to_refuses_a_name_no_writer_has_before_writing(to, tmp_path):
    from click.testing import CliRunner

    from newsgold.annotate.cli import cli

    result = CliRunner().invoke(
        cli, ["export", "--from", str(STARTER / "validation.jsonl"), "--out", str(tmp_path / "out"), "--to", to]
    )
    assert result.exit_code != 0 and not (tmp_path / "out").exists()
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: --to") and "choose among jsonl,hf" in lines[0]
