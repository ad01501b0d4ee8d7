"""Evaluation: our summaries and standard baselines measured the way the field measures them.

`single`: one article, a reference summary, ROUGE F1 (rouge-score). `topics`, `duc` and
`duc_report`: query-focused multi-document topics (DUC's format), briefs in a per-topic or
pooled store, scored by ROUGE-1.5.5 at NIST's settings (`rouge155`). `baselines`: Lead,
LexRank, TextRank, tf-idf + MMR.
"""
