"""Issue 20, class 1: an output never destroys an input or a user's file (`annotate.outputs`).

Every command that writes, run by a careless user: the output is one of its inputs (the same path,
a symbolic link to it, a hard link to it), lies inside a folder it reads, is a folder holding an
input, or is a folder holding a file newsgold did not write; or the write fails halfway (a full
disk, Ctrl-C, SIGTERM). Each refused or failed run leaves every file as it was (SHA-256 before and
after) and nothing temporary behind; an output newsgold wrote is replaced whole.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import pytest

from tests.hostile.kit import assert_ok, assert_refused, digests, invoke

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "seeds" / "gold"
SENTENCES = [
    "Afghan soldiers fled across the border to Tajikistan on Monday, officials in Dushanbe said.",
    "Rebels shelled Aleppo and killed 12 civilians, the monitor said.",
    "Police arrested 40 protesters in Nairobi on Friday.",
    "Taliban fighters attacked a checkpoint in Kandahar, killing three guards.",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """Every kind of input a writing command reads, under in/: gold JSONL, a dataset exported
    from it, a model fitted on that, raw documents (a folder of .txt and a JSONL), a re3d folder."""
    root = tmp_path_factory.mktemp("outputs")
    src = root / "in"
    src.mkdir()
    (src / "gold.jsonl").write_text((GOLD / "seeds.jsonl").read_text() + (GOLD / "heldout.jsonl").read_text())
    (src / "docs").mkdir()
    texts = [f"Report {i}. " + " ".join(SENTENCES[(i + k) % 4] for k in range(12)) for i in range(24)]
    for i, text in enumerate(texts[:12]):
        (src / "docs" / f"{i:02}.txt").write_text(text)
    (src / "docs.jsonl").write_text(
        "".join(json.dumps({"id": f"j{i}", "text": t}) + "\n" for i, t in enumerate(texts[12:]))
    )
    shutil.copytree(ROOT / "seeds" / "corpora" / "re3d" / "CENTCOM", src / "re3d" / "CENTCOM")
    assert_ok(
        invoke(
            ["annotate", "export", "--from", src / "gold.jsonl", "--out", src / "dataset", "--ratios", "0.6,0.2,0.2"]
        )
    )
    assert_ok(invoke(["train", "fit", src / "dataset", "--out", src / "model"]))
    return root


@pytest.fixture
def ws(built, tmp_path) -> Path:
    """A fresh copy of the inputs (in/) and an empty out/ folder."""
    shutil.copytree(built / "in", tmp_path / "in", symlinks=True)
    (tmp_path / "out").mkdir()
    return tmp_path


@dataclass(frozen=True)
class Writer:
    argv: Callable[[Path, Path], list]  # (workspace, output) -> argv
    folder: bool  # the output is a folder
    same: tuple[str, ...] = ()  # inputs (relative to the workspace) an output may wrongly be
    inside: tuple[str, ...] = ()  # input folders an output may wrongly lie in
    default: Callable[[Path], Path] | None = None  # the output when the command does not take one
    marker: str | None = None
    force: tuple[str, ...] = ()  # what replacing an output it wrote needs
    names: tuple[str, ...] = field(default=())  # files a complete output holds


WRITERS = {
    "documents": Writer(
        lambda w, o: ["annotate", "documents", w / "in/docs.jsonl", w / "in/docs", "-o", o],
        False,
        same=("in/docs.jsonl",),
        inside=("in/docs",),
    ),
    "preannotate": Writer(
        lambda w, o: ["annotate", "preannotate", w / "in/docs.jsonl", w / "in/docs", "-o", o],
        False,
        same=("in/docs.jsonl",),
        inside=("in/docs",),
    ),
    "preannotate-model": Writer(
        lambda w, o: ["annotate", "preannotate", w / "in/docs.jsonl", "--model", w / "in/model", "-o", o],
        False,
        same=("in/docs.jsonl",),
        inside=("in/model",),
    ),
    "re3d": Writer(
        lambda w, o: ["annotate", "re3d", w / "in/re3d", "-o", o], False, inside=("in/re3d", "in/re3d/CENTCOM")
    ),
    "predict": Writer(
        lambda w, o: ["train", "predict", w / "in/model", w / "in/docs.jsonl", w / "in/docs", "-o", o],
        False,
        same=("in/docs.jsonl", "in/model/metadata.json", "in/model/model.skops"),
        inside=("in/docs",),
    ),
    "export": Writer(
        lambda w, o: ["annotate", "export", "--from", w / "in/gold.jsonl", "--out", o],
        True,
        marker=".newsgold-export",
        force=("--force",),
        names=("dataset_dict.json", "README.md"),
    ),
    "fit": Writer(
        lambda w, o: ["train", "fit", w / "in/dataset", "--out", o, "--unlabelled", w / "in/docs"],
        True,
        same=("in/dataset", "in/docs"),
        inside=("in/dataset", "in/docs"),
        marker=".newsgold-model",
        names=("model.skops", "metadata.json"),
    ),
    "curve": Writer(
        lambda w, o: ["train", "curve", w / "in/dataset", "--out", o, "--split", "train", "--steps", "2"],
        True,
        same=("in/dataset",),
        inside=("in/dataset",),
        marker=".newsgold-curve",
        names=("curve.json",),
    ),
    # writes MODEL/eval-SPLIT: its output is not chosen on the command line (see test_evaluate_api_*)
    "evaluate": Writer(
        lambda w, o: ["train", "evaluate", w / "in/model", w / "in/dataset", "--split", "train"],
        True,
        default=lambda w: w / "in/model/eval-train",
        marker=".newsgold-evaluation",
        names=("report.json", "report.md", "f1_per_label.png"),
    ),
}
FILES = [name for name, w in WRITERS.items() if not w.folder]
FOLDERS = [name for name, w in WRITERS.items() if w.folder]
CHOSEN = [name for name, w in WRITERS.items() if w.default is None]


def output_of(name: str, ws: Path) -> Path:
    writer = WRITERS[name]
    return writer.default(ws) if writer.default else ws / "out" / ("o" if writer.folder else "o.jsonl")


def run(name: str, ws: Path, out: Path | None = None, *extra: str):
    return invoke([*WRITERS[name].argv(ws, out or output_of(name, ws)), *extra])


def assert_untouched(before: dict, ws: Path) -> None:
    """Every file as it was, nothing new (no partial output, no temporary file)."""
    assert digests(ws) == before


def linked(target: Path, ws: Path, how: str) -> Path:
    """`target` itself, or a symbolic or hard link to it in out/."""
    if how == "path":
        return target
    link = ws / "out" / f"link{target.suffix}"
    (link.symlink_to if how == "symlink" else link.hardlink_to)(target)
    return link


# ---- the output is an input, lies inside one, or holds one -----------------------------------

SAME = [
    (name, target, how)
    for name in CHOSEN
    for target in WRITERS[name].same
    for how in ("path", "symlink", "hardlink")
    if not (how == "hardlink" and "." not in Path(target).name)
]


@pytest.mark.parametrize("name, target, how", SAME, ids=[f"{n}-{Path(t).name}-{h}" for n, t, h in SAME])
def test_an_output_that_is_an_input_is_refused(ws, name, target, how):
    out = linked(ws / target, ws, how)
    before = digests(ws)
    error = assert_refused(run(name, ws, out), str(out), str(ws / target))
    assert "is the input" in error and "choose another output" in error
    assert_untouched(before, ws)


INSIDE = [(name, folder, how) for name in CHOSEN for folder in WRITERS[name].inside for how in ("path", "symlink")]


@pytest.mark.parametrize("name, folder, how", INSIDE, ids=[f"{n}-{Path(f).name}-{h}" for n, f, h in INSIDE])
def test_an_output_inside_a_folder_read_is_refused(ws, name, folder, how):
    out = linked(ws / folder, ws, how) / ("x" if WRITERS[name].folder else "x.jsonl")
    before = digests(ws)
    read = ws / "/".join(folder.split("/")[:2])  # the folder given to the command (in/re3d for in/re3d/CENTCOM)
    error = assert_refused(run(name, ws, out), str(out), str(read))
    assert "lies inside the folder" in error and "choose an output outside it" in error
    assert_untouched(before, ws)


@pytest.mark.parametrize("name", [n for n in FOLDERS if n in CHOSEN])
@pytest.mark.parametrize("how", ["path", "symlink"])
def test_a_folder_output_holding_an_input_is_refused(ws, name, how):
    out = linked(ws / "in", ws, how)
    before = digests(ws)
    error = assert_refused(run(name, ws, out, *WRITERS[name].force), str(out))
    assert "holds the input" in error and "move the input out of it" in error
    assert_untouched(before, ws)


@pytest.mark.parametrize(
    "out, message",
    [
        ("in/dataset", "is the input"),
        ("in/dataset/eval", "lies inside the folder"),
        ("in", "holds the input"),
        ("in/model/model.skops", "is the input"),
    ],
)
def test_evaluate_api_refuses_an_output_among_its_inputs(ws, out, message):
    from newsgold.annotate.errors import NewsgoldError
    from newsgold.train.api import evaluate

    before = digests(ws)
    with pytest.raises(NewsgoldError, match=message):
        evaluate(ws / "in/model", ws / "in/dataset", split="train", out=ws / out)
    assert_untouched(before, ws)


# ---- a folder holding what newsgold did not write --------------------------------------------


def _user_file(out: Path, name: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / name).parent.mkdir(parents=True, exist_ok=True)
    (out / name).write_text("the user's own")


FOREIGN = [
    ("fit", "metadata.json", False),  # the example: a user's metadata.json in the --out folder
    ("fit", "notes.md", True),
    ("fit", "eval-test/notes.md", True),  # inside the report folder of a model
    ("fit", "eval-mine/plot.png", True),  # a folder named like a report, not one
    ("export", "notes.md", True),
    ("export", "train/notes.md", False),
    ("curve", "data.csv", True),
    ("evaluate", "notes.md", True),
]


@pytest.mark.parametrize("name, entry, written", FOREIGN, ids=[f"{n}-{e}" for n, e, _ in FOREIGN])
def test_a_folder_holding_files_newsgold_did_not_write_is_refused(ws, name, entry, written):
    out = output_of(name, ws)
    if written:
        assert_ok(run(name, ws))
        if entry.startswith("eval-test/"):
            assert_ok(invoke(["train", "evaluate", out, ws / "in/dataset", "--split", "test"]))
    _user_file(out, entry)
    before = digests(ws)
    error = assert_refused(run(name, ws, out, *WRITERS[name].force), str(out), entry.split("/")[0])
    assert "move those files or choose another" in error
    assert_untouched(before, ws)


def test_the_root_folder_is_refused_naming_what_it_holds(ws):
    before = digests(ws)
    assert_refused(run("fit", ws, Path("/")), "Error: / holds")  # the input, or else files newsgold did not write
    assert not Path("/model.skops").exists()
    assert_untouched(before, ws)


def test_export_still_needs_force_to_replace_its_own_output(ws):
    assert_ok(run("export", ws))
    before = digests(ws)
    assert_refused(run("export", ws), "already exists", "--force")
    assert_untouched(before, ws)


# ---- an output newsgold wrote is replaced whole ---------------------------------------------


def _complete(name: str, out: Path) -> None:
    writer = WRITERS[name]
    if not writer.folder:
        lines = out.read_text().splitlines()
        assert len(lines) >= 12 and all(json.loads(line) for line in lines)
        return
    assert (out / writer.marker).is_file()
    for file in writer.names:
        assert (out / file).stat().st_size > 0, file


REPLACED = [
    (name, old)
    for name in WRITERS
    for old in (("newsgold", "older-newsgold", "empty") if WRITERS[name].folder else ("newsgold",))
]


@pytest.mark.parametrize("name, old", REPLACED, ids=[f"{n}-{o}" for n, o in REPLACED])
def test_an_output_newsgold_wrote_is_replaced(ws, name, old):
    """Over its own earlier output, one written by an older newsgold (no marker) or an empty
    folder: a complete new output, nothing temporary left beside it, no input changed."""
    writer, out = WRITERS[name], output_of(name, ws)
    if old == "empty":
        out.mkdir()
    else:
        assert_ok(run(name, ws))
        if old == "older-newsgold":
            (out / writer.marker).unlink()  # written before the marker
    inputs = {path: digest for path, digest in digests(ws / "in").items() if not path.startswith(str(out))}
    siblings = sorted(p.name for p in out.parent.iterdir())
    assert_ok(run(name, ws, out, *writer.force))
    _complete(name, out)
    assert sorted(p.name for p in out.parent.iterdir()) == siblings  # nothing temporary left beside it
    after = {path: digest for path, digest in digests(ws / "in").items() if not path.startswith(str(out))}
    assert after == inputs


def test_fit_over_a_model_replaces_it_with_its_reports(ws):
    out = ws / "out/model"
    assert_ok(run("fit", ws, out))
    assert_ok(invoke(["train", "evaluate", out, ws / "in/dataset", "--split", "train"]))
    first = json.loads((out / "metadata.json").read_text())
    assert_ok(run("fit", ws, out, "--c1", "0.5"))
    second = json.loads((out / "metadata.json").read_text())
    assert second["model_version"] != first["model_version"]
    # the linker's file is there when the gold had relations to learn from (its digest in the metadata)
    linker = ["linker.skops"] if second.get("linker_sha256") else []
    assert sorted(p.name for p in out.iterdir()) == sorted([".newsgold-model", "metadata.json", "model.skops", *linker])
    assert sorted(p.name for p in (ws / "out").iterdir()) == ["model"]


def test_an_output_file_through_a_symbolic_link_replaces_its_target(ws):
    target, link = ws / "out/real.jsonl", ws / "out/link.jsonl"
    target.write_text("old\n")
    link.symlink_to(target)
    assert_ok(run("documents", ws, link))
    assert link.is_symlink() and len(target.read_text().splitlines()) == 24
    assert sorted(p.name for p in (ws / "out").iterdir()) == ["link.jsonl", "real.jsonl"]


# ---- a failure halfway leaves the old output byte-identical ----------------------------------

FAILURES = {
    "full-disk": lambda: OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),
    "ctrl-c": KeyboardInterrupt,
    "sigterm": lambda: SystemExit(143),  # what clikit.run makes of SIGTERM
}


def break_writer(name: str, monkeypatch, failure: Callable[[], BaseException]) -> None:
    """Make the command's writer fail halfway: after part of its output is written."""
    calls = {"n": 0}

    def halfway():
        calls["n"] += 1
        return calls["n"] > 1

    if not WRITERS[name].folder:  # every JSONL output goes through jsonl.write_jsonl
        import newsgold.annotate.jsonl as jsonl

        def dumps(*args, **kwargs):
            if halfway():
                raise failure()
            return json.dumps(*args, **kwargs)

        monkeypatch.setattr(jsonl, "json", SimpleNamespace(**{**vars(json), "dumps": dumps}))
    elif name == "export":
        import newsgold.annotate.export.write as write

        monkeypatch.setattr(write, "dataset_card", lambda *a: (_ for _ in ()).throw(failure()))
    elif name == "fit":
        import skops.io

        def dump(obj, file):
            Path(file).write_bytes(b"PK\x03\x04 half a model")
            raise failure()

        monkeypatch.setattr(skops.io, "dump", dump)
    else:  # evaluate, curve: the plot after the JSON
        from matplotlib.figure import Figure

        def savefig(self, fname, *args, **kwargs):
            Path(fname).write_bytes(b"\x89PNG half")
            raise failure()

        monkeypatch.setattr(Figure, "savefig", savefig)


