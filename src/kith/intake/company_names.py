"""Keys for comparing businesses: their names, street addresses and cities as directories and
forms write them differently. Pure functions, no Django (the batch model in
kith.intake.matching and the on-entry check in kith.intake.dedupe both use them).

A company name's key is the words that say WHICH company it is, in sorted order: without the
legal form (Inc, LLC, Ltd, GmbH, Co., Công ty TNHH, 有限公司…), "the", "&"/"and" and
punctuation, so "The River Green Plumbing, Co." and "River Plumbing Green LLC" share
"green plumbing river". A street's key spells out the abbreviations (St. -> street, Blvd. ->
boulevard, N -> north) and drops the unit (Suite 200, Ste. 200, #200) and its number, which
is a key of its own.
"""

from __future__ import annotations

import re
from typing import Any

from kith.core.text import fold

# Legal forms and their parts, folded; a form of several words is matched as a phrase first.
_LEGAL_PHRASES = (
    "cong ty co phan", "cong ty tnhh mtv", "cong ty tnhh", "cong ty", "company limited",
    "co ltd", "pty ltd", "pte ltd", "sdn bhd", "l l c", "l l p", "s a", "n v", "b v",
)  # fmt: skip
_LEGAL_WORDS = frozenset(
    [
        "inc",
        "incorporated",
        "llc",
        "llp",
        "lp",
        "ltd",
        "limited",
        "co",
        "corp",
        "corporation",
        "company",
        "gmbh",
        "ag",
        "kg",
        "sa",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "plc",
        "pte",
        "pty",
        "bhd",
        "jsc",
        "tnhh",
        "cty",
        "mtv",
        "cp",
        "ctcp",
        "oy",
        "ab",
        "as",
    ]
)
_NOISE_WORDS = frozenset({"the", "and", "of"})
# Legal forms of Chinese company names, longest first; a city prefix goes too (上海…, 上海市…).
_LEGAL_ZH = ("股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "集团", "公司")
_WORD_FORMS = {
    "intl": "international", "int'l": "international", "bros": "brothers", "mfg": "manufacturing",
    "svc": "service", "svcs": "services", "assoc": "associates", "dept": "department",
    "ctr": "center", "centre": "center", "mgmt": "management", "natl": "national",
}  # fmt: skip
_STREET_FORMS = {
    "st": "street", "str": "street", "ave": "avenue", "av": "avenue", "blvd": "boulevard",
    "bd": "boulevard", "rd": "road", "dr": "drive", "ln": "lane", "ct": "court", "pl": "place",
    "sq": "square", "hwy": "highway", "pkwy": "parkway", "pky": "parkway", "expy": "expressway",
    "fwy": "freeway", "ter": "terrace", "cir": "circle", "trl": "trail", "hts": "heights",
    "n": "north", "s": "south", "e": "east", "w": "west", "ne": "northeast", "nw": "northwest",
    "se": "southeast", "sw": "southwest", "mt": "mount", "ft": "fort",
}  # fmt: skip
_UNIT_WORDS = frozenset({"suite", "ste", "unit", "apt", "room", "rm", "fl", "floor", "bldg", "no"})
# Words of Vietnamese and Chinese addresses that only say "number" or "street".
_ADDRESS_NOISE = frozenset({"so", "duong", "pho", "ngo", "hem"})
_CITY_NOISE = ("thanh pho ", "tp ", "city of ")
_PUNCT = re.compile(r"[^\w\s#]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NUMBER = re.compile(r"\d+[a-z]?")


def _words(text: str) -> list[str]:
    text = fold(text).replace("&", " and ").replace("'s ", "s ").replace("'", "")
    return _PUNCT.sub(" ", text).split()


def company_key(name: Any, *, city: Any = "") -> str:
    """The words that identify a company, sorted ("" when none): see the module docstring.
    With `city`, a Chinese name's leading city (上海长城贸易 in 上海) goes too."""
    text = str(name or "")
    if _CJK.search(text):
        return _company_key_zh(fold(text), fold(str(city or "")))
    return " ".join(sorted(_company_words(text)))


def company_key_ordered(name: Any) -> str:
    """company_key's words in the name's own order ("The Blue Harbor Inc." -> "blue harbor")."""
    text = str(name or "")
    if _CJK.search(text):
        return _company_key_zh(fold(text), "")
    return " ".join(_company_words(text))


def _company_words(text: str) -> list[str]:
    words = [_WORD_FORMS.get(w, w) for w in _words(text)]
    joined = f" {' '.join(words)} "
    for phrase in _LEGAL_PHRASES:
        joined = joined.replace(f" {phrase} ", " ")
    kept = [w for w in joined.split() if w not in _LEGAL_WORDS and w not in _NOISE_WORDS]
    return kept or words  # a name that is only a legal form or "the" keeps what it says


def _company_key_zh(text: str, city: str) -> str:
    compact = _PUNCT.sub("", text).replace(" ", "")
    for suffix in _LEGAL_ZH:
        if compact.endswith(suffix) and len(compact) > len(suffix):
            compact = compact[: -len(suffix)]
            break
    city = city.removesuffix("市")
    if city and _CJK.search(city) and compact.startswith(city):
        rest = compact[len(city) :].removeprefix("市")
        compact = rest or compact
    return compact


def street_number_key(address: Any) -> str:
    """The house number of a street address ("1148 N. Ventura Ln." -> "1148"; 淮海路779号 -> "779")."""
    found = _NUMBER.search(fold(str(address or "")))
    return found.group(0) if found else ""


def street_key(address: Any) -> str:
    """The street without its house number and unit, abbreviations spelled out
    ("1148 N. Ventura Ln., Suite 200" -> "north ventura lane")."""
    text = str(address or "")
    if _CJK.search(text):
        return re.sub(r"\d+[号號]?", "", fold(text)).replace(" ", "")
    words = _words(text.replace("#", " # "))
    kept: list[str] = []
    skip_next = False
    for word in words:
        if skip_next:
            skip_next = False
            continue
        if word in _UNIT_WORDS or word == "#":
            skip_next = True
            continue
        if _NUMBER.fullmatch(word) or word in _ADDRESS_NOISE:
            continue
        kept.append(_STREET_FORMS.get(word, word))
    return " ".join(kept)


def city_key(city: Any) -> str:
    """The city without "City of", "Thành phố"/"TP." or 市 ("TP. Hồ Chí Minh" -> "ho chi minh")."""
    text = " ".join(_words(str(city or "")))
    for prefix in _CITY_NOISE:
        text = text.removeprefix(prefix)
    return text.removesuffix("市").removesuffix(" city").strip()
