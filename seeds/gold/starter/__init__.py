"""The starter gold (package data `newsgold.starter_gold`): train / validation / test JSONL of
re3d news documents annotated under newsgold's guidelines; see README.md in this folder."""
