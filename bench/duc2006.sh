#!/usr/bin/env bash
# The figures of BENCHMARKS.md "DUC 2006": our briefs (cluster and pooled stores) and the
# baselines on the 50 topics, scored by ROUGE-1.5.5 at NIST's settings, once with the topic
# given as title + narrative (the default) and once as the title alone. One torch thread
# (the machine is shared). Needs the eval extras and Perl's XML::DOM (libxml-dom-perl).
# Usage: bench/duc2006.sh [DUC_DIR] [OUT_DIR] [extra briefbot eval options, e.g. --modes extractive,semantic]
set -euo pipefail
DATA=${1:-../shared/data/duc}
OUT=${2:-${TMPDIR:-/tmp}/briefbot-duc}
shift $(( $# < 2 ? $# : 2 ))
mkdir -p "$OUT"
export OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1
for topic in both title; do
    briefbot eval "$DATA/duc2006_topics.jsonl" --topic "$topic" \
        --output "$OUT/duc2006_$topic.summaries.jsonl" "$@" | tee "$OUT/duc2006_$topic.md"
done
