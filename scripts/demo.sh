#!/usr/bin/env bash
# The main job on a fresh machine: install newsgold with the Label Studio server, start the
# embedded local Label Studio, push the seed articles with rule pre-annotations, and say where
# to annotate them and what comes next.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh server
source .venv/bin/activate
PROJECT="${NEWSGOLD_DEMO_PROJECT:-newsgold demo}"

echo "== 1. the schema, validated by Label Studio's own parser ==" >&2
annotate schema --format labelstudio > /dev/null

echo "== 2. the embedded Label Studio on 127.0.0.1 (first start: ~1 minute of migrations) ==" >&2
annotate server

echo "== 3. the seed articles, pre-annotated by the rules, pushed to project '$PROJECT' ==" >&2
annotate push seeds/ --project "$PROJECT"
annotate status --project "$PROJECT"

cat >&2 <<NEXT

== next ==
Open the URL above, log in with the user and password in .labelstudio/newsgold-credentials.json,
and correct the pre-annotations. Then:

  source .venv/bin/activate
  annotate status --project "$PROJECT"                       # progress and acceptance of the rules
  annotate export --project "$PROJECT" --out exports/demo    # human corrections -> HF dataset
  annotate check exports/demo                                 # before training
  train fit exports/demo --out exports/demo-model             # the baseline tagger
  train evaluate exports/demo-model exports/demo --split train
  train predict exports/demo-model seeds/ -o exports/next-round.jsonl
  annotate push --predictions exports/next-round.jsonl --project "$PROJECT"
  annotate server --stop                                      # when you are done

Two seed articles are too few to train on: for a real model, see "The baseline tagger" in the
README (the re3d corpus, annotate re3d + export + train fit/evaluate).
NEXT
