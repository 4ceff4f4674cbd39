"""A model's identity: `code_version`, the hash of the code behind its predictions, and the
deterministic `model_version` built from it, the training data and the settings."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

# Code whose change changes the predictions of a model fitted on the same data.
_TRAIN = Path(__file__).parent


_ANNOTATE = _TRAIN.parent / "annotate"


_CODE = ("tagger.py", "features.py", "clusters.py", "predict.py", "linker.py", "linkfeatures.py")


# our tokens, how the pipeline's are read and aligned, the rules' relation builder (a feature of the
# linker) and the scores the linker is chosen by
_ANNOTATE_CODE = (
    "tokens.py",
    "language.py",
    "analysis.py",
    "preannotate/view.py",
    "preannotate/relations.py",
    "preannotate/parsed.py",
    "relscoring.py",
    "eventscoring.py",
)


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the tagger's code, the tokenizer, the word lists and gazetteers its features use
    and the CRF library: changes whenever a model fitted on the same data could predict otherwise."""
    from newsgold.annotate.layercache import source_digest
    from newsgold.annotate.resources.gazetteer import gazetteer_versions

    sources = [_TRAIN / name for name in _CODE] + [_ANNOTATE / name for name in _ANNOTATE_CODE]
    paths = sources + sorted((_ANNOTATE / "resources").glob("*.py"))
    return source_digest(f"{gazetteer_versions()}+python-crfsuite-{version('python-crfsuite')}", paths)[:16]


def model_version(
    dataset_fingerprint: str,
    params: dict,
    unlabelled: str | None = None,
    pipeline: str | None = None,
    linker: dict | None = None,
) -> str:
    """`tagger-<hash>` of the training data, the hyper-parameters and the code version (and the
    digest of the unlabelled texts the word clusters also learned from, when there were any, and
    the identity of the language pipeline whose features it learned from, when it did, and the
    argument linker's parameters and what draws the relations, when a linker was fitted)."""
    decided_by = {"data": dataset_fingerprint, "params": params, "code": code_version()}
    if unlabelled is not None:
        decided_by["unlabelled"] = unlabelled
    if pipeline is not None:
        decided_by["pipeline"] = pipeline
    if linker is not None:
        decided_by["linker"] = linker
    return "tagger-" + hashlib.sha256(json.dumps(decided_by, sort_keys=True).encode()).hexdigest()[:10]
