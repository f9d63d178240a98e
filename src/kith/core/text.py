"""Text keys for search, sorting and matching across English, Chinese and Vietnamese."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Vietnamese đ/Đ is a letter of its own, not d + a combining mark, so NFKD leaves it alone.
_EXTRA_FOLDS = str.maketrans({"đ": "d", "ø": "o", "ł": "l"})
_SPACES = re.compile(r"\s+")
# C0 and C1 control characters and DEL. Tab, line feed and carriage return are text in a
# multi-line field; everything else here breaks exports (XLSX refuses them), PostgreSQL (NUL)
# or terminals, and no person types it.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROLS_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NON_DIGITS = re.compile(r"\D+")


def fold(text: str | None) -> str:
    """Lower-case, drop diacritics, map full-width forms to ASCII, collapse spaces.

    "Nguyễn Văn Đức" -> "nguyen van duc"; "ＷＡＮＧ　伟" -> "wang 伟". CJK characters are kept.
    """
    if not text:
        return ""
    if text.isascii():  # most values; NFKC and casefold do nothing more than lower() here
        return _SPACES.sub(" ", text.lower()).strip()
    return _fold_unicode(text)


@lru_cache(maxsize=65536)
def _fold_unicode(text: str) -> str:
    # Names, cities and company names repeat across contacts, so bulk loads hit the cache.
    text = unicodedata.normalize("NFKC", text).casefold().translate(_EXTRA_FOLDS)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Recompose so that what is left (e.g. Hangul, kana) is in one canonical form.
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", stripped)).strip()


def clean(text: str | None) -> str:
    """Trim and collapse inner whitespace, keeping case and diacritics (for display values).

    Control characters are dropped (a NUL in a search term matches nothing instead of failing).
    """
    if not text:
        return ""
    text = _CONTROLS.sub("", text)
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def has_controls(text: str | None, *, multiline: bool = True) -> bool:
    """Whether `text` holds a control character; tab and line breaks count only when not
    `multiline`."""
    if not text:
        return False
    return bool((_CONTROLS if multiline else _CONTROLS_SINGLE_LINE).search(text))


def controls_strip(text: str) -> str:
    """`text` without control characters (tab and line breaks kept), e.g. for cells of an
    export written from older data."""
    return _CONTROLS.sub("", text)


def digits(text: str | None) -> str:
    """Only the digits of `text` (for phone search in any format)."""
    return _NON_DIGITS.sub("", unicodedata.normalize("NFKC", text or ""))


def is_cjk(ch: str) -> bool:
    """True for Chinese/Japanese/Korean ideographs and syllables."""
    code = ord(ch)
    return (
        0x3400 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
        or 0xAC00 <= code <= 0xD7AF
        or 0x3040 <= code <= 0x30FF
    )


def has_cjk(text: str) -> bool:
    """Whether `text` holds a character is_cjk accepts (one regex search, not a call per
    character: bulk imports ask it several times per row)."""
    return not text.isascii() and _CJK_ANY.search(text) is not None


# Brackets around a one- or two-character CJK token in search_text ("⟦小明⟧"): three characters
# or more, so the trigram indexes (which need three) find the short words Chinese names are
# made of, and a bracket no one types, so a token never matches across two words.
CJK_TOKEN_OPEN, CJK_TOKEN_CLOSE = "\u27e6", "\u27e7"
# The characters is_cjk accepts, as regex classes: Han ideographs (what pinyin reads), then with
# Hangul and kana.
HAN_CHARS = "\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
CJK_CHARS = HAN_CHARS + "\uac00-\ud7af\u3040-\u30ff"
_CJK_RUN = re.compile(f"[{CJK_CHARS}]+")
_CJK_ANY = re.compile(f"[{CJK_CHARS}]")


def cjk_token(word: str) -> str:
    """The search_text token of a one- or two-character CJK word: "小明" -> "⟦小明⟧"."""
    return f"{CJK_TOKEN_OPEN}{word}{CJK_TOKEN_CLOSE}"


def cjk_tokens(*texts: str) -> str:
    """Every one- and two-character piece of the CJK runs in `texts` as tokens, space-separated
    ("王小明" -> "⟦王⟧ ⟦小⟧ ⟦明⟧ ⟦王小⟧ ⟦小明⟧"); "" when there is no CJK."""
    pieces: dict[str, None] = {}
    for text in texts:
        for run in _CJK_RUN.findall(fold(text)):
            for size in (1, 2):
                for start in range(len(run) - size + 1):
                    pieces[cjk_token(run[start : start + size])] = None
    return " ".join(pieces)
