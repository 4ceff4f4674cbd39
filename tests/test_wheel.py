"""The wheel works anywhere: built from this checkout, installed (not editable) into a fresh
virtual environment, and run from an empty temporary folder, far from the repository."""

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """bin/ of a fresh venv with the newsgold wheel (and its dependencies from the index) in it."""
    folder = tmp_path_factory.mktemp("wheel")
    dist = folder / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(ROOT)],
        check=True,
        cwd=folder,
    )
    (wheel,) = dist.glob("newsgold-*.whl")
    venv.create(folder / "venv", with_pip=True)
    bin_dir = folder / "venv" / "bin"
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)], check=True, cwd=folder)
    return bin_dir


def run(bin_dir, *args, cwd):
    result = subprocess.run([str(bin_dir / args[0]), *args[1:]], capture_output=True, text=True, cwd=cwd)
    assert result.returncode == 0, f"{args}: {result.stderr}"
    return result


def test_the_wheel_runs_from_any_folder(installed, tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "news").mkdir()
    for seed in sorted((ROOT / "seeds").glob("*.txt")):
        (work / "news" / seed.name).write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    # the default schema and guidelines come from the installed package, not from a checkout
    config = run(installed, "annotate", "schema", cwd=work)
    assert '<Labels name="label"' in config.stdout and "is valid" in config.stderr
    guidelines = run(installed, "annotate", "schema", "--format", "guidelines", cwd=work).stdout
    assert "labels at a glance" in guidelines and len(guidelines) > 2000  # the hand-written guide too
    # the output beside the folder read, not inside it (an output inside a folder being read is refused)
    run(installed, "annotate", "preannotate", "news", "-o", "pre.jsonl", cwd=work)
    records = [json.loads(line) for line in (work / "pre.jsonl").read_text().splitlines()]
    assert len(records) == 2 and all(r["spans"] and r["model_version"].startswith("rules-") for r in records)
    gold = work / "gold.jsonl"
    gold.write_text(
        "".join(json.dumps({**r, "annotated_labels": ["ACTOR", "LOCATION", "COUNT", "ACTION"]}) + "\n" for r in records)
    )
    run(installed, "annotate", "export", "--from", "gold.jsonl", "--out", "ds", cwd=work)
    assert (work / "ds" / "dataset_dict.json").exists() and (work / "ds" / "parquet" / "train.parquet").exists()
    # the starter model builds from the gold the wheel ships, into the cache (NEWSGOLD_CACHE of the
    # test run), and pre-annotates with the rules under one deterministic model_version
    run(installed, "annotate", "preannotate", "news", "--model", "starter", "-o", "starter.jsonl", cwd=work)
    versions = {json.loads(line)["model_version"] for line in (work / "starter.jsonl").read_text().splitlines()}
    assert len(versions) == 1 and "+starter-" in versions.pop()
    # a model folder is opened by the loader of the kind its metadata.json names, an entry point of
    # the wheel's `newsgold.models` group
    code = (
        "import json; from newsgold.annotate.preannotate.models import kinds, model_kind; "
        "from newsgold.train.starter import starter_folder; f = starter_folder(); "
        "print(json.dumps([kinds(), model_kind(f), str(f)]))"
    )
    found, kind, folder = json.loads(run(installed, "python", "-c", code, cwd=work).stdout)
    assert found == ["tagger"] and kind == "tagger"
    run(installed, "annotate", "preannotate", "news", "--model", folder, "-o", "folder.jsonl", cwd=work)
    assert (work / "folder.jsonl").read_text() == (work / "starter.jsonl").read_text()
    # the library is importable under its namespace, and comes from the wheel
    code = "import newsgold.annotate as a, newsgold.train as t; print(a.__file__); print(a.load_documents, t.fit)"
    where = run(installed, "python", "-c", code, cwd=work).stdout
    assert str(ROOT) not in where and "site-packages" in where
