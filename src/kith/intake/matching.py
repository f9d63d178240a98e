"""Batch duplicate detection: a Fellegi-Sunter model fitted and applied by splink (DuckDB).

Pure module, no Django: it takes rows (dicts) whose keys are *roles* (first_name, last_name,
email, phone, birth_date, …), so the same model scores the contact base (kith.intake.dedupe
reads it into rows) and any CSV an analyst hands to `kith dedupe --input`.

Values are keyed before matching: names folded (case, diacritics, full-width forms:
"Nguyễn" = "nguyen", "ＷＡＮＧ" = "wang"), phones reduced to their last 9 digits (so
"+84 912 345 678", "0912345678" and "(091) 234-5678" agree), emails lower-cased, dates to
digits. Chinese names written in hanzi are compared character by character (Jaro-Winkler works
on code points). When any name is in hanzi, every record also gets a `name_latin` key: the
name in toneless pinyin (pypinyin; the first character taken as the family name) or folded
Latin, family and given name in sorted order without spaces, so "王秀英", "Wang Xiuying" and
"Xiuying WANG" share "wangxiuying" (and "Nguyễn Văn An" = "An Nguyen Van").
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Roles a column can play, and the column names (folded, without separators) that suggest them.
ROLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "first_name": ("firstname", "givenname", "forename", "first", "given", "ten"),
    "last_name": ("lastname", "surname", "familyname", "last", "family", "ho"),
    "full_name": ("fullname", "name", "contactname", "hoten", "xingming", "姓名", "名字"),
    "email": ("email", "emailaddress", "mail", "primaryemail", "邮箱", "电子邮件"),
    "phone": ("phone", "telephone", "mobile", "tel", "phonenumber", "primaryphone", "电话", "手机"),
    "birth_date": ("dateofbirth", "dob", "birthdate", "birthday", "ngaysinh"),
    "id_number": ("socsecid", "ssn", "nationalid", "idnumber", "taxid"),
    "street_number": ("streetnumber", "housenumber"),
    "street": (
        "address1",
        "address",
        "street",
        "line1",
        "addressline1",
        "addr",
        "streetaddress",
        "diachi",
        "地址",
    ),
    "street2": ("address2", "line2", "addressline2"),
    "city": ("suburb", "city", "town", "locality"),
    "postcode": ("postcode", "zip", "zipcode", "postalcode"),
    "state": ("state", "region", "province"),
    "company": (
        "company",
        "organisation",
        "organization",
        "employer",
        "companyname",
        "business",
        "businessname",
        "tencongty",
        "公司",
        "公司名称",
    ),
    # Not compared (directories disagree on it), but it says the rows are businesses.
    "category": ("category", "categories", "type", "industry", "cuisine", "businesstype"),
}
# Roles of a person: a file with none of these whose name column sits beside a category (or
# that names a company and no person) lists businesses.
PERSON_ROLES = ("first_name", "last_name", "email", "birth_date", "id_number")

_SPACES = re.compile(r"\s+")
_NON_DIGITS = re.compile(r"\D+")
_NON_KEY = re.compile(r"[^0-9a-z]+")


def fold(text: Any) -> str:
    """Lower-case, no diacritics, full-width to ASCII, single spaces (đ -> d)."""
    if text is None:
        return ""
    text = str(text)
    if text.isascii():
        return _SPACES.sub(" ", text.lower()).strip()
    text = unicodedata.normalize("NFKC", text).casefold().replace("đ", "d")
    stripped = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", stripped)).strip()


def phone_key(text: Any) -> str:
    """The last 9 digits of a phone number in any format (country code and trunk 0 dropped)."""
    digits = _NON_DIGITS.sub("", unicodedata.normalize("NFKC", str(text or "")))
    return digits[-9:] if len(digits) >= 6 else ""


def digits_key(text: Any) -> str:
    return _NON_DIGITS.sub("", unicodedata.normalize("NFKC", str(text or "")))


def column_role(name: str) -> str | None:
    """The role a column named `name` most likely plays ("Given Name" -> "first_name")."""
    key = _NON_KEY.sub("", fold(name)) or fold(name).replace(" ", "")
    for role, synonyms in ROLE_SYNONYMS.items():
        if key in synonyms:
            return role
    return None


_KEYERS: dict[str, Callable[[Any], str]] = {
    "email": lambda v: fold(v).replace(" ", ""),
    "phone": phone_key,
    "birth_date": digits_key,
    "id_number": lambda v: _NON_KEY.sub("", fold(v)),
    "postcode": lambda v: fold(v).replace(" ", ""),
    "street_number": lambda v: fold(v).replace(" ", ""),
}


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
NAME_ROLES = ("first_name", "last_name", "full_name")


def _pinyin(text: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(text, style=Style.NORMAL, errors="ignore"))


def name_latin(record: Mapping[str, Any]) -> str:
    """The name in Latin letters, order-free: tokens sorted and joined ("王秀英" ->
    "wangxiuying", "Xiuying Wang" -> "wangxiuying", "Nguyễn Văn An" -> "annguyenvan")."""
    first, last = str(record.get("first_name") or ""), str(record.get("last_name") or "")
    full = str(record.get("full_name") or "") or f"{last} {first}".strip()
    if _CJK.search(full):
        if last and _CJK.search(last):
            family, given = last, first
        else:
            compact = full.replace(" ", "")
            family, given = compact[:1], compact[1:]
        tokens = [_pinyin(family), _pinyin(given)]
    else:
        tokens = fold(full).replace("-", " ").split()
    return "".join(sorted(t for t in tokens if t))


def record_keys(record: Mapping[str, Any], roles: Iterable[str]) -> dict[str, str | None]:
    """The matching keys of one record: each role's value keyed, empty ones as None (splink
    treats None as "no evidence", never as a match)."""
    keys: dict[str, str | None] = {}
    for role in roles:
        value = _KEYERS.get(role, fold)(record.get(role))
        keys[role] = value or None
    return keys


@dataclass
class Pair:
    a: str
    b: str
    probability: float
    # Per role: the comparison level splink chose ("Exact match", "Jaro-Winkler >= 0.9", …).
    evidence: dict[str, str] = field(default_factory=dict)


@dataclass
class DedupeResult:
    pairs: list[Pair]
    clusters: list[list[str]]
    record_count: int
    roles: list[str]


def _name_roles(roles: Sequence[str]) -> list[str]:
    """The name columns compared: one view of the name only. The model multiplies the evidence
    of its comparisons as if independent, so comparing first, last, full and latin name (one
    fact four times) made two strangers with a common name a near-certain match."""
    if "name_latin" in roles:
        return ["name_latin"]
    if "first_name" in roles and "last_name" in roles:
        return ["first_name", "last_name"]
    return [r for r in ("full_name", "first_name", "last_name") if r in roles][:1]


def _comparisons(roles: Sequence[str]) -> list[Any]:
    import splink.comparison_library as cl

    names = _name_roles(roles)
    built: list[Any] = []
    for role in names:
        built.append(cl.JaroWinklerAtThresholds(role, [0.92, 0.8]))
    simple: dict[str, Any] = {
        "email": lambda r: cl.LevenshteinAtThresholds(r, [1]),
        "phone": lambda r: cl.LevenshteinAtThresholds(r, [1]),
        "birth_date": lambda r: cl.LevenshteinAtThresholds(r, [1, 2]),
        "id_number": lambda r: cl.LevenshteinAtThresholds(r, [1, 2]),
        "street_number": lambda r: cl.ExactMatch(r),
        "street": lambda r: cl.JaroWinklerAtThresholds(r, [0.92, 0.8]),
        "street2": lambda r: cl.JaroWinklerAtThresholds(r, [0.92]),
        "city": lambda r: cl.JaroWinklerAtThresholds(r, [0.92]),
        "postcode": lambda r: cl.LevenshteinAtThresholds(r, [1]),
        "state": lambda r: cl.ExactMatch(r),
        "company": lambda r: cl.JaroWinklerAtThresholds(r, [0.92]),
    }
    for role in roles:
        if role in simple:
            built.append(simple[role](role))
    return built


# Blocking: pairs are only compared when they agree on one of these (the roles present).
_BLOCKS: tuple[tuple[str, ...], ...] = (
    ("email",),
    ("phone",),
    ("id_number",),
    ("first_name", "last_name"),
    ("full_name",),
    ("name_latin",),
    ("last_name", "birth_date"),
    ("first_name", "birth_date"),
    ("birth_date", "postcode"),
    ("last_name", "postcode"),
    ("first_name", "postcode"),
    ("last_name", "company"),
    ("first_name", "street"),
)


def _blocks(roles: Sequence[str]) -> list[tuple[str, ...]]:
    return [b for b in _BLOCKS if all(r in roles for r in b)]


def dedupe(
    records: Sequence[Mapping[str, Any]],
    *,
    id_key: str = "id",
    threshold: float = 0.9,
    evidence: bool = True,
) -> DedupeResult:
    """Duplicate pairs among `records` with match probability >= `threshold`, and the clusters
    they form (connected components). Each record is a mapping of role -> raw value plus
    `id_key`; ids are compared as strings. Needs at least one blocking role (email, phone,
    names, birth date, id number)."""
    roles = [r for r in ROLE_SYNONYMS if any(rec.get(r) not in (None, "") for rec in records)]
    if _lists_businesses(roles):
        return _dedupe_businesses(records, roles, id_key, threshold, evidence)
    hanzi = any(_CJK.search(str(rec.get(role) or "")) for rec in records for role in NAME_ROLES)
    if hanzi:
        roles.append("name_latin")
    blocks = _blocks(roles)
    if not blocks:
        raise ValueError(
            "Nothing to compare on: give at least an email, phone, name or birth date column."
        )
    roles = [r for r in roles if r != "category"]
    rows = {"unique_id": [str(rec[id_key]) for rec in records]}
    keyed = [record_keys(rec, roles) for rec in records]
    if hanzi:
        for keys, rec in zip(keyed, records, strict=True):
            keys["name_latin"] = name_latin(rec) or None
    for role in roles:
        rows[role] = [k[role] for k in keyed]  # type: ignore[misc]
    if len(records) < 2:
        return DedupeResult([], [], len(records), roles)
    scored = _splink_predict(rows, roles, blocks, threshold, evidence)
    pairs = sorted(scored, key=lambda p: (-p.probability, p.a, p.b))
    return DedupeResult(pairs, clusters_from_pairs(pairs), len(records), roles)


def _lists_businesses(roles: Sequence[str]) -> bool:
    if any(role in roles for role in PERSON_ROLES):
        return False
    return "company" in roles or ("category" in roles and "full_name" in roles)


# Business listings: the name is a company's (company_names.company_key), the address is split
# into house number and street, and the comparisons are theirs.
BUSINESS_ROLES = ("company", "street_number", "street", "city", "postcode", "phone", "email")
_BUSINESS_BLOCKS: tuple[tuple[str, ...], ...] = (
    ("phone",),
    ("email",),
    ("company",),
    ("street_number", "street"),
    ("street_number", "city"),
    ("company_first", "city"),
)


def _dedupe_businesses(
    records: Sequence[Mapping[str, Any]],
    roles: Sequence[str],
    id_key: str,
    threshold: float,
    evidence: bool,
) -> DedupeResult:
    from kith.intake.company_names import city_key, company_key, street_key, street_number_key

    rows: dict[str, list[Any]] = {"unique_id": [str(rec[id_key]) for rec in records]}
    keyed: dict[str, list[str | None]] = {role: [] for role in (*BUSINESS_ROLES, "company_first")}
    for rec in records:
        name = rec.get("company") or rec.get("full_name")
        company = company_key(name, city=rec.get("city"))
        address = rec.get("street") or ""
        if rec.get("street2"):
            address = f"{address} {rec['street2']}"
        values = {
            "company": company,
            "company_first": company[:4] if _CJK.search(company) else company.split(" ")[0],
            "street_number": street_number_key(rec.get("street_number") or address),
            "street": street_key(address),
            "city": city_key(rec.get("city")),
            "postcode": fold(rec.get("postcode")).replace(" ", ""),
            "phone": phone_key(rec.get("phone")),
            "email": fold(rec.get("email")).replace(" ", ""),
        }
        for role, value in values.items():
            keyed[role].append(value or None)
    present = [r for r in keyed if any(v is not None for v in keyed[r])]
    rows.update({role: keyed[role] for role in present})
    compared = [r for r in BUSINESS_ROLES if r in present]
    if "company" not in compared:
        raise ValueError("Nothing to compare on: give a business name column.")
    if len(records) < 2:
        return DedupeResult([], [], len(records), compared)
    blocks = [b for b in _BUSINESS_BLOCKS if all(r in present for r in b)]
    # EM on the name and on the phone, not on the address: blocked on the address, tenants of
    # one building (other names, other phones) pass for duplicates and teach the model that a
    # different name is nothing against a match.
    em_blocks = [b for b in (("company",), ("phone",)) if all(r in compared for r in b)]
    scored = _splink_predict(
        rows, compared, blocks, threshold, evidence,
        comparisons=_business_comparisons(compared), em_blocks=em_blocks,
    )  # fmt: skip
    pairs = sorted(scored, key=lambda p: (-p.probability, p.a, p.b))
    return DedupeResult(pairs, clusters_from_pairs(pairs), len(records), compared)


def _business_comparisons(roles: Sequence[str]) -> list[Any]:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def words_within(column: str) -> Any:
        # Every word of one name is in the other ("an khang" / "an khang thuong mai").
        left, right = f"string_split({column}_l, ' ')", f"string_split({column}_r, ' ')"
        return cll.CustomLevel(
            f"list_has_all({left}, {right}) OR list_has_all({right}, {left})",
            label_for_charts="Every word of one in the other",
        )

    built: dict[str, Any] = {
        "company": cl.CustomComparison(
            output_column_name="company",
            comparison_levels=[
                cll.NullLevel("company"),
                cll.ExactMatchLevel("company"),
                cll.JaroWinklerLevel("company", 0.94),
                words_within("company"),
                cll.JaroWinklerLevel("company", 0.85),
                cll.ElseLevel(),
            ],
        ),
        "street_number": cl.ExactMatch("street_number"),
        "street": cl.JaroWinklerAtThresholds("street", [0.92, 0.8]),
        "city": cl.JaroWinklerAtThresholds("city", [0.92]),
        "postcode": cl.ExactMatch("postcode"),
        "phone": cl.LevenshteinAtThresholds("phone", [1]),
        "email": cl.LevenshteinAtThresholds("email", [1]),
    }
    return [built[role] for role in roles]


def _splink_predict(
    rows: dict[str, list[Any]],
    roles: list[str],
    blocks: list[tuple[str, ...]],
    threshold: float,
    evidence: bool,
    *,
    comparisons: list[Any] | None = None,
    em_blocks: list[tuple[str, ...]] | None = None,
) -> list[Pair]:
    import pyarrow as pa
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    count = len(rows["unique_id"])
    db_api = DuckDBAPI()
    table = db_api.register(pa.table(rows))
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons if comparisons is not None else _comparisons(roles),
        blocking_rules_to_generate_predictions=[block_on(*b) for b in blocks],
        retain_intermediate_calculation_columns=evidence,
        retain_matching_columns=evidence,
    )
    linker = Linker(table, settings, log_level=logging.ERROR)
    deterministic = [block_on(*b) for b in blocks if b[0] in ("email", "id_number", "phone")]
    if not deterministic:
        deterministic = [block_on(*[r for r in roles if r in _STRONG][:3] or blocks[0])]
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    settings_obj = linker._settings_obj
    if not 0 < settings_obj._probability_two_random_records_match < 1:
        # No record pair agrees on an exact key (a base without duplicates): assume about one
        # duplicate per thousand records rather than none, which would make every match
        # impossible (and splink's log-odds undefined).
        settings_obj._probability_two_random_records_match = min(0.5, 1 / max(count, 2) / 1000)
    linker.training.estimate_u_using_random_sampling(
        max_pairs=min(2e6, max(1e5, count * 20)), seed=42
    )
    # EM on two different blocks, so every comparison gets its m values from pairs blocked
    # on something else.
    proportion = 1.0 if count <= 200_000 else max(0.05, 200_000 / count)
    for block in em_blocks if em_blocks is not None else _em_blocks(roles):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*block), record_sample_proportion=proportion
            )
        except Exception as exc:  # too few pairs under this block to train on
            logging.getLogger(__name__).info("EM on %s skipped: %s", block, exc)
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    table_out = predictions.as_pyarrow_table()
    labels, gamma_roles = _level_labels(linker)
    gamma_columns = [c for c in gamma_roles if c in table_out.column_names] if evidence else []
    columns = ["unique_id_l", "unique_id_r", "match_probability", *gamma_columns]
    data = [table_out.column(c).to_pylist() for c in columns]
    pairs = []
    for row in zip(*data, strict=True):
        a, b, probability = str(row[0]), str(row[1]), float(row[2])
        found = {}
        for name, level in zip(gamma_columns, row[3:], strict=True):
            role = gamma_roles[name]
            found[role] = labels.get((role, int(level)), str(level))
        if a > b:
            a, b = b, a
        pairs.append(Pair(a, b, round(probability, 6), found))
    return pairs


_STRONG = ("email", "id_number", "phone", "birth_date", "first_name", "last_name")


def _em_blocks(roles: Sequence[str]) -> list[tuple[str, ...]]:
    candidates = [
        ("first_name", "last_name"),
        ("birth_date",),
        ("email",),
        ("phone",),
        ("postcode",),
        ("full_name",),
    ]
    return [b for b in candidates if all(r in roles for r in b)][:3]


def _level_labels(linker: Any) -> tuple[dict[tuple[str, int], str], dict[str, str]]:
    """(role, level) -> label, and comparison-vector column -> role."""
    labels = {}
    columns = {}
    for comparison in linker._settings_obj.comparisons:
        role = comparison.output_column_name
        columns[comparison._gamma_column_name] = role
        for level in comparison.comparison_levels:
            labels[(role, level.comparison_vector_value)] = level.label_for_charts
    return labels, columns


def clusters_from_pairs(pairs: Iterable[Pair]) -> list[list[str]]:
    """Connected components of the pair graph (union-find), each sorted, largest first."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in pairs:
        ra, rb = find(pair.a), find(pair.b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for node in list(parent):
        groups.setdefault(find(node), []).append(node)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: (-len(g), g[0]))


def records_from_columns(
    header: Sequence[str], rows: Iterable[Sequence[str]], *, id_column: str
) -> list[dict[str, Any]]:
    """Records keyed by role from a table with a header (file mode). Columns whose role is not
    recognised are ignored; the id column is kept as "id"."""
    header = [h.strip() for h in header]
    if id_column not in header:
        raise ValueError(f"No column named {id_column!r}; columns are: {', '.join(header)}")
    id_index = header.index(id_column)
    roles = {i: column_role(h) for i, h in enumerate(header) if i != id_index}
    records = []
    for row in rows:
        record: dict[str, Any] = {"id": row[id_index].strip() if id_index < len(row) else ""}
        for i, role in roles.items():
            if role and i < len(row) and role not in record:
                record[role] = row[i].strip()
        records.append(record)
    return records
