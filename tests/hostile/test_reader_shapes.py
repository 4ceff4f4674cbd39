"""Inputs of the wrong shape (issue 20, class 5), outside Label Studio export files: every reader
checks the shape it expects and says which item and field is wrong, in one line, with nothing
written. The inputs are generated (deep JSON, fields of the wrong type, UTF-16 without its
byte-order mark, a CSV header with one, upper-case suffixes, broken re3d folders, credentials,
schemas, datasets on disk) and run through every command that reads that kind of input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.hostile.kit import assert_ok, assert_refused, digests, invoke, seed_model

ROOT = Path(__file__).resolve().parents[2]
TEXT = "Taliban fighters seized Kabul on Sunday, officials said."


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A dataset and a model of the seed gold (for `train predict`, `train fit --unlabelled`)."""
    return seed_model(tmp_path_factory.mktemp("shapes-model"))


@pytest.fixture(autouse=True)
def no_external_server(monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)


# every command that reads raw documents (PATHS); {input}, {out} a folder of the test, {built} the model's
DOCUMENT_READERS = {
    "documents": "annotate documents {input} -o {out}/o.jsonl",
    "preannotate": "annotate preannotate {input} -o {out}/o.jsonl",
    "predict": "train predict {built}/model {input} -o {out}/o.jsonl",
    "fit-unlabelled": "train fit {built}/dataset --out {out}/m --unlabelled {input}",
    "push": "annotate push {input} --project shapes-test --data-dir {out}/ls --no-preannotate",
}
# every command that reads a JSONL of documents with spans (gold or predictions)
SPAN_READERS = {
    "export-gold": "annotate export --from {input} --from-format gold --out {out}/ds",
    "score-gold": "annotate score {input} {good}",
    "score-predictions": "annotate score {good} {input}",
    "push-predictions": "annotate push --predictions {input} --project shapes-test --data-dir {out}/ls",
}


def refused_unchanged(argv: str, folder: Path, *names: str) -> str:
    before = digests(folder)
    line = assert_refused(invoke(argv), *names)
    assert digests(folder) == before, "a refused run wrote or changed a file"
    return line


def good_gold(folder: Path) -> Path:
    path = folder / "good.jsonl"
    path.write_text(json.dumps({"id": "g", "text": TEXT, "spans": [{"start": 0, "end": 16, "label": "ACTOR"}]}) + "\n")
    return path


def fill(template: str, folder: Path, source: Path, built: Path) -> str:
    return template.format(input=source, out=folder, built=built, good=good_gold(folder))


# ------------------------------------------------------------------ JSON nested too deep

DEEP = {
    "array-as-record": "[" * 5000 + "]" * 5000,
    "object-in-meta": '{"text": "%s", "meta": %s1%s}' % (TEXT, '{"a": ' * 5000, "}" * 5000),
    "list-in-a-field": '{"text": "%s", "extra": %s%s}' % (TEXT, "[" * 200, "]" * 200),
    "unclosed": "[" * 100000,
}


@pytest.mark.parametrize("command", list(DOCUMENT_READERS) + list(SPAN_READERS))
@pytest.mark.parametrize("shape", DEEP)
def test_deeply_nested_json_is_one_line_naming_the_line(tmp_path, built, command, shape):
    source = tmp_path / "deep.jsonl"
    source.write_text(json.dumps({"id": "ok", "text": TEXT}) + "\n" + DEEP[shape] + "\n")
    template = {**DOCUMENT_READERS, **SPAN_READERS}[command]
    refused_unchanged(fill(template, tmp_path, source, built), tmp_path, "deep.jsonl line 2", "nested")


# ------------------------------------------------------------------ fields of the wrong type

