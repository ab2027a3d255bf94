"""The duplicate check: which dictionary competencies are nearest to a proposed one, by name
and by descriptor text.

Character 3-grams (within words, padded with spaces) weighted by TF-IDF and compared by cosine:
n-grams tolerate inflections and spelling variants ("drafting" / "draft", "organisation" /
"organization") that whole-word matching misses, and IDF lowers the weight of words every
competency shares ("ability", "level"). The name and the full text are scored separately and
combined, the name weighing more, because two competencies with near names are the likeliest
duplicates even when their descriptors were written by different hands.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

NAME_WEIGHT = 0.6
WORD = re.compile(r"\w+", re.UNICODE)


def char_ngrams(text: str, n: int = 3) -> list[str]:
    """The character ``n``-grams of each word of ``text``, lower-cased, words padded by a space."""
    grams = []
    for word in WORD.findall(text.lower()):
        padded = f" {word} "
        grams.extend(padded[i:i + n] for i in range(max(len(padded) - n + 1, 1)))
    return grams


def tfidf_cosine(query: str, documents: Sequence[str], n: int = 3) -> np.ndarray:
    """Cosine similarity of ``query`` to each of ``documents`` on TF-IDF weighted character
    ``n``-grams; shape ``(len(documents),)``, values in [0, 1].

    IDF is the smoothed form ``log((1 + N) / (1 + df)) + 1`` over the documents and the query
    (as scikit-learn's ``TfidfVectorizer(smooth_idf=True)``), so a gram found only in the query
    still counts.
    """
    texts = [query, *documents]
    vocabulary: dict[str, int] = {}
    rows, cols = [], []
    for row, text in enumerate(texts):
        for gram in char_ngrams(text, n):
            rows.append(row)
            cols.append(vocabulary.setdefault(gram, len(vocabulary)))
    if not vocabulary:
        return np.zeros(len(documents))
    counts = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), len(vocabulary)))
    counts.sum_duplicates()
    df = np.diff(counts.tocsc().indptr)
    idf = np.log((1 + len(texts)) / (1 + df)) + 1.0
    weighted = counts.multiply(idf[None, :]).tocsr()
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    unit = sparse.diags(1.0 / norms) @ weighted
    return np.asarray((unit[1:] @ unit[0].T).todense()).ravel()


@dataclass(frozen=True)
class Similar:
    code: str
    name: str
    score: float
    name_score: float
    text_score: float


def nearest(name: str, text: str, candidates: Sequence[tuple[str, str, str]], *, limit: int = 5) -> list[Similar]:
    """The ``limit`` candidates nearest to a proposed competency, best first.

    ``candidates`` are ``(code, name, full text)`` where the full text holds the name,
    description and level descriptors.
    """
    if not candidates or not (name.strip() or text.strip()):
        return []
    names = tfidf_cosine(name, [c[1] for c in candidates])
    texts = tfidf_cosine(f"{name} {text}", [c[2] for c in candidates])
    scores = NAME_WEIGHT * names + (1 - NAME_WEIGHT) * texts
    order = np.argsort(-scores, kind="stable")[:limit]
    return [Similar(candidates[i][0], candidates[i][1], float(scores[i]), float(names[i]), float(texts[i]))
            for i in order]
