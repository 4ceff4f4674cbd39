"""BRAT standoff gold (annotate/formats/brat.py) through gold_documents, `annotate export --from` and `annotate score`."""

import json

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.errors import DocumentError
from newsgold.annotate.formats.checked import gold_documents

LABELS = ["ACTOR", "LOCATION", "COUNT", "ACTION"]
TEXT = "Rebels attacked Homs on Monday, killing 12 soldiers.\n"
ANN = (
    "T1\tOrg 0 6\tRebels\n"
    "T2\tAttack 7 15\tattacked\n"
    "T3\tGPE 16 20\tHoms\n"
    "T4\tNum 40 42\t12\n"
    "T5\tPer 43 51\tsoldiers\n"
    "E1\tAttack:T2 Attacker:T1 Place2:T3 Target:T5\n"
    "R1\tCount Arg1:T4 Arg2:T5\n"
    "A1\tNegation E1\n"
    "#1\tAnnotatorNotes T1\tchecked\n"
    "*\tEquiv T1 T5\n"
)
MAP = {
    "Org": "ACTOR",
    "Per": "ACTOR",
    "GPE": "LOCATION",
    "Num": "COUNT",
    "Attack": "ACTION",
    "Attacker": "agent",
    "Place": "place",
    "Count": "counts",
}
ENDS = {
    "agent": ("ACTION", "ACTOR"),
    "place": ("ACTION", "LOCATION"),
    "quantity": ("ACTION", "COUNT"),
    "counts": ("COUNT", "ACTOR"),
}


def collection(tmp_path, ann=ANN, text=TEXT, name="doc", conf=None):
    folder = tmp_path / "brat"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.txt").write_bytes(text.encode("utf-8"))
    (folder / f"{name}.ann").write_text(ann, encoding="utf-8")
    if conf is not None:
        (tmp_path / "annotation.conf").write_text(conf, encoding="utf-8")  # in a parent, as BRAT finds it
    return folder


def read(path, label_map=MAP):
    return list(gold_documents(path, "brat", LABELS, label_map, relation_types=ENDS))


def kinds(doc):
    found = {}
    for problem in doc.problems:
        found.setdefault(problem.kind, []).append(problem)
    return found


def test_events_become_a_trigger_span_and_one_relation_per_role(tmp_path):
    [doc] = read(collection(tmp_path))
    spans = {s.id: (s.label, s.text) for s in doc.spans}
    assert spans == {
        "T1": ("ACTOR", "Rebels"),
        "T2": ("ACTION", "attacked"),
        "T3": ("LOCATION", "Homs"),
        "T4": ("COUNT", "12"),
        "T5": ("ACTOR", "soldiers"),
    }
    relations = {(r.head, r.tail, r.label) for r in doc.relations}
    # Place2 is the role Place (numeric suffix dropped), then mapped; R1 kept as a relation
    assert relations == {("T2", "T1", "agent"), ("T2", "T3", "place"), ("T4", "T5", "counts")}
    found = kinds(doc)
    assert [p.span["label"] for p in found["unknown-relation"]] == ["Target"]  # the unmapped role, listed
    assert len(found["ignored-attribute"]) == len(found["ignored-note"]) == len(found["ignored-equivalence"]) == 1
    assert "doc.ann line 8" in found["ignored-attribute"][0].detail
    assert doc.document.source == "doc.txt"


def test_a_single_ann_file_reads_like_its_folder(tmp_path):
    folder = collection(tmp_path)
    assert [d.to_record() for d in read(folder / "doc.ann")] == [d.to_record() for d in read(folder)]


def test_unmapped_labels_stop_naming_the_file_and_line(tmp_path):
    folder = collection(tmp_path)
    with pytest.raises(DocumentError, match=r"Attack \(.*doc\.ann line 2\)"):
        read(folder, {k: v for k, v in MAP.items() if k != "Attack"})


def test_offset_mismatch_is_one_line_naming_file_and_line(tmp_path):
    folder = collection(tmp_path, ANN.replace("T3\tGPE 16 20\tHoms", "T3\tGPE 17 21\tHoms"))
    with pytest.raises(DocumentError) as error:
        read(folder)
    message = str(error.value)
    assert "doc.ann line 3" in message and "'oms '" in message and "\n" not in message
    outside = collection(tmp_path, "T1\tOrg 50 60\tRebels\n")
    with pytest.raises(DocumentError, match="line 1: T1 .* outside its .txt"):
        read(outside)


def test_offsets_are_characters_of_the_utf8_text_crlf_and_bom_kept(tmp_path):
    text = "\ufeffL'armée a frappé\r\nAlep.\n"  # BRAT counts the BOM and both CRLF characters
    start = text.index("Alep")
    ann = f"T1\tOrg 1 8\tL'armée\nT2\tAttack 11 17\tfrappé\nT3\tGPE {start} {start + 4}\tAlep\n"
    [doc] = read(collection(tmp_path, ann, text))
    got = {s.id: doc.document.text[s.start : s.end] for s in doc.spans}
    assert got == {"T1": "L'armée", "T2": "frappé", "T3": "Alep"}
    with pytest.raises(DocumentError, match="line 1"):  # byte offsets are refused, not read shifted
        read(collection(tmp_path, "T1\tOrg 1 9\tL'armée\n", text))  # é is 2 bytes