WRONG_FIELDS = {  # record, the field the error names
    "text-int": ({"text": 5}, "'text'"),
    "text-list": ({"text": ["a"]}, "'text'"),
    "id-list": ({"id": [1], "text": TEXT}, "'id'"),
    "id-object": ({"id": {"a": 1}, "text": TEXT}, "'id'"),
    "id-bool": ({"id": True, "text": TEXT}, "'id'"),
    "id-float": ({"id": 7.5, "text": TEXT}, "'id'"),
    "id-nan": ({"id": float("nan"), "text": TEXT}, "'id'"),
    "id-control-character": ({"id": "a\u0000b", "text": TEXT}, "'id'"),
    "id-line-break": ({"id": "a\nb", "text": TEXT}, "'id'"),
    "story-id-list": ({"story_id": ["s"], "text": TEXT}, "'story_id'"),
    "meta-list": ({"meta": [1, 2], "text": TEXT}, "'meta'"),
    "meta-string": ({"meta": "x", "text": TEXT}, "'meta'"),
    "spans-string": ({"text": TEXT, "spans": "ACTOR"}, "'spans'"),
    "spans-object": ({"text": TEXT, "spans": {"start": 0}}, "'spans'"),
    "span-start-float": ({"text": TEXT, "spans": [{"start": 0.5, "end": 16, "label": "ACTOR"}]}, "start"),
    "span-start-bool": ({"text": TEXT, "spans": [{"start": True, "end": 16, "label": "ACTOR"}]}, "start"),
    "span-end-huge": ({"text": TEXT, "spans": [{"start": 0, "end": 10**30, "label": "ACTOR"}]}, "end"),
    "span-start-huge": ({"text": TEXT, "spans": [{"start": 10**30, "end": 10**30 + 1, "label": "ACTOR"}]}, "start"),
    "span-label-int": ({"text": TEXT, "spans": [{"start": 0, "end": 16, "label": 3}]}, "label"),
    "span-not-object": ({"text": TEXT, "spans": ["0-16"]}, "span 1"),
}


@pytest.mark.parametrize("command", DOCUMENT_READERS)
@pytest.mark.parametrize("case", WRONG_FIELDS)
def test_a_field_of_the_wrong_type_in_documents_is_one_line_naming_line_and_field(tmp_path, built, command, case):
    record, field = WRONG_FIELDS[case]
    source = tmp_path / "wrong.jsonl"
    source.write_text(json.dumps({"text": "A first, good document."}) + "\n" + json.dumps(record) + "\n")
    refused_unchanged(fill(DOCUMENT_READERS[command], tmp_path, source, built), tmp_path, "wrong.jsonl line 2", field)


# the span readers name the field in their own words; what matters is the line and the field
SPAN_CASES = [case for case in WRONG_FIELDS if case not in ("story-id-list",)]


@pytest.mark.parametrize("command", SPAN_READERS)
@pytest.mark.parametrize("case", SPAN_CASES)
def test_a_field_of_the_wrong_type_in_gold_or_predictions_is_refused(tmp_path, built, command, case):
    record, field = WRONG_FIELDS[case]
    record = {"id": "g", "model_version": "v1", **record}
    if command == "score-gold":
        record.pop("model_version")
    source = tmp_path / "wrong.jsonl"
    source.write_text(json.dumps(record) + "\n")
    line = refused_unchanged(fill(SPAN_READERS[command], tmp_path, source, built), tmp_path, "wrong.jsonl")
    assert field.strip("'") in line or "span" in line, line


# ------------------------------------------------------------------ encodings, headers, suffixes


def utf16_inputs(folder: Path, order: str) -> dict[str, Path]:
    codec = f"utf-16-{order}"
    paths = {"txt": folder / "u.txt", "jsonl": folder / "u.jsonl", "csv": folder / "u.csv"}
    paths["txt"].write_bytes(TEXT.encode(codec))
    paths["jsonl"].write_bytes((json.dumps({"text": TEXT}) + "\n").encode(codec))
    paths["csv"].write_bytes(f"id,text\na,{TEXT.replace(',', '')}\n".encode(codec))
    return paths


