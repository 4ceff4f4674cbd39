#!/usr/bin/env bash
# Quality of the rule pre-annotator on the hand-made gold: strict and partial P/R/F1 per label.
#   tests/bench/score_rules.sh      (from the repository root, with .venv set up)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
.venv/bin/annotate preannotate seeds/gold/seeds.jsonl seeds/gold/heldout.jsonl -o "$out/pred.jsonl"
echo "## seeds (2 articles; the rules were written looking at them: a development set)"
.venv/bin/annotate score seeds/gold/seeds.jsonl "$out/pred.jsonl"
echo
echo "## held-out (4 re3d news texts annotated before the rules saw them)"
.venv/bin/annotate score seeds/gold/heldout.jsonl "$out/pred.jsonl"