@pytest.mark.parametrize("failure", list(FAILURES))
@pytest.mark.parametrize("name", list(WRITERS))
def test_a_failure_halfway_leaves_the_old_output(ws, monkeypatch, name, failure):
    out = output_of(name, ws)
    assert_ok(run(name, ws))  # the old output, which must survive
    before = digests(ws)
    break_writer(name, monkeypatch, FAILURES[failure])
    result = run(name, ws, out, *WRITERS[name].force)
    monkeypatch.undo()
    if failure == "full-disk":
        error = assert_refused(result, str(out), "No space left on device")
        assert "left as it was" in error and "free disk space" in error
    else:
        assert result.exit_code != 0 and "Traceback" not in result.output
    assert_untouched(before, ws)


# ---- a real full disk ----------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MiB tmpfs mounted for the test (root only)."""
    if os.geteuid() != 0:
        pytest.skip("a real full disk needs root to mount a tmpfs (CI runs as root)")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs failed: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path, leave: int = 8192) -> None:
    """Fill `disk` to the last byte, then free `leave` bytes: the next write stops halfway."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for chunk in (b"\0" * (1 << 16), b"\0" * 4096, b"\0"):
            while True:
                try:
                    os.write(fd, chunk)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    break
        size = os.lseek(fd, 0, os.SEEK_END)
    finally:
        os.close(fd)
    os.truncate(disk / "filler", max(0, size - leave))


@pytest.mark.parametrize("name", list(WRITERS))
def test_a_full_disk_leaves_the_old_output(ws, small_disk, name):
    if name == "evaluate":  # its output lives in the model folder: the model goes on the disk
        shutil.copytree(ws / "in/model", small_disk / "model")
        argv = ["train", "evaluate", small_disk / "model", ws / "in/dataset", "--split", "train"]
        out = small_disk / "model/eval-train"
    else:
        out = small_disk / ("o" if WRITERS[name].folder else "o.jsonl")
        argv = [*WRITERS[name].argv(ws, out), *WRITERS[name].force]
    assert_ok(invoke(argv))  # the old output
    fill(small_disk)
    before = digests(ws, small_disk)
    error = assert_refused(invoke(argv), str(out), "No space left on device")
    assert "left as it was" in error
    assert digests(ws, small_disk) == before