@pytest.mark.parametrize("command", DOCUMENT_READERS)
@pytest.mark.parametrize("order", ["le", "be"])
@pytest.mark.parametrize("kind", ["txt", "jsonl", "csv"])
def test_utf16_without_byte_order_mark_is_refused_with_the_fix(tmp_path, built, command, order, kind):
    source = utf16_inputs(tmp_path, order)[kind]
    line = refused_unchanged(fill(DOCUMENT_READERS[command], tmp_path, source, built), tmp_path, source.name, "UTF-16")
    assert f"iconv -f UTF-16{order.upper()} -t UTF-8" in line


@pytest.mark.parametrize("command", DOCUMENT_READERS)
@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le-bom", "utf-16-be-bom", "utf-32"])
@pytest.mark.parametrize("kind", ["txt", "jsonl", "csv"])
def test_utf16_or_32_with_its_byte_order_mark_is_read(tmp_path, built, command, codec, kind):
    boms = {"utf-16-le-bom": ("utf-16-le", "\ufeff"), "utf-16-be-bom": ("utf-16-be", "\ufeff")}
    encoding, mark = boms.get(codec, (codec, ""))
    content = {"txt": TEXT, "jsonl": json.dumps({"id": "a", "text": TEXT}) + "\n", "csv": f'id,text\na,"{TEXT}"\n'}[
        kind
    ]
    source = tmp_path / f"u.{kind}"
    source.write_bytes((mark + content).encode(encoding))
    if command == "fit-unlabelled":
        assert_ok(invoke(fill(DOCUMENT_READERS[command], tmp_path, source, built)))
        return
    if command == "push":  # read, then the server is asked for: none runs here
        assert "no Label Studio server is running" in assert_refused(
            invoke(fill(DOCUMENT_READERS[command], tmp_path, source, built))
        )
        return
    assert_ok(invoke(fill(DOCUMENT_READERS[command], tmp_path, source, built)))
    [record] = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert record["text"] == TEXT


@pytest.mark.parametrize("command", SPAN_READERS)
def test_utf16_gold_or_predictions_are_refused_naming_the_file(tmp_path, built, command):
    source = tmp_path / "u.jsonl"
    source.write_bytes((json.dumps({"id": "g", "text": TEXT, "spans": []}) + "\n").encode("utf-16-le"))
    refused_unchanged(fill(SPAN_READERS[command], tmp_path, source, built), tmp_path, "u.jsonl", "UTF-16")


@pytest.mark.parametrize("command", ["documents", "preannotate", "predict"])
def test_a_csv_header_with_a_byte_order_mark_keeps_its_id_column(tmp_path, built, command):
    source = tmp_path / "bom.csv"
    source.write_bytes(b"\xef\xbb\xbfid , text\nart-1,Kabul fell on Sunday.\n")
    assert_ok(invoke(fill(DOCUMENT_READERS[command], tmp_path, source, built)))
    [record] = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert (
        record["id"] == "art-1"
        and record["text"] == "Kabul fell on Sunday."
        and "\ufeffid" not in record.get("meta", {})
    )


@pytest.mark.parametrize("command", ["documents", "preannotate", "predict"])
def test_upper_case_suffixes_in_a_folder_are_read(tmp_path, built, command):
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in (
        ("A.TXT", "Kabul fell on Sunday."),
        ("b.Txt", "Herat fell on Monday."),
        ("c.txt", TEXT),
        ("notes.md", "not an article"),
    ):
        (folder / name).write_text(text)
    assert_ok(invoke(fill(DOCUMENT_READERS[command], tmp_path, folder, built)))
    records = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert sorted(r["text"] for r in records) == sorted(["Kabul fell on Sunday.", "Herat fell on Monday.", TEXT])


# ------------------------------------------------------------------ re3d folders


def re3d_folder(root: Path, documents, entities) -> Path:
    folder = root / "re3d" / "source"
    folder.mkdir(parents=True)
    for name, lines in (("documents.json", documents), ("entities.json", entities)):
        if lines is not None:
            (folder / name).write_text(
                "".join(line if isinstance(line, str) else json.dumps(line) + "\n" for line in lines)
            )
    return root / "re3d"


