"""Chinese tokens for search: jieba (search mode, with the domain dictionary) plus CJK character
bigrams, the same on both sides (queries and documents), after NFKC and lower-casing."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Any

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "啊",
        "呀",
        "吧",
        "嘛",
        "么",
        "我",
        "我们",
        "你",
        "你们",
        "您",
        "他",
        "她",
        "它",
        "是",
        "在",
        "和",
        "与",
        "就",
        "都",
        "也",
        "还",
        "请问",
        "一下",
        "这个",
        "那个",
        "有",
        "没",
        "个",
    ]
)
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    userdict = resources.files("aftersales.knowledge") / "data" / "userdict.txt"
    if userdict.is_file():
        with userdict.open("rb") as handle:  # a handle we close (jieba leaves a path's file open)
            tokenizer.load_userdict(handle)
    tokenizer.initialize()
    return tokenizer


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), lower case, collapsed spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def words(text: str) -> list[str]:
    """jieba search-mode words without punctuation and stop words."""
    with _lock:
        raw = _tokenizer().lcut_for_search(normalise(text))
    return [word for word in raw if word.strip() and _WORD.search(word) and word not in STOPWORDS]


def tokens(text: str, synonyms: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """Search tokens: words, their synonyms (queries only), and CJK character bigrams."""
    found = words(text)
    if synonyms:
        found = found + [alias for word in list(found) for alias in synonyms.get(word, ())]
    normalised = normalise(text)
    for run in _CJK_RUN.findall(normalised):
        found.extend(run[i : i + 2] for i in range(len(run) - 1))
    return found
