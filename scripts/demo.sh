#!/usr/bin/env bash
# The main job on a fresh machine: install, check the schema, pre-process the seed articles.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source .venv/bin/activate
echo "== the schema, validated by Label Studio's own parser ==" >&2
annotate schema --format labelstudio
echo "== the seed articles: ids, stories, tokens ==" >&2
annotate documents seeds/ -o exports/seeds.jsonl
