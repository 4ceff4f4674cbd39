import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# No unit test asserts a timing (speed is measured by tests/bench/ against a peer): hypothesis's
# per-example deadline would fail a test whose first example pays an import or a cold cache.
settings.register_profile("newsgold", deadline=None)
settings.load_profile("newsgold")

# The language layer's disk cache (annotate/language.py) of a test run lives in its own folder,
# never in the user's ~/.cache; shared by the run's tests and the CLI processes they start.
os.environ["NEWSGOLD_CACHE"] = tempfile.mkdtemp(prefix="newsgold-cache-")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture
def seed_paths():
    return sorted(SEEDS.glob("*.txt"))


def read_documents(paths, text_field="text", skip_bad=False):
    """Documents read (not grouped into stories) and the items skipped, as lists."""
    from newsgold.annotate.documents import iter_documents

    skipped = []
    documents = list(iter_documents(paths, text_field, skipped.append if skip_bad else None))
    return documents, skipped


def rules_version() -> str:
    """The model_version the default rules push under: the rules reading the language layer."""
    from newsgold.annotate.preannotate import RuleAnnotator

    return RuleAnnotator().model_version
