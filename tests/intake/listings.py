"""A labelled set of business listings for the company duplicate model, generated (no public
business-listing set is in the shared data): US, Vietnamese and Chinese businesses, each listed
once or more the way directories list them: legal forms on or off (Inc/LLC/Ltd/GmbH/Co.,
Công ty TNHH, 有限公司), "The", "&"/"and", word order, street abbreviations (St./Street,
Blvd./Boulevard, N/North, Suite/Ste./#), phone formats, a typo now and then, a missing phone
or address. Hard non-duplicates on purpose: chains (one name at several addresses and phones),
tenants of one building (one address, other names and phones) and look-alike names.

`listings(seed, entities)` -> (header, rows, truth pairs); the id column is "id". Different
seeds give different businesses: tune on one seed, report another.
"""

from __future__ import annotations

import itertools
import random

HEADER = ["id", "name", "address", "city", "phone", "category"]

_US_FIRST = ("Joe", "Maria", "Tony", "Linda", "Sam", "Rosa", "Frank", "Grace", "Omar", "Kim",
             "Luigi", "Hank", "Nina", "Raj", "Carmen", "Ed", "Bea", "Vito", "Lou", "Dee")  # fmt: skip
_US_LAST = ("Smith", "Garcia", "Miller", "Nguyen", "Rossi", "Cohen", "Patel", "Murphy", "Chen",
            "Kowalski", "Baker", "Duval", "Okafor", "Larsen", "Moreno", "Fischer", "Brennan")  # fmt: skip
_WORDS = ("Blue", "Golden", "Harbor", "Pacific", "Summit", "Maple", "Silver", "Red", "Oak",
          "Sunset", "Liberty", "Northern", "Union", "Cedar", "Lakeside", "Copper", "Eagle",
          "Pioneer", "Royal", "Green", "Star", "Bay", "River", "Hilltop", "Urban", "Crescent")  # fmt: skip
_KINDS = {
    "restaurant": ("Grill", "Diner", "Bistro", "Kitchen", "Cafe", "Trattoria", "Steakhouse"),
    "retail": ("Hardware", "Books", "Florist", "Bakery", "Market", "Boutique", "Outfitters"),
    "services": ("Plumbing", "Dental", "Law Group", "Auto Repair", "Cleaners", "Insurance",
                 "Accounting", "Realty", "Roofing", "Printing"),
}  # fmt: skip
_CATEGORY_VARIANTS = {
    "restaurant": ("restaurant", "restaurants", "american", "food"),
    "retail": ("retail", "shop", "store", "shopping"),
    "services": ("services", "professional services", "business services", "service"),
}
_US_LEGAL = ("Inc.", "Inc", "LLC", "L.L.C.", "Co.", "Corp.", "Corporation", "Ltd.", "Company")
_STREET_TYPES = (("St.", "Street", "St"), ("Ave.", "Avenue", "Ave"), ("Blvd.", "Boulevard", "Blvd"),
                 ("Rd.", "Road", "Rd"), ("Dr.", "Drive", "Dr"), ("Ln.", "Lane", "Ln"),
                 ("Pkwy.", "Parkway", "Pkwy"), ("Hwy.", "Highway", "Hwy"))  # fmt: skip
_DIRECTIONS = (("N.", "North", "N"), ("S.", "South", "S"), ("E.", "East", "E"), ("W.", "West", "W"))
_STREET_NAMES = ("Main", "Oak", "Sunset", "Wilshire", "Broadway", "Market", "Lincoln", "Elm",
                 "Washington", "Mission", "Ocean", "Park", "Jefferson", "Madison", "Franklin",
                 "Highland", "Lake", "Spring", "Valley", "Church", "Mill", "Ventura", "Grand")  # fmt: skip
_US_CITIES = (("Los Angeles", "213"), ("New York", "212"), ("San Francisco", "415"),
              ("Atlanta", "404"), ("Chicago", "312"), ("Seattle", "206"), ("Boston", "617"),
              ("Houston", "713"), ("Denver", "303"), ("Austin", "512"))  # fmt: skip
_VN_NAMES = ("Sao Mai", "Minh Long", "Hoàng Gia", "Phú Thịnh", "Thành Công", "Việt Tiến",
             "An Khang", "Bảo Ngọc", "Đại Phát", "Hưng Thịnh", "Tân Hiệp", "Kim Long")  # fmt: skip
_VN_TRADES = ("Thương mại", "Xây dựng", "Du lịch", "Thực phẩm", "Vận tải", "In ấn")
_VN_STREETS = ("Lê Lợi", "Nguyễn Huệ", "Trần Hưng Đạo", "Hai Bà Trưng", "Lý Thường Kiệt",
               "Điện Biên Phủ", "Pasteur", "Nam Kỳ Khởi Nghĩa")  # fmt: skip
