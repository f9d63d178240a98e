"""Derived columns that make contacts and companies fast to sort and search.

Pure functions: services call them on every write and bulk loaders call them directly, so a
contact loaded in bulk is found exactly like one typed in.
"""

from __future__ import annotations

from collections.abc import Iterable

from kith.core.collation import collation_key
from kith.core.text import cjk_tokens, digits, fold, has_cjk
from kith.customers.normalise import phone_national_digits

# Letters only Vietnamese uses; their presence means the family name is written first.
_VIETNAMESE = frozenset("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")


def family_name_first(text: str) -> bool:
    """Whether names in `text` are written family name first (Chinese, Vietnamese)."""
    return has_cjk(text) or any(ch in _VIETNAMESE for ch in text.lower())


def display_name(*, first_name: str, last_name: str) -> str:
    """The name as its culture writes it: "王" + "伟明" -> "王伟明", "Văn An" + "Nguyễn" ->
    "Nguyễn Văn An", "Jane" + "Doe" -> "Jane Doe"."""
    if has_cjk(first_name + last_name):
        return f"{last_name}{first_name}"
    if family_name_first(first_name + last_name):
        return " ".join(p for p in (last_name, first_name) if p)
    return " ".join(p for p in (first_name, last_name) if p)


def _family_first(*, first_name: str, last_name: str, full_name: str) -> str:
    # CJK names sort and prefix-match as written ("王伟明"), others family name first.
    return full_name if has_cjk(full_name) or not last_name else f"{last_name} {first_name}"


def contact_order_name(*, first_name: str, last_name: str, full_name: str) -> str:
    """The key a contact sorts by in lists and exports (kith.core.collation)."""
    source = _family_first(first_name=first_name, last_name=last_name, full_name=full_name)
    return collation_key(source) or collation_key(full_name)


def contact_index_fields(
    *,
    first_name: str,
    last_name: str,
    full_name: str,
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    socials: Iterable[str] = (),
    company_name: str = "",
) -> dict[str, str]:
    """sort_name, order_name, first_key, last_key and search_text for a contact.

    `emails` normalised, `phones` in E.164. search_text holds folded names, emails, social handles,
    phone digits (E.164 and national) and the company name, for substring search.
    """
    phone_keys: list[str] = []
    for phone in phones:
        phone_keys.append(digits(phone))
        national = phone_national_digits(phone)
        if national:
            phone_keys.append(national)
    sort_source = _family_first(first_name=first_name, last_name=last_name, full_name=full_name)
    parts = [
        fold(full_name),
        fold(f"{first_name} {last_name}"),
        *(fold(e) for e in emails),
        *(fold(s) for s in socials),
        *phone_keys,
        fold(company_name),
        cjk_tokens(full_name, company_name),
    ]
    return {
        "sort_name": fold(sort_source)[:200] or fold(full_name)[:200],
        "order_name": contact_order_name(
            first_name=first_name, last_name=last_name, full_name=full_name
        ),
        "first_key": fold(first_name)[:100],
        "last_key": fold(last_name)[:100],
        "search_text": " | ".join(dict.fromkeys(p for p in parts if p)),
    }


def company_index_fields(*, name: str, domain: str = "") -> dict[str, str]:
    """sort_name, order_name and search_text for a company."""
    return {
        "sort_name": fold(name)[:200],
        "order_name": collation_key(name),
        "search_text": " | ".join(p for p in (fold(name), domain, cjk_tokens(name)) if p),
    }