DOC = {"_id": "d1", "text": TEXT, "title": "t"}
ENTITY = {"documentId": "d1", "type": "Organisation", "value": TEXT[:16], "begin": 0, "end": 16}
RE3D_BROKEN = {  # documents, entities, what the error names
    "documents-not-json": (["{not json\n"], [ENTITY], "documents.json line 1"),
    "entities-not-json": ([DOC], [ENTITY, "{\n"], "entities.json line 2"),
    "documents-deep": (["[" * 5000 + "]" * 5000 + "\n"], [ENTITY], "documents.json line 1"),
    "document-without-text": ([{"_id": "d1"}], [ENTITY], "'text'"),
    "document-text-number": ([{"_id": "d1", "text": 3}], [ENTITY], "'text'"),
    "entity-begin-text": ([DOC], [{**ENTITY, "begin": "zero"}], "'begin'"),
    "entity-without-type": ([DOC], [{k: v for k, v in ENTITY.items() if k != "type"}], "'type'"),
    "entities-missing": ([DOC], None, "entities.json"),
    "documents-utf16": ([json.dumps(DOC).encode("utf-16-le").decode("latin-1") + "\n"], [ENTITY], "documents.json"),
}


@pytest.mark.parametrize("case", RE3D_BROKEN)
def test_a_broken_re3d_folder_is_one_line_naming_file_line_and_field(tmp_path, case):
    documents, entities, names = RE3D_BROKEN[case]
    folder = re3d_folder(tmp_path, documents, entities)
    refused_unchanged(f"annotate re3d {folder} -o {tmp_path}/o.jsonl", tmp_path, names)


def test_a_re3d_entity_of_an_unknown_document_is_counted_with_its_reason(tmp_path):
    folder = re3d_folder(
        tmp_path, [DOC], [ENTITY, {**ENTITY, "documentId": "nowhere"}, {**ENTITY, "documentId": "nowhere"}]
    )
    result = assert_ok(invoke(f"annotate re3d {folder} -o {tmp_path}/o.jsonl"))
    assert "not kept: 2 × entity of a document source/documents.json does not hold" in result.output
    [record] = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert [s["text"] for s in record["spans"]] == [TEXT[:16]]


# ------------------------------------------------------------------ the credentials file

CREDENTIALS = {
    "garbage": b"this is not json",
    "deep": b"[" * 5000 + b"]" * 5000,
    "a-list": b'["admin", "secret"]',
    "token-missing": b'{"username": "admin@newsgold.local", "password": "x"}',
    "token-number": b'{"username": "admin@newsgold.local", "password": "x", "token": 5}',
    "latin-1": '{"username": "caf\xe9"}'.encode("latin-1"),
}
SERVER_COMMANDS = {
    "server-status": "annotate server --status --data-dir {ls}",
    "push": "annotate push {doc} --project shapes-test --data-dir {ls} --no-preannotate",
    "status": "annotate status --project shapes-test --data-dir {ls}",
    "agreement": "annotate agreement --project shapes-test --data-dir {ls}",
    "export": "annotate export --project shapes-test --out {out}/ds --data-dir {ls}",
}


@pytest.mark.parametrize("command", SERVER_COMMANDS)
@pytest.mark.parametrize("content", CREDENTIALS)
def test_a_damaged_credentials_file_is_one_line_naming_it(tmp_path, command, content):
    ls = tmp_path / "ls"
    ls.mkdir(mode=0o700)
    (ls / "newsgold-credentials.json").write_bytes(CREDENTIALS[content])
    (tmp_path / "doc.txt").write_text(TEXT)
    argv = SERVER_COMMANDS[command].format(ls=ls, doc=tmp_path / "doc.txt", out=tmp_path)
    line = refused_unchanged(argv, tmp_path, "newsgold-credentials.json")
    assert "restore the file" in line