_VN_CITIES = (("Hồ Chí Minh", "28"), ("Hà Nội", "24"), ("Đà Nẵng", "236"))
_CN_NAMES = ("长城", "华美", "东方", "金龙", "新世纪", "宏达", "恒通", "天元", "永安", "瑞丰")
_CN_TRADES = ("贸易", "科技", "餐饮", "物流", "建材", "电子")
_CN_STREETS = ("南京路", "淮海路", "人民路", "中山路", "解放路", "建国路")
_CN_CITIES = (("上海", "21"), ("北京", "10"), ("广州", "20"))


class _Business:
    def __init__(self, rng: random.Random, key: int) -> None:
        self.key = key
        self.region = rng.choices(("us", "vn", "cn"), (70, 15, 15))[0]
        self.category = rng.choice(list(_KINDS))
        getattr(self, f"_make_{self.region}")(rng)

    def _make_us(self, rng: random.Random) -> None:
        kind = rng.choice(_KINDS[self.category])
        style = rng.randrange(4)
        if style == 0:
            self.words = [f"{rng.choice(_US_FIRST)}'s", kind]
        elif style == 1:
            self.words = [rng.choice(_WORDS), rng.choice(_WORDS), kind]
        elif style == 2:
            self.words = [rng.choice(_US_LAST), "&", rng.choice(_US_LAST), kind]
        else:
            self.words = [rng.choice(_WORDS), kind]
        self.the = style in (1, 3) and rng.random() < 0.4
        self.legal = rng.choice(_US_LEGAL) if self.category != "restaurant" else ""
        city, area = rng.choice(_US_CITIES)
        self.city = city
        self.number = str(rng.randint(1, 9999))
        self.direction = rng.choice(_DIRECTIONS) if rng.random() < 0.3 else None
        self.street = rng.choice(_STREET_NAMES)
        self.street_type = rng.choice(_STREET_TYPES)
        self.suite = str(rng.randint(100, 950)) if rng.random() < 0.25 else ""
        self.phone = f"{area}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"

    def _make_vn(self, rng: random.Random) -> None:
        self.words = [rng.choice(_VN_TRADES), rng.choice(_VN_NAMES)]
        self.the, self.legal = False, "tnhh"
        self.city, area = rng.choice(_VN_CITIES)
        self.number = str(rng.randint(1, 300))
        self.direction, self.suite = None, ""
        self.street, self.street_type = rng.choice(_VN_STREETS), None
        self.phone = f"84{area}{rng.randint(1000000, 9999999)}"[: 2 + 9]

    def _make_cn(self, rng: random.Random) -> None:
        self.words = [rng.choice(_CN_NAMES), rng.choice(_CN_TRADES)]
        self.the, self.legal = False, "有限公司"
        self.city, area = rng.choice(_CN_CITIES)
        self.number = str(rng.randint(1, 1500))
        self.direction, self.suite = None, ""
        self.street, self.street_type = rng.choice(_CN_STREETS), None
        self.phone = f"86{area}{rng.randint(10000000, 99999999)}"

    # --- one listing of the business ---------------------------------------------------------

    def listing(self, rng: random.Random, variant: bool) -> dict[str, str]:
        return {
            "name": self._name(rng, variant),
            "address": self._address(rng, variant),
            "city": self._city(rng, variant),
            "phone": self._phone(rng, variant),
            "category": rng.choice(_CATEGORY_VARIANTS[self.category]) if variant else self.category,
        }

    def _name(self, rng: random.Random, variant: bool) -> str:
        if self.region == "vn":
            core = " ".join(self.words)
            forms = (f"Công ty TNHH {core}", f"Cty TNHH {core}", f"{core} Co., Ltd",
                     f"CÔNG TY TNHH {core.upper()}", f"{self.words[1]} Company Limited")  # fmt: skip
            return rng.choice(forms) if variant else forms[0]
        if self.region == "cn":
            core = "".join(self.words)
            forms = (f"{self.city}{core}有限公司", f"{core}有限公司", f"{self.city}{core}",
                     f"{core}公司", f"{self.city}市{core}有限公司")  # fmt: skip
            return rng.choice(forms) if variant else forms[0]
        words = list(self.words)
        the, legal = self.the, self.legal
        if variant:
            if "&" in words and rng.random() < 0.5:
                words[words.index("&")] = "and"
            if rng.random() < 0.4:
                the = not the if self.the else False
            if legal and rng.random() < 0.6:
                legal = rng.choice(("", *_US_LEGAL))
            elif not legal and rng.random() < 0.15:
                legal = rng.choice(("LLC", "Inc."))
            if len(words) == 3 and "&" not in words and rng.random() < 0.15:
                words = [
                    words[0],
                    words[2],
                    words[1],
                ]  # "Golden Harbor Grill" -> "Golden Grill Harbor"
            if rng.random() < 0.25:
                words = [w.upper() if rng.random() < 0.5 else w.lower() for w in words]
            if rng.random() < 0.12:
                words = _typo(rng, words)
        name = " ".join(words)
        if the:
            name = f"{name}, The" if variant and rng.random() < 0.3 else f"The {name}"
        if legal:
            name = f"{name}{',' if rng.random() < 0.3 else ''} {legal}"
        return name

    def _address(self, rng: random.Random, variant: bool) -> str:
        if variant and rng.random() < 0.06:
            return ""
        if self.region == "vn":
            form = rng.randrange(3) if variant else 0
            return (f"{self.number} {self.street}", f"Số {self.number} đường {self.street}",
                    f"{self.number} {_ascii(self.street)}")[form]  # fmt: skip
        if self.region == "cn":
            return f"{self.street}{self.number}号"
        pick = (lambda options: rng.choice(options)) if variant else (lambda options: options[0])
        parts = [self.number]
        if self.direction:
            parts.append(pick(self.direction))
        parts.append(self.street)
        parts.append(pick(self.street_type))
        address = " ".join(parts)
        if self.suite:
            address += pick((f", Suite {self.suite}", f" Ste. {self.suite}", f" #{self.suite}"))
        return address

    def _city(self, rng: random.Random, variant: bool) -> str:
        if not variant:
            return self.city
        if self.region == "vn":
            return rng.choice((self.city, _ascii(self.city), f"TP. {self.city}"))
        if self.region == "cn":
            return rng.choice((self.city, f"{self.city}市"))
        return rng.choice((self.city, self.city.upper(), self.city.lower()))

    def _phone(self, rng: random.Random, variant: bool) -> str:
        if variant and rng.random() < 0.08:
            return ""
        digits = self.phone
        if variant and rng.random() < 0.05:  # a second line of the same business
            digits = digits[:-4] + f"{rng.randint(0, 9999):04d}"
        if self.region == "us":
            a, b, c = digits[:3], digits[3:6], digits[6:]
            forms = (f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}/{b}-{c}", f"+1 {a} {b} {c}",
                     f"{a}.{b}.{c}", f"1-{a}-{b}-{c}")  # fmt: skip
        else:
            country, national = digits[:2], digits[2:]
            forms = (f"+{country} {national[:2]} {national[2:6]} {national[6:]}",
                     f"0{national}", f"+{country}{national}", f"0{national[:2]}-{national[2:]}")  # fmt: skip
        return rng.choice(forms) if variant else forms[0]


