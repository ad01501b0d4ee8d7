#!/usr/bin/env bash
# The figures of BENCHMARKS.md "Summaries": every system side by side, one run per data set.
# One torch thread (the machine is shared); BBC on its first 500 articles (semantic mode
# embeds every sentence, ~0.5 s an article on one busy core: the full 2,225 take ~20 min).
# Usage: bench/eval_summaries.sh [DATA_DIR] [OUT_DIR]
set -euo pipefail
DATA=${1:-../shared/data}
OUT=${2:-${TMPDIR:-/tmp}/briefbot-eval}
mkdir -p "$OUT"
export OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1
briefbot eval "$DATA/cnndm_dev.jsonl" --modes extractive,semantic \
    --baselines lead3,lexrank,textrank --sentences 3 --output "$OUT/cnndm_dev.summaries.jsonl"
briefbot eval "$DATA/bbc_news.jsonl" --modes extractive,semantic \
    --baselines lead3,lexrank,textrank --sentences 3 --limit 500 --output "$OUT/bbc_news.summaries.jsonl"
