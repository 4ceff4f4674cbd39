"""The default labeling schema of newsgold, as data: `newsgold.toml` and `guidelines.md`.

No code lives here. This marker makes the folder the package `newsgold.schema`, so that the
schema files ship inside the wheel and are found with `importlib.resources` wherever newsgold is
installed (see `newsgold.annotate.schema.default_schema_path`).
"""
