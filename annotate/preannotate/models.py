"""Model kinds: how `annotate preannotate|push|loop --model DIR` opens a model folder.

A model folder's manifest (`metadata.json`) names its kind (`"kind"`); folders written before it
did are of the kind `tagger` (`DEFAULT_KIND`: the CRF tagger and argument linker `train fit`
writes). The kind is the name of an entry point in the group `newsgold.models`, whose object is
the kind's loader, `loader(folder, schema_hash) -> Preannotator`, refusing in one line a folder
it cannot use. A new model kind is one module holding its loader and one entry point:

    [project.entry-points."newsgold.models"]
    mykind = "mypackage.mymodel:load_preannotator"

`annotate` never imports `train`: the tagger's loader too is found only through its entry point.
A kind read from a manifest selects among the registered entry points and nothing else, so a
forged manifest cannot make newsgold import a module of its choosing.
"""

from __future__ import annotations

import json
from pathlib import Path

from newsgold.annotate import plugins
from newsgold.annotate.errors import NewsgoldError
from newsgold.annotate.preannotator import Preannotator

GROUP = "newsgold.models"
MANIFEST = "metadata.json"  # the file of a model folder that names its kind
KIND_FIELD = "kind"
DEFAULT_KIND = "tagger"  # a folder whose manifest names no kind (written before it did)
STARTER = "starter"  # the starter model (train/starter.py), a tagger its loader builds on first use


class ModelKindError(NewsgoldError):
    """A model folder names a kind no installed package provides, or a kind that is no name."""


def model_kind(folder: str | Path) -> str:
    """The kind the manifest of `folder` names. DEFAULT_KIND when it names none: a folder written
    before the field, the starter model, and a folder without a readable manifest (the tagger's
    loader then says, in one line, what is wrong with it). A kind that is no non-empty string is
    refused."""
    if str(folder) == STARTER:
        return DEFAULT_KIND
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return DEFAULT_KIND
    kind = manifest.get(KIND_FIELD, DEFAULT_KIND) if isinstance(manifest, dict) else DEFAULT_KIND
    if not isinstance(kind, str) or not kind.strip():
        raise ModelKindError(
            f"{Path(folder) / MANIFEST}: its {KIND_FIELD!r} is {json.dumps(kind)[:40]}, not the name "
            f"of a model kind; retrain the folder with `train fit DATASET --out {folder}`"
        )
    return kind


def kinds() -> list[str]:
    """The model kinds installed packages register, sorted."""
    return sorted(plugins.registered(GROUP))


def load_preannotator(folder: str | Path, schema_hash: str) -> Preannotator:
    """The model in `folder` as a pre-annotator, opened by the loader of the kind its manifest
    names. One line naming the folder when it is no folder or its kind is not installed; the
    loader's own when it refuses the folder (not a model, forged or damaged, another schema)."""
    if str(folder) != STARTER and not Path(folder).is_dir():
        raise NewsgoldError(f"{folder}: not a folder; pass --model the folder `train fit DATASET --out DIR` wrote")
    kind = model_kind(folder)
    loader = plugins.load(GROUP, kind)
    if loader is None:
        installed = ", ".join(kinds()) or "none"
        fix = (
            "reinstall newsgold (pip install newsgold)"
            if kind == DEFAULT_KIND
            else f"install the package that registers it, or retrain the folder with `train fit DATASET --out {folder}`"
        )
        raise ModelKindError(
            f"{folder}: a model of kind {json.dumps(kind)[:60]}, which no installed package provides "
            f"(entry point group {GROUP}; installed: {installed}); {fix}"
        )
    return loader(folder, schema_hash)