def _typo(rng: random.Random, words: list[str]) -> list[str]:
    candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not candidates:
        return words
    i = rng.choice(candidates)
    word = words[i]
    j = rng.randrange(1, len(word) - 1)
    words = list(words)
    words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]  # two letters swapped
    return words


def _ascii(text: str) -> str:
    import unicodedata

    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def listings(
    seed: int | str, entities: int = 600
) -> tuple[list[str], list[list[str]], set[tuple[str, str]]]:
    """(header, rows, the true duplicate pairs as sorted id pairs) of a generated directory."""
    rng = random.Random(f"listings:{seed}")
    businesses = [_Business(rng, key) for key in range(entities)]
    # Chains: a few names at several places (not duplicates of each other).
    for chain in businesses[: entities // 40]:
        for _copy in range(rng.randint(2, 4)):
            twin = _Business(rng, len(businesses))
            if twin.region != chain.region:
                twin.region = chain.region
                getattr(twin, f"_make_{chain.region}")(rng)
            twin.words, twin.the, twin.legal = chain.words, chain.the, chain.legal
            twin.category = chain.category
            businesses.append(twin)
    # Tenants of one building: another business at the same address.
    for host in businesses[entities // 40 : entities // 40 + entities // 30]:
        tenant = _Business(rng, len(businesses))
        if tenant.region == host.region:
            tenant.number, tenant.street, tenant.street_type = (
                host.number, host.street, host.street_type,
            )  # fmt: skip
            tenant.direction, tenant.city = host.direction, host.city
        businesses.append(tenant)
    rows: list[list[str]] = []
    truth: set[tuple[str, str]] = set()
    for business in businesses:
        copies = rng.choices((1, 2, 3), (62, 33, 5))[0]
        ids = []
        for copy in range(copies):
            listing = business.listing(rng, variant=copy > 0)
            row_id = f"L{len(rows) + 1:05d}"
            ids.append(row_id)
            rows.append([row_id, *(listing[c] for c in HEADER[1:])])
        truth.update(itertools.combinations(sorted(ids), 2))
    order = list(range(len(rows)))
    rng.shuffle(order)
    return HEADER, [rows[i] for i in order], truth
