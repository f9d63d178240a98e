"""Seeded generation of demo companies and people as plain data (no database, no Django).

Faker is slow (hundreds of microseconds per address), so it only fills word pools once per
seed; records are drawn from the pools with `random.Random`. Person `i` depends only on the seed
and `i` (each block of `BLOCK` people has its own random stream), so any process can generate
any slice of a million contacts and get exactly what a single process would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from faker import Faker

from kith.core.text import fold
from kith.demo import vocabulary as v

LOCALES = ("us", "cn", "vn")
LOCALE_WEIGHTS = (40, 30, 30)
COUNTRY = {"us": "US", "cn": "CN", "vn": "VN"}
# Each team mostly serves one market (index into accounts.TEAMS); a few contacts go elsewhere.
TEAM_OF_LOCALE = {"vn": 0, "cn": 1, "us": 2}
BLOCK = 1000

STAGES = (("subscriber", 15), ("lead", 45), ("customer", 33), ("churned", 7))
CHANNELS = (
    ("web_form", 22),
    ("email", 10),
    ("phone", 8),
    ("chat", 6),
    ("social", 12),
    ("visit", 5),
    ("event", 10),
    ("referral", 12),
    ("import", 10),
    ("api", 2),
    ("other", 3),
)
SIZES = (("1-9", 20), ("10-49", 35), ("50-249", 25), ("250-999", 13), ("1000+", 7))
CONSENTS = (
    ("email", "marketing", 0.5),
    ("email", "newsletter", 0.3),
    ("sms", "marketing", 0.15),
    ("messaging", "surveys", 0.1),
)
CONSENT_SOURCES = ("web form /newsletter", "trade show sign-up", "phone call", "import 2024")

# People that browser tests and the docs look for by name: (locale, family name, given name).
NAMED_PEOPLE = (
    ("cn", "王", "伟明"),
    ("vn", "Nguyễn", "Văn An"),
    ("us", "Doe", "Jane"),
)


@dataclass(slots=True)
class AddressSpec:
    kind: str
    line1: str
    city: str
    region: str
    postal_code: str
    country: str


@dataclass(slots=True)
class CompanySpec:
    key: int
    locale: str
    name: str
    brand: tuple[str, str]  # (as written, as used in the domain): subsidiaries share it
    domain: str  # bare and lower-case
    industry: str
    size: str
    parent_key: int | None
    team_index: int
    address: AddressSpec
    tags: tuple[str, ...]
    annual_revenue: int


@dataclass(slots=True)
class PersonSpec:
    key: int
    locale: str
    first_name: str
    last_name: str
    full_name: str
    title: str
    company_key: int | None
    stage: str
    channel: str
    team_index: int
    owner_slot: int  # which rep of the team owns the contact
    emails: list[tuple[str, str]] = field(default_factory=list)  # (label, address as typed)
    phones: list[tuple[str, str]] = field(default_factory=list)  # (label, number as typed)
    socials: list[tuple[str, str]] = field(default_factory=list)  # (label, handle)
    address: AddressSpec | None = None
    tags: tuple[str, ...] = ()
    tier: str = ""
    # (channel, purpose, status, days ago, source)
    consents: list[tuple[str, str, str, int, str]] = field(default_factory=list)


@lru_cache(maxsize=4)
def word_pools(seed: int) -> dict[str, list]:
    """Names, streets, places and job titles per locale, drawn from Faker once per seed."""
    us, cn, vi = Faker("en_US"), Faker("zh_CN"), Faker("vi_VN")
    for index, fake in enumerate((us, cn, vi)):
        fake.seed_instance(seed * 31 + index)
    return {
        "us_first_f": [us.first_name_female() for _ in range(250)],
        "us_first_m": [us.first_name_male() for _ in range(250)],
        "us_last": [us.last_name() for _ in range(500)],
        "us_title": [us.job() for _ in range(200)],
        "us_street": [us.street_address() for _ in range(300)],
        "us_place": [(us.city(), us.state_abbr(), us.zipcode()) for _ in range(200)],
        "cn_last": [cn.last_name() for _ in range(500)],
        "cn_first": [cn.first_name() for _ in range(600)],
        "cn_title": [cn.job() for _ in range(200)],
        "cn_street": [cn.street_name() for _ in range(200)],
        "vn_title": [vi.job() for _ in range(200)],
        "vn_street": [vi.street_name() for _ in range(200)],
    }


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _revenue(rng: random.Random, size: str) -> int:
    """Annual revenue in US dollars, roughly in line with the head count."""
    base = {"1-9": 4e5, "10-49": 3e6, "50-249": 2e7, "250-999": 1.2e8, "1000+": 9e8}[size]
    return int(round(base * rng.uniform(0.4, 2.5), -4))


class DemoWorld:
    """Everything needed to generate one seed's records: word pools, companies, people."""

    def __init__(self, *, seed: int, companies: int):
        self.seed = seed
        self.company_count = companies

    @property
    def pools(self) -> dict[str, list]:
        return word_pools(self.seed)

    # -- companies ------------------------------------------------------------------------------
    @cached_property
    def companies(self) -> list[CompanySpec]:
        rng = random.Random(f"companies:{self.seed}")
        result: list[CompanySpec] = []
        used_domains: set[str] = set()
        groups: list[CompanySpec] = []
        for key in range(self.company_count):
            parent = rng.choice(groups) if groups and rng.random() < 0.15 else None
            company = self._company(rng, key, parent, used_domains)
            if parent is None and company.size in ("250-999", "1000+") and len(groups) < 40:
                groups.append(company)
            result.append(company)
        return result

    @cached_property
    def companies_by_locale(self) -> dict[str, list[CompanySpec]]:
        by_locale: dict[str, list[CompanySpec]] = {locale: [] for locale in LOCALES}
        for company in self.companies:
            by_locale[company.locale].append(company)
        return by_locale

    def _company(
        self, rng: random.Random, key: int, parent: CompanySpec | None, used: set[str]
    ) -> CompanySpec:
        pools = self.pools
        locale = parent.locale if parent else rng.choices(LOCALES, LOCALE_WEIGHTS)[0]
        english, chinese, vietnamese, domain_word = rng.choice(v.INDUSTRIES)
        size = _weighted(rng, SIZES)
        if locale == "us":
            if parent:
                brand = parent.brand
            else:
                word = rng.choice((rng.choice(v.US_BRAND_WORDS), rng.choice(pools["us_last"])))
                brand = (word, fold(word).replace(" ", "").replace("'", ""))
            name = f"{brand[0]} {english.split(' ')[0]} {rng.choice(v.US_COMPANY_SUFFIXES)}"
            stem, tld = brand[1] + domain_word, ".com"
            line1 = rng.choice(pools["us_street"])
            city, region, postal = rng.choice(pools["us_place"])
        elif locale == "cn":
            brand = parent.brand if parent else rng.choice(v.CN_BRANDS)
            short, city, region = rng.choice(v.CN_COMPANY_CITIES)
            name = f"{short}{brand[0]}{chinese}有限公司"
            stem, tld = f"{brand[1]}-{domain_word}", rng.choice((".cn", ".com.cn", ".com"))
            line1 = f"{rng.choice(pools['cn_street'])}{rng.randint(1, 999)}号"
            postal = f"{rng.randint(100000, 999999)}"
        else:
            if parent:
                brand = parent.brand
            else:
                word = rng.choice(v.VN_BRANDS)
                brand = (word, fold(word).replace(" ", ""))
            name = f"{rng.choice(v.VN_COMPANY_FORMS)} {vietnamese} {brand[0]}"
            stem, tld = brand[1] + domain_word, rng.choice((".vn", ".com.vn", ".com"))
            city, region = rng.choice(v.VN_PLACES)
            line1 = f"{rng.randint(1, 300)} {rng.choice(pools['vn_street'])}"
            postal = f"{rng.randint(10000, 99999)}"
        domain, n = stem + tld, 2
        while domain in used:
            domain, n = f"{stem}{n}{tld}", n + 1
        used.add(domain)
        return CompanySpec(
            key=key,
            locale=locale,
            name=name,
            brand=brand,
            domain=domain,
            industry=english,
            size=size,
            parent_key=parent.key if parent else None,
            team_index=TEAM_OF_LOCALE[locale],
            address=AddressSpec("work", line1, city, region, postal, COUNTRY[locale]),
            tags=tuple(t for t, p in (("Partner", 0.08), ("Wholesale", 0.1)) if rng.random() < p),
            annual_revenue=_revenue(rng, size),
        )

    # -- people ---------------------------------------------------------------------------------
    def people(self, start: int, stop: int) -> list[PersonSpec]:
        """People `start` .. `stop - 1`; the first ones are NAMED_PEOPLE."""
        result: list[PersonSpec] = []
        block = start // BLOCK
        while block * BLOCK < stop:
            rng = random.Random(f"people:{self.seed}:{block}")
            for key in range(block * BLOCK, min((block + 1) * BLOCK, stop)):
                person = self._person(rng, key)  # always drawn, so the stream stays aligned
                if key >= start:
                    result.append(person)
            block += 1
        return result

    def _person(self, rng: random.Random, key: int) -> PersonSpec:
        pools = self.pools
        named = NAMED_PEOPLE[key] if key < len(NAMED_PEOPLE) else None
        locale = rng.choices(LOCALES, LOCALE_WEIGHTS)[0]
        female = rng.random() < 0.5
        if named:
            locale = named[0]
        if locale == "us":
            first = rng.choice(pools["us_first_f"] if female else pools["us_first_m"])
            last = rng.choice(pools["us_last"])
        elif locale == "cn":
            last, first = rng.choice(pools["cn_last"]), rng.choice(pools["cn_first"])
        else:
            last = rng.choice(v.VN_FAMILY_NAMES)
            middle = rng.choice(v.VN_MIDDLE_FEMALE if female else v.VN_MIDDLE_MALE)
            first = f"{middle} {rng.choice(v.VN_GIVEN_FEMALE if female else v.VN_GIVEN_MALE)}"
        if named:
            last, first = named[1], named[2]
        elif (locale, last, first) in NAMED_PEOPLE:
            # Tests and docs find the named people by name, so nobody else gets their name.
            first = {"us": "John", "cn": "伟", "vn": "Văn Bình"}[locale]
        # Chinese names are written family name first without a space; Vietnamese family first.
        full = {"us": f"{first} {last}", "cn": f"{last}{first}", "vn": f"{last} {first}"}[locale]

        company = None
        if self.company_count and rng.random() < 0.7:
            same = self.companies_by_locale[locale]
            company = rng.choice(same) if same and rng.random() < 0.9 else None
            company = company or rng.choice(self.companies)
        team_index = TEAM_OF_LOCALE[locale]
        if not named and rng.random() < 0.15:
            team_index = rng.randrange(3)
        person = PersonSpec(
            key=key,
            locale=locale,
            first_name=first,
            last_name=last,
            full_name=full,
            title=rng.choice(pools[f"{locale}_title"]) if company else "",
            company_key=company.key if company else None,
            stage=_weighted(rng, STAGES),
            channel=_weighted(rng, CHANNELS),
            team_index=team_index,
            owner_slot=rng.randrange(2),
        )
        self._add_points(rng, person, company)
        if rng.random() < 0.6:
            person.address = self._home_address(rng, locale)
        person.tags = tuple(
            tag
            for tag, chance in (
                ("VIP", 0.05),
                ("Newsletter", 0.25),
                ("Hot lead", 0.06),
                ("Trade show 2025", 0.08),
                ("Tết gift list", 0.1 if locale == "vn" else 0.0),
                ("春节客户", 0.1 if locale == "cn" else 0.0),
            )
            if rng.random() < chance
        )
        if rng.random() < 0.5:
            person.tier = rng.choices(v.TIERS, (50, 30, 15, 5))[0]
        for channel, purpose, chance in CONSENTS:
            if rng.random() < chance:
                status = "granted" if rng.random() < 0.85 else "withdrawn"
                source = rng.choice(CONSENT_SOURCES)
                person.consents.append((channel, purpose, status, rng.randint(1, 700), source))
        return person

    def _add_points(
        self, rng: random.Random, person: PersonSpec, company: CompanySpec | None
    ) -> None:
        locale, first, last = person.locale, person.first_name, person.last_name
        number = rng.randint(1, 9999)
        if locale == "cn":
            pinyin = v.CN_FAMILY_PINYIN.get(last)
            if pinyin and rng.random() < 0.6:
                handle = f"{pinyin}{rng.choice(('', '.', '_'))}{number}"
                personal = f"{handle}@{rng.choice(v.CN_FREE_MAIL)}"
            else:
                personal = f"{rng.randint(10_000_000, 3_999_999_999)}@qq.com"
            work_handle = f"{pinyin or 'info'}{number}"
        else:
            f, la = fold(first).replace(" ", ""), fold(last).replace(" ", "").replace("'", "")
            pattern = rng.randrange(4)
            local = (f"{f}.{la}", f"{f}{la}{number % 100}", f"{f[0]}{la}{number}", f"{la}.{f}")[
                pattern
            ]
            free = rng.choice(v.US_FREE_MAIL if locale == "us" else v.VN_FREE_MAIL)
            personal = f"{local}@{free}"
            work_handle = f"{f}.{la}"
        # Addresses are typed in any case; the normaliser lower-cases them.
        if rng.random() < 0.1:
            personal = personal.capitalize()
        emails = [("personal", personal)]
        if company and rng.random() < 0.6:
            emails.insert(0, ("work", f"{work_handle}@{company.domain}"))
        person.emails = emails if rng.random() < 0.93 else []

        if locale == "us":
            area, rest = (
                rng.choice(v.US_AREA_CODES),
                f"{rng.randint(200, 999)}{rng.randint(0, 9999):04d}",
            )
            formats = (
                f"({area}) {rest[:3]}-{rest[3:]}",
                f"{area}-{rest[:3]}-{rest[3:]}",
                f"+1 {area} {rest[:3]} {rest[3:]}",
                f"{area}.{rest[:3]}.{rest[3:]}",
            )
        elif locale == "cn":
            head, rest = rng.choice(v.CN_MOBILE_PREFIXES), f"{rng.randint(0, 99_999_999):08d}"
            formats = (
                f"+86 {head} {rest[:4]} {rest[4:]}",
                f"+86-{head}-{rest[:4]}-{rest[4:]}",
                f"+86{head}{rest}",
            )
        else:
            head, rest = rng.choice(v.VN_MOBILE_PREFIXES), f"{rng.randint(0, 9_999_999):07d}"
            formats = (
                f"+84 {head} {rest[:3]} {rest[3:]}",
                f"+84{head}{rest}",
                f"(+84) {head}-{rest[:3]}-{rest[3:]}",
            )
        mobile = rng.choice(formats)
        person.phones = [("mobile", mobile)] if rng.random() < 0.9 else []

        if locale == "cn" and rng.random() < 0.6:
            person.socials.append(("wechat", f"wxid_{rng.getrandbits(40):010x}"))
        elif locale == "vn" and person.phones and rng.random() < 0.6:
            person.socials.append(("zalo", f"+84{head}{rest}"))
        elif locale == "us" and rng.random() < 0.3:
            slug = f"{fold(first)}-{fold(last)}-{rng.getrandbits(20):05x}".replace(" ", "-")
            person.socials.append(("linkedin", f"linkedin.com/in/{slug}"))

    def _home_address(self, rng: random.Random, locale: str) -> AddressSpec:
        pools = self.pools
        if locale == "us":
            city, region, postal = rng.choice(pools["us_place"])
            return AddressSpec("home", rng.choice(pools["us_street"]), city, region, postal, "US")
        if locale == "cn":
            city, region = rng.choice(v.CN_PLACES)
            line1 = f"{rng.choice(pools['cn_street'])}{rng.randint(1, 999)}号{rng.randint(1, 30)}0{rng.randint(1, 9)}室"
            return AddressSpec("home", line1, city, region, f"{rng.randint(100000, 999999)}", "CN")
        city, region = rng.choice(v.VN_PLACES)
        line1 = f"Số {rng.randint(1, 200)} {rng.choice(pools['vn_street'])}"
        return AddressSpec("home", line1, city, region, "", "VN")

    # -- relationships ----------------------------------------------------------------------
    @staticmethod
    def relationships(people: list[PersonSpec], seed: int) -> list[tuple[int, int, str]]:
        """(from key, to key, kind) among `people`: referrals, spouses and colleagues."""
        rng = random.Random(f"relationships:{seed}:{people[0].key if people else 0}")
        links: set[tuple[int, int, str]] = set()
        by_company: dict[int, list[int]] = {}
        for person in people:
            if person.company_key is not None:
                by_company.setdefault(person.company_key, []).append(person.key)
        keys = [p.key for p in people]
        for index, person in enumerate(people):
            if index and person.channel == "referral" and rng.random() < 0.7:
                links.add((person.key, keys[rng.randrange(index)], "referred_by"))
            if index and rng.random() < 0.03:
                other = people[index - 1]
                if other.locale == person.locale and other.company_key != person.company_key:
                    links.add((person.key, other.key, "spouse"))
            colleagues = (
                by_company.get(person.company_key, []) if person.company_key is not None else []
            )
            if len(colleagues) > 1 and rng.random() < 0.1:
                other_key = rng.choice(colleagues)
                if other_key != person.key:
                    links.add((person.key, other_key, "colleague"))
        return sorted(links)
