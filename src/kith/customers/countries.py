"""Countries as people write them: "VN", "VNM", "Vietnam", "Việt Nam", "越南", "USA", "中国"
all become the ISO 3166 code an address stores (pycountry, with its Chinese and Vietnamese
names, so a file exported in any of Kith's languages imports as it was written)."""

from __future__ import annotations

import gettext
from functools import lru_cache

from kith.core.text import fold

# Names people use that are not in ISO 3166's lists.
_ALIASES = {
    "usa": "US", "u.s.": "US", "u.s.a.": "US", "america": "US", "united states of america": "US",
    "uk": "GB", "u.k.": "GB", "britain": "GB", "great britain": "GB", "england": "GB",
    "prc": "CN", "mainland china": "CN", "中国大陆": "CN", "中华人民共和国": "CN",
    "vietnam": "VN", "viet nam": "VN", "vn": "VN", "nuoc viet nam": "VN",
    "south korea": "KR", "korea": "KR", "russia": "RU", "taiwan": "TW", "hong kong": "HK",
    "美国": "US", "英国": "GB", "越南": "VN", "韩国": "KR", "日本": "JP", "香港": "HK",
    "台湾": "TW", "hoa ky": "US",
}  # fmt: skip
# The catalogs of country names pycountry ships that Kith's users write in.
_LANGUAGES = ("zh_CN", "zh_TW", "vi")


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Folded name -> alpha-2 code, in English, Chinese and Vietnamese."""
    import pycountry

    names: dict[str, str] = {}
    translations = []
    for language in _LANGUAGES:
        try:
            translations.append(
                gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
            )
        except OSError:  # a catalog missing from this pycountry build
            continue
    for country in pycountry.countries:
        code = country.alpha_2
        english = [
            getattr(country, attribute, "")
            for attribute in ("name", "common_name", "official_name")
        ]
        for name in filter(None, english):
            names.setdefault(fold(name), code)
            for translation in translations:
                names.setdefault(fold(translation.gettext(name)), code)
        names.setdefault(fold(country.alpha_3), code)
    names.update({fold(alias): code for alias, code in _ALIASES.items()})
    return names


def country_code(text: str) -> str | None:
    """The ISO 3166 alpha-2 code of a country written as a code or a name; None if unknown."""
    value = (text or "").strip()
    if not value:
        return None
    if len(value) == 2 and value.isascii() and value.isalpha():
        import pycountry

        return value.upper() if pycountry.countries.get(alpha_2=value.upper()) else None
    return _names().get(fold(value).rstrip("."))
