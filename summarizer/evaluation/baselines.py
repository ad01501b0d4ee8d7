"""Standard baselines to measure our summaries against.

Single articles: Lead-3 (in `single`), sumy's LexRank and TextRank. Topics (query-focused,
multi-document, a word budget): NIST's lead baseline, LexRank over all the topic's
sentences, and tf-idf similarity to the topic with maximal marginal relevance (MMR).

sumy splits with NLTK's punkt models, which are not installed offline, so it is handed our
sentences, with words from NLTK's data-free Treebank tokenizer. sumy, nltk and
scikit-learn are the optional "eval" extras: imported here, when needed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from summarizer.errors import BriefbotError

TOPIC_BASELINES = ("lead", "lexrank", "tfidf-mmr")
MMR_LAMBDA = 0.7  # relevance against novelty, Carbonell & Goldstein's usual setting
MMR_MIN_WORDS = 5  # shorter "sentences" are headlines, bylines and datelines


class BaselineError(BriefbotError):
    """A baseline cannot run (missing eval extras, unknown name)."""


def words_in(text: str) -> int:
    """Words as ROUGE counts them for its length limit: whitespace-separated tokens."""
    return len(text.split())


def within_words(ranked: Sequence[str], words: int) -> list[str]:
    """Sentences from `ranked` (best first) until `words` words are reached; the last may run over
    (ROUGE cuts the summary at the limit)."""
    chosen, used = [], 0
    for sentence in ranked:
        if used >= words:
            break
        chosen.append(sentence)
        used += words_in(sentence)
    return chosen


def _sumy():
    try:
        from nltk.tokenize import NLTKWordTokenizer
        from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
        from sumy.nlp.stemmers import Stemmer
        from sumy.nlp.tokenizers import Tokenizer
        from sumy.summarizers.lex_rank import LexRankSummarizer
        from sumy.summarizers.text_rank import TextRankSummarizer
        from sumy.utils import get_stop_words
    except ImportError as exc:
        raise BaselineError(
            f"the sumy baselines need the eval extras: pip install 'briefbot[eval]' ({exc})"
        ) from exc

    class Words:
        """sumy's word tokenizer interface, without NLTK's punkt data."""

        language = "english"
        _tokenizer = NLTKWordTokenizer()

        def to_words(self, sentence: str) -> tuple[str, ...]:
            return tuple(w for w in self._tokenizer.tokenize(sentence) if Tokenizer._is_word(w))

    class MatrixLexRank(LexRankSummarizer):
        """sumy's LexRank with its idf table and idf-modified-cosine matrix computed by numpy
        (the same formulas and threshold): sumy's pure-Python pair loop takes ~40 s on a DUC
        topic's ~800 sentences."""

        @staticmethod
        def _compute_idf(sentences):
            counts = Counter(term for sentence in sentences for term in set(sentence))
            return {term: math.log(len(sentences) / (1 + n)) for term, n in counts.items()}

        def _create_matrix(self, sentences, threshold, tf_metrics, idf_metrics):
            import numpy as np

            vocabulary = {term: i for i, term in enumerate(idf_metrics)}
            weights = np.zeros((len(sentences), len(vocabulary)))
            for row, tf in enumerate(tf_metrics):
                for term, value in tf.items():
                    weights[row, vocabulary[term]] = value * idf_metrics[term]
            norms = np.linalg.norm(weights, axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                cosine = (weights @ weights.T) / np.outer(norms, norms)
            linked = np.where(np.nan_to_num(cosine) > threshold, 1.0, 0.0)
            degrees = linked.sum(axis=1)
            degrees[degrees == 0] = 1
            return linked / degrees[:, None]

    def build(name: str):
        summarizer = (MatrixLexRank if name == "lexrank" else TextRankSummarizer)(Stemmer("english"))
        summarizer.stop_words = get_stop_words("english")
        return summarizer

    def document(sentences: Sequence[str]):
        words = Words()
        return ObjectDocumentModel([Paragraph([Sentence(s, words) for s in sentences])])

    return build, document


def sumy_baseline(name: str) -> Callable[[Sequence[str], int], list[str]]:
    """sumy's LexRank or TextRank as a function of (sentences, how many) -> sentences, in
    document order."""
    build, document = _sumy()
    summarizer = build(name)

    def run(sentences: Sequence[str], count: int) -> list[str]:
        return [str(s) for s in summarizer(document(sentences), count)]

    return run


def lexrank_words() -> Callable[[Sequence[str], int], list[str]]:
    """sumy's LexRank as (sentences, word budget) -> its best sentences, best first, until the
    budget is reached (no redundancy removal: LexRank as published)."""
    build, document = _sumy()
    summarizer = build("lexrank")

    def run(sentences: Sequence[str], words: int) -> list[str]:
        ranked: list[str] = []

        def keep(infos):  # sumy hands a callable count its sentences best first
            ranked.extend(str(info.sentence) for info in infos)
            return []

        summarizer(document(sentences), keep)
        return within_words(ranked, words)

    return run


def tfidf_mmr(sentences: Sequence[str], query: str, words: int, *, lam: float = MMR_LAMBDA) -> list[str]:
    """Sentences by maximal marginal relevance to `query` over tf-idf vectors, until `words`.

    Each step takes the sentence maximising lam * sim(query) - (1 - lam) * max sim(chosen).
    """
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.metrics.pairwise import cosine_similarity
    except ImportError as exc:
        raise BaselineError(
            f"the tf-idf baseline needs the eval extras: pip install 'briefbot[eval]' ({exc})"
        ) from exc
    pool = [s for s in dict.fromkeys(sentences) if words_in(s) >= MMR_MIN_WORDS]
    if not pool:
        return []
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
    matrix = vectorizer.fit_transform(pool)
    relevance = cosine_similarity(matrix, vectorizer.transform([query])).ravel()
    similarity = cosine_similarity(matrix)
    chosen: list[int] = []
    redundancy = [0.0] * len(pool)
    used = 0
    while used < words and len(chosen) < len(pool):
        taken = set(chosen)
        best = max(
            (i for i in range(len(pool)) if i not in taken),
            key=lambda i: lam * relevance[i] - (1 - lam) * redundancy[i],
        )
        chosen.append(best)
        used += words_in(pool[best])
        redundancy = [max(r, similarity[i, best]) for i, r in enumerate(redundancy)]
    return [pool[i] for i in chosen]


def nist_lead(articles: Sequence[tuple[datetime | None, Sequence[str]]], words: int) -> list[str]:
    """NIST's DUC baseline: the first `words` words of the most recent article.

    `articles` are (published, sentences); an article without a date counts as oldest.
    """
    if not articles:
        return []
    oldest = datetime.min.replace(tzinfo=UTC)
    _, sentences = max(articles, key=lambda article: article[0] or oldest)
    return within_words(sentences, words)
