"""The README's Label Studio example of the Python API, against the real server."""

from tests.test_readme import python_examples, run_python_example


def test_readme_label_studio_example_runs(ls_env):
    blocks = python_examples()
    run_python_example(blocks[0])  # the files the server example reads
    run_python_example(blocks[1])
    out = run_python_example(blocks[2], {"NEWSGOLD_LS_DIR": str(ls_env.data_dir)})
    assert "new tasks; annotate at http://127.0.0.1:" in out and "'tasks': 2" in out