def test_discontinuous_span_is_taken_covering_and_listed(tmp_path):
    folder = collection(tmp_path, "T1\tOrg 0 6;16 20\tRebels Homs\n")
    [doc] = read(folder)
    assert [(s.start, s.end) for s in doc.spans] == [(0, 20)]
    [problem] = kinds(doc)["discontinuous"]
    assert "doc.ann line 1" in problem.detail and "[0, 20)" in problem.detail
    with pytest.raises(DocumentError, match="line 1"):  # the fragments' text is still checked
        read(collection(tmp_path, "T1\tOrg 0 6;16 20\tRebels Homz\n"))


def test_event_as_argument_and_shared_trigger_are_listed(tmp_path):
    ann = ANN + "T6\tAttack 32 39\tkilling\nE2\tAttack:T6 Cause:E1\nE3\tAttack:T2 Attacker:T1\n"
    [doc] = read(collection(tmp_path, ann))
    found = kinds(doc)
    assert len(found["event-argument"]) == 1 and "event E1" in found["event-argument"][0].detail
    assert len(found["shared-trigger"]) == 1
    assert not any(r.tail == "E1" for r in doc.relations)


def test_annotation_conf_reports_undeclared_types_and_roles(tmp_path):
    conf = (
        "[entities]\nOrg\nPer\nGPE\n\n[relations]\nCount\tArg1:Num, Arg2:Per\n\n[events]\n"
        "Attack\tAttacker*:Org|Per, Place?:GPE, Target:Per\n\n[attributes]\nNegation\tArg:<EVENT>\n"
    )
    [doc] = read(collection(tmp_path, conf=conf))
    undeclared = [p.detail for p in kinds(doc)["undeclared-type"]]
    assert len(undeclared) == 1 and "'Num'" in undeclared[0] and "annotation.conf" in undeclared[0]
    ann = ANN.replace("Target:T5", "Victim:T5")
    [doc] = read(collection(tmp_path, ann, conf=conf))
    assert any("role 'Victim'" in p.detail for p in kinds(doc)["undeclared-type"])


def test_bad_lines_and_missing_text_are_one_line_errors(tmp_path):
    with pytest.raises(DocumentError, match="line 2: .*BRAT id"):
        read(collection(tmp_path, "T1\tOrg 0 6\tRebels\nX1\tfoo\n"))
    with pytest.raises(DocumentError, match="names T9"):
        read(collection(tmp_path, "T1\tOrg 0 6\tRebels\nR1\tCount Arg1:T1 Arg2:T9\n"))
    (tmp_path / "brat" / "doc.txt").unlink()
    with pytest.raises(DocumentError, match="doc.txt: no such file"):
        read(tmp_path / "brat")
    with pytest.raises(DocumentError, match="only BRAT standoff gold"):
        list(gold_documents(tmp_path / "brat", "gold", LABELS))


def label_map_args():
    return [arg for old, new in MAP.items() for arg in ("--label-map", f"{old}={new}")]


def test_cli_export_from_a_brat_folder(tmp_path):
    folder = collection(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["export", "--from", str(folder), "--out", str(out), *label_map_args()])
    assert result.exit_code == 0, result.output
    [row] = [json.loads(line) for path in sorted((out / "jsonl").glob("*.jsonl")) for line in path.open()]
    assert {(r["head"], r["tail"], r["label"]) for r in row["relations"]} == {
        ("T2", "T1", "agent"),
        ("T2", "T3", "place"),
        ("T4", "T5", "counts"),
    }
    listed = [json.loads(line)["kind"] for line in (out / "problems.jsonl").open()]
    assert "unknown-relation" in listed and "ignored-attribute" in listed


def test_cli_score_with_brat_gold(tmp_path):
    folder = collection(tmp_path)
    [doc] = read(folder)
    predicted = tmp_path / "pred.jsonl"
    keep = [s for s in doc.spans if s.id != "T3"]
    record = {
        "id": doc.document.id,
        "text": doc.document.text,
        "spans": [s.to_dict() for s in keep],
        "relations": [r.to_dict() for r in doc.relations if r.tail != "T3"],
    }
    predicted.write_text(json.dumps(record) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["score", str(folder), str(predicted), "--json", *label_map_args()])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["labels"]["LOCATION"]["strict"]["recall"] == 0.0
    assert report["labels"]["ACTOR"]["strict"]["f1"] == 1.0
    assert {p["kind"] for p in report["gold_problems"]} >= {"unknown-relation", "ignored-note"}
    table = CliRunner().invoke(cli, ["score", str(folder), str(predicted), *label_map_args()])
    assert table.exit_code == 0 and "1 gold unknown-relation" in table.output
