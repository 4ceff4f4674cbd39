import json

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.documents import (
    document_id,
    group_stories,
    make_document,
    normalize_text,
)
from newsgold.annotate.errors import DocumentError
from tests.conftest import read_documents

UNRELATED = [
    "Heavy rain flooded the valley farms of northern Italy on Tuesday, and farmers counted losses "
    "in vineyards and orchards while the regional council promised compensation for the harvest.",
    "The central bank raised interest rates by a quarter point to curb inflation, and economists "
    "expect mortgage costs and consumer borrowing to slow during the coming months of winter.",
    "A new species of frog was discovered in the rainforest of Borneo by biologists who recorded "
    "its unusual call at night near a waterfall deep in the protected national park.",
]


def test_seeds_share_one_story_and_unrelated_do_not(seed_paths):
    docs, _ = read_documents(seed_paths)
    docs += [make_document(text, f"u{i}", f"u{i}") for i, text in enumerate(UNRELATED)]
    grouped = group_stories(docs)
    seeds, others = grouped[:2], grouped[2:]
    assert seeds[0].story_id == seeds[1].story_id
    assert len({d.story_id for d in others} | {seeds[0].story_id}) == 4


def test_story_ids_do_not_depend_on_order(seed_paths):
    docs, _ = read_documents(seed_paths)
    docs += [make_document(t, f"u{i}", f"u{i}") for i, t in enumerate(UNRELATED)]
    forward = {d.id: d.story_id for d in group_stories(docs)}
    backward = {d.id: d.story_id for d in group_stories(list(reversed(docs)))}
    assert forward == backward


def test_threshold_is_configurable(seed_paths):
    docs, _ = read_documents(seed_paths)
    assert len({d.story_id for d in group_stories(docs, threshold=0.99)}) == 2


def test_ids_are_stable_content_hashes(seed_paths, tmp_path):
    first, _ = read_documents(seed_paths)
    copy = tmp_path / "copy.txt"
    # same article with Windows line endings, a BOM and decomposed accents normalises the same
    copy.write_bytes(("\ufeff" + seed_paths[0].read_text().replace("\n", "\r\n")).encode())
    again, _ = read_documents([copy])
    assert again[0].id == first[0].id == document_id(first[0].text)
    assert len(first[0].id) == 16


def test_normalize_nfc_and_line_endings():
    assert normalize_text("  Cafe\u0301\r\nnext\rline  ") == "Café\nnext\nline"


def test_jsonl_text_field_and_metadata(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(
        json.dumps({"body": "Taliban fighters advanced.", "url": "http://x", "id": "given"})
        + "\n\n"
        + json.dumps({"body": "Afghan soldiers fled."})
        + "\n"
    )
    docs, _ = read_documents([path], text_field="body")
    assert [d.text for d in docs] == ["Taliban fighters advanced.", "Afghan soldiers fled."]
    assert docs[0].id == "given" and docs[0].meta == {"url": "http://x"}
    assert docs[1].id == document_id("Afghan soldiers fled.")
    assert docs[1].source == "in.jsonl:3"


def test_csv_reader(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('text,outlet\n"Thousands fled, officials said.",AP\n')
    docs, _ = read_documents([path])
    assert docs[0].text == "Thousands fled, officials said." and docs[0].meta == {"outlet": "AP"}


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.txt", b"  \n", "empty.txt: the document text is empty"),
        ("latin.txt", "caf\xe9".encode("latin-1"), r"latin.txt: not UTF-8 \(byte 0xe9 at offset 3\)"),
        ("nofield.jsonl", b'{"body": "x"}\n', r"nofield.jsonl line 1: no 'text' field \(fields: body\)"),
        ("bad.jsonl", b"{not json\n", "bad.jsonl line 1: not valid JSON"),
        ("doc.pdf", b"%PDF", "unsupported file type .pdf"),
    ],
)
def test_bad_input_raises_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError, match=message):
        read_documents([path])


def test_skip_bad_reports_everything_skipped(tmp_path, seed_paths):
    (tmp_path / "empty.txt").write_text("")
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text('{"text": "ok one"}\n{"nope": 1}\n{"text": "ok two"}\n')
    docs, skipped = read_documents([tmp_path / "empty.txt", mixed, *seed_paths], skip_bad=True)
    assert [d.text for d in docs[:2]] == ["ok one", "ok two"] and len(docs) == 4
    assert [s.item for s in skipped] == [str(tmp_path / "empty.txt"), f"{mixed} line 2"]


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(DocumentError, match="no such file"):
        read_documents([tmp_path / "nope.txt"])


def test_cli_documents_writes_jsonl_and_fails_cleanly(tmp_path, seed_paths):
    out = tmp_path / "docs.jsonl"
    result = CliRunner().invoke(cli, ["documents", *map(str, seed_paths), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 2 and rows[0]["story_id"] == rows[1]["story_id"]
    (tmp_path / "empty.txt").write_text("")
    bad_out = tmp_path / "bad.jsonl"
    result = CliRunner().invoke(cli, ["documents", str(tmp_path / "empty.txt"), "-o", str(bad_out)])
    assert result.exit_code == 1 and "empty" in result.stderr
    assert not bad_out.exists()


def test_nothing_readable_with_skip_bad_names_what_was_skipped(tmp_path):
    folder = tmp_path / "in"  # the output may not lie inside the folder read
    folder.mkdir()
    (folder / "empty.txt").write_text("")
    (folder / "blank.txt").write_text("  \n")
    for command in ("documents", "preannotate"):
        out = tmp_path / f"{command}.jsonl"
        result = CliRunner().invoke(cli, [command, str(folder), "--skip-bad", "-o", str(out)])
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "no documents were read" in result.stderr and "2 skipped, the first:" in result.stderr
        assert "empty" in result.stderr and not out.exists()
