"""Sort keys that put names in the order their readers expect, in any database.

Neither SQLite nor PostgreSQL under the C.UTF-8 locale knows that 陈 (Chén) comes before 王
(Wáng), or that Vietnamese orders d < đ and a < ă < â with the tone deciding only between names
otherwise equal. `collation_key` turns a name into a plain ASCII string whose byte order is that
order, so an ordinary index on it sorts lists and exports the way people read them:

- Chinese characters become their pinyin (pypinyin), so Chinese names fall among Latin ones
  by their romanisation, the way Chinese readers and dictionaries order them;
- each Latin letter is the letter and a digit for its Vietnamese variant (a0 a, a1 ă, a2 â,
  d0 d, d1 đ, e0 e, e1 ê, o0 o, o1 ô, o2 ơ, u0 u, u1 ư), so "Dương" < "Đặng" < "Đỗ";
- the tones (Vietnamese marks, pinyin tone numbers) come last, after a space: they only order
  names whose letters are the same ("Anh" < "Ánh"). Other accents (é in René, ü in Müller)
  sort as their base letter.

The key is for ORDER BY only: dedupe keeps its own folded keys (kith.core.text.fold).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from kith.core.text import HAN_CHARS, has_cjk

# Combining marks that make another Vietnamese letter (a primary difference): which digit a mark gives each base letter: ă=a1, â=a2, ê=e1, ô=o1, ơ=o2, ư=u1.
_VARIANT_OF = {
    ("a", "\u0306"): "1",
    ("a", "\u0302"): "2",
    ("e", "\u0302"): "1",
    ("o", "\u0302"): "1",
    ("o", "\u031b"): "2",
    ("u", "\u031b"): "1",
}
# Vietnamese tones in dictionary order: level, grave (huyền), hook (hỏi), tilde (ngã),
# acute (sắc), dot below (nặng).
_TONE = {"\u0300": "1", "\u0309": "2", "\u0303": "3", "\u0301": "4", "\u0323": "5"}
MAX_LENGTH = 600
# Family names read otherwise than the character's common reading (曾 is zēng, not céng).
_SURNAMES = {
    "曾": "zeng1", "单": "shan4", "仇": "qiu2", "解": "xie4", "查": "zha1", "朴": "piao2",
    "区": "ou1", "盖": "ge3", "乐": "yue4", "尉": "yu4", "覃": "qin2", "翟": "zhai2",
    "缪": "miao4", "秘": "bi4", "折": "she2", "种": "chong2", "员": "yun4", "黑": "he4",
    "华": "hua4", "任": "ren2", "沈": "shen3", "重": "chong2", "柏": "bai3", "教": "jiao4",
}  # fmt: skip
# Runs of Han characters and runs of anything else, in order.
_HAN_RUNS = re.compile(f"[{HAN_CHARS}]+|[^{HAN_CHARS}]+")
_HAN = re.compile(f"[{HAN_CHARS}]")


@lru_cache(maxsize=65536)
def collation_key(text: str) -> str:
    """The sort key of a name (see the module docstring); "" for an empty name."""
    if not text:
        return ""
    chinese = has_cjk(text)
    if chinese:
        text = _pinyin(text)
    letters: list[str] = []
    tones: list[str] = []
    for word in unicodedata.normalize("NFD", text.casefold()).split():
        key, tone = _word_key(word, pinyin=chinese)
        if key:
            letters.append(key)
            tones.append(tone)
    if not letters:
        return ""
    return f"{' '.join(letters)} {''.join(tones)}"[:MAX_LENGTH]


def _word_key(word: str, *, pinyin: bool) -> tuple[str, str]:
    """(letters with their variant digits, the word's tone digit) of one NFD-decomposed word;
    with `pinyin`, a syllable's final tone number ("wang2") is its tone."""
    if pinyin and len(word) > 1 and word[-1] in "12345" and word[:-1].isalpha():
        word, tone = word[:-1], word[-1]
    else:
        tone = "0"
    out: list[str] = []
    for ch in word:
        if unicodedata.combining(ch):
            if ch in _TONE:
                tone = _TONE[ch]
            elif out and (out[-1][0], ch) in _VARIANT_OF:
                out[-1] = out[-1][0] + _VARIANT_OF[(out[-1][0], ch)]
            continue
        if ch == "đ":
            out.append("d1")
        elif ch.isascii() and ch.isalnum():
            out.append(ch + "0")
        else:
            folded = unicodedata.normalize("NFKD", ch)
            base = "".join(c for c in folded if c.isascii() and c.isalnum())
            out.extend(c + "0" for c in base)
    return "".join(out), tone


def _pinyin(text: str) -> str:
    """Chinese characters as pinyin syllables with tone numbers ("王伟" -> "wang2 wei3"), each
    syllable a word; other characters are kept. Runs of characters are read together, so
    pypinyin picks a character's reading from the phrase it is in."""
    from pypinyin import Style, lazy_pinyin

    parts: list[str] = []
    for run in _HAN_RUNS.findall(text):
        if _HAN.match(run):
            syllables = lazy_pinyin(run, style=Style.TONE3, neutral_tone_with_five=True)
            if not parts and run[0] in _SURNAMES:  # a name starts with its family name
                syllables[0] = _SURNAMES[run[0]]
            parts.extend(syllables)
        elif run.strip():
            parts.append(run.strip())
    return " ".join(parts)