# ------------------------------------------------------------------ schemas


def schema_variant(folder: Path, old: str, new: str) -> Path:
    shutil.copy(ROOT / "schema" / "guidelines.md", folder / "guidelines.md")
    text = (ROOT / "schema" / "newsgold.toml").read_text()
    assert old in text
    path = folder / "s.toml"
    path.write_text(text.replace(old, new, 1))
    return path


BAD_SCHEMAS = {  # replace, by, what the error names
    "label-O": ('name = "COUNT"', 'name = "O"', "'O'"),
    "relation-named-like-a-label": ('name = "agent"', 'name = "actor"', "'actor'"),
}
SCHEMA_COMMANDS = {
    "schema": "annotate schema --schema {s}",
    "export": "annotate export --from {gold} --out {out}/ds --schema {s}",
    "score": "annotate score {gold} {gold} --schema {s}",
    "check": "annotate check {built}/dataset --schema {s}",
    "push": "annotate push {gold} --project shapes-test --data-dir {out}/ls --schema {s}",
    "agreement": "annotate agreement --project shapes-test --data-dir {out}/ls --schema {s}",
}


@pytest.mark.parametrize("command", SCHEMA_COMMANDS)
@pytest.mark.parametrize("case", BAD_SCHEMAS)
def test_a_schema_label_that_cannot_be_a_tag_is_refused_by_every_command(tmp_path, built, command, case):
    old, new, names = BAD_SCHEMAS[case]
    schema = schema_variant(tmp_path, old, new)
    argv = SCHEMA_COMMANDS[command].format(s=schema, gold=good_gold(tmp_path), out=tmp_path, built=built)
    refused_unchanged(argv, tmp_path, "s.toml", names)


# ------------------------------------------------------------------ datasets and models on disk


def damaged_dataset(built: Path, folder: Path, how: str) -> Path:
    dataset = folder / "dataset"
    shutil.copytree(built / "dataset", dataset)
    if how == "arrow-truncated":
        arrow = next((dataset / "train").glob("*.arrow"))
        arrow.write_bytes(arrow.read_bytes()[:100])
    elif how == "arrow-garbage":
        next((dataset / "train").glob("*.arrow")).write_bytes(b"\x00garbage" * 10)
    elif how == "state-not-json":
        (dataset / "train" / "state.json").write_text("{")
    elif how == "dataset-dict-not-json":
        (dataset / "dataset_dict.json").write_text("[[[")
    return dataset


@pytest.mark.parametrize(
    "command", ["annotate check {d}", "train fit {d} --out {out}/m", "train evaluate {built}/model {d}"]
)
@pytest.mark.parametrize("how", ["arrow-truncated", "arrow-garbage", "state-not-json", "dataset-dict-not-json"])
def test_a_damaged_dataset_on_disk_is_one_line_naming_it(tmp_path, built, command, how):
    dataset = damaged_dataset(built, tmp_path, how)
    refused_unchanged(command.format(d=dataset, out=tmp_path, built=built), tmp_path, str(dataset))


def test_a_damaged_problems_file_is_one_line_naming_its_line(tmp_path, built):
    dataset = damaged_dataset(built, tmp_path, "none")
    with open(dataset / "problems.jsonl", "a") as problems:
        problems.write('{"kind": "overlap"}\n{"kind": \n')
    refused_unchanged(f"annotate check {dataset}", tmp_path, "problems.jsonl line")


def test_model_metadata_nested_too_deep_is_one_line(tmp_path, built):
    model = tmp_path / "model"
    shutil.copytree(built / "model", model)
    (model / "metadata.json").write_text("[" * 5000 + "]" * 5000)
    (tmp_path / "doc.txt").write_text(TEXT)
    refused_unchanged(f"train predict {model} {tmp_path}/doc.txt -o {tmp_path}/o.jsonl", tmp_path, "metadata.json")
