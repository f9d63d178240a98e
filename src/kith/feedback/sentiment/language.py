"""Which of English, Chinese or Vietnamese a text is written in, from its script and letters.

Han characters mean Chinese; letters only Vietnamese uses (đ, ă, ơ, ư, a tone mark on a vowel)
or common Vietnamese syllables written without marks mean Vietnamese; the rest is English.
"""

from __future__ import annotations

import re
import unicodedata

LANGUAGES = ("en", "zh", "vi")

# Vowels with a tone mark (grave, acute, hook, tilde, dot below) or a Vietnamese vowel letter.
_VI_MARKS = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323", "\u0306", "\u031b"}
_VI_LETTERS = set("đăâêôơư")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Frequent Vietnamese syllables as typed without marks (chat, SMS) that are not English words.
_VI_BARE = frozenset(
    [
        "khong",
        "duoc",
        "cua",
        "nhung",
        "nhu",
        "thi",
        "la",
        "va",
        "voi",
        "cho",
        "nay",
        "kia",
        "nao",
        "gi",
        "sao",
        "roi",
        "chua",
        "cung",
        "nen",
        "minh",
        "ban",
        "toi",
        "anh",
        "chi",
        "em",
        "thay",
        "co",
        "giao",
        "vien",
        "sinh",
        "hoc",
        "mon",
        "lop",
        "bai",
        "giang",
        "nhieu",
        "qua",
        "rat",
        "lam",
        "dep",
        "xau",
        "tot",
        "te",
        "hay",
        "chan",
        "vui",
        "buon",
        "mua",
        "hang",
        "giao",
        "gia",
        "re",
        "dat",
        "san",
        "pham",
        "dung",
        "nhanh",
        "cham",
        "ko",
        "khg",
        "hok",
        "dc",
        "bt",
        "mk",
        "cx",
        "j",
        "vs",
        "thik",
        "nhe",
        "nha",
        "oi",
        "giac",
        "hinh",
        "thieu",
        "ket",
        "mot",
        "cuc",
        "manh",
        "luon",
        "tham",
        "hoa",
        "tao",
        "vang",
        "phai",
        "nhat",
        "biet",
        "tien",
        "nhin",
        "viec",
        "truong",
        "khoa",
        "xinh",
        "thua",
        "nhanh",
    ]
)
_EN_COMMON = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "this",
        "that",
        "these",
        "those",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "as",
        "not",
        "no",
        "very",
        "so",
        "too",
        "good",
        "bad",
        "great",
        "poor",
        "love",
        "hate",
        "like",
        "i",
        "you",
        "he",
        "she",
        "we",
        "they",
        "my",
        "your",
        "our",
        "their",
        "me",
        "him",
        "her",
        "us",
        "them",
        "what",
        "which",
        "who",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "can",
        "will",
        "would",
        "should",
        "could",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "just",
        "more",
        "most",
        "much",
        "many",
        "one",
        "two",
        "film",
        "movie",
        "story",
        "service",
        "order",
        "delivery",
        "product",
        "staff",
        "price",
        "quality",
        "thanks",
        "thank",
        "please",
    ]
)


_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")


def _vi_marked(word: str) -> bool:
    if any(ch in _VI_LETTERS for ch in word):
        return True
    return any(ch in _VI_MARKS for ch in unicodedata.normalize("NFD", word))


def language_detect(text: str) -> str:
    """ "en", "zh" or "vi" for `text`; "en" when nothing points elsewhere (empty, digits only)."""
    text = unicodedata.normalize("NFC", text)
    han = len(_HAN.findall(text))
    words = _WORD.findall(text.lower())
    latin = [w for w in words if not _HAN.search(w)] if han else words
    if han and han >= len(latin):
        return "zh"
    vi = en = 0
    for word in latin:
        if not word.isascii():
            if _vi_marked(word):
                vi += 1
        elif word in _VI_BARE:
            vi += 1
        elif word in _EN_COMMON:
            en += 1
    if han and han >= max(vi, en):
        return "zh"
    return "vi" if vi > en else "en"
