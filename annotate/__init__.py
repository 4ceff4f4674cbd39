"""newsgold annotate: schema, documents, pre-annotation, the Label Studio loop, and the export
of human annotations to a Hugging Face dataset.

The Python API (see `annotate.api`) is importable from here:

    from newsgold.annotate import load_documents, preannotate_documents, push_documents, export_dataset
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newsgold")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

_API = (  # the Python API, `newsgold.annotate.api.__all__` (tests/test_layout.py keeps the two equal)
    "AdjudicationReport",
    "CheckReport",
    "DocumentSet",
    "ExportReport",
    "PreannotateResult",
    "ProjectAgreement",
    "ProjectStatus",
    "PushReport",
    "Re3dReport",
    "adjudicate_project",
    "check_dataset",
    "convert_re3d",
    "export_dataset",
    "load_documents",
    "preannotate_documents",
    "project_agreement",
    "project_status",
    "push_documents",
    "push_predictions",
    "render_schema",
    "run_loop",
    "score",
)
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    # the API is imported on first use, so that `import newsgold.annotate.tokens` (and every
    # export worker process) does not pay for loading it
    if name in _API:
        from newsgold.annotate import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
