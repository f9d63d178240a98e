"""Scale benchmark of intake: CSV import throughput, batch dedupe, on-entry duplicate check.

    flock /tmp/kith-bench.lock .venv/bin/python bench/intake_scale.py --import-rows 1000000 \
        --dedupe-limit 1000000 --entry-queries 300

Without `--contacts-from` the import goes into an empty database and the imported contacts are
the base the on-entry check and the batch dedupe then run on. With it, that base (e.g. the
demo's bench/results/sqlite_1000000.sqlite3) is copied with SQLite's backup API and migrated
first, so the import's duplicate check runs against that many contacts.
1. Import: a generated CSV (English, Chinese, Vietnamese names; VN/CN mobiles; 5% rows with a
   bad email; 5% duplicates of existing emails) through kith.intake.imports (read, validate,
   normalise, duplicate check, bulk write), timed end to end.
2. Batch dedupe: kith.intake.dedupe.dedupe_run_contacts over the first `--dedupe-limit`
   contacts (read from the database, splink on DuckDB, pairs stored).
3. On entry: contact_duplicates_find for names/emails/phones taken from the base (and typos of
   them), p50/p95 in ms.
Results: bench/results/intake_sqlite.json, or intake_NAME.json with --name (BENCHMARKS.md is
edited by hand from it).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import time
import unicodedata
from pathlib import Path

import harness

RESULTS = harness.RESULTS

# Name parts, combined so a million rows hold realistic name frequencies (a few common family
# names, many given names) rather than a handful of repeated names.
FIRST_EN = [
    "James",
    "Mary",
    "John",
    "Linda",
    "Robert",
    "Susan",
    "Michael",
    "Karen",
    "David",
    "Emma",
    "Oliver",
    "Sophia",
    "William",
    "Ava",
    "Henry",
    "Mia",
    "Lucas",
    "Grace",
    "Ethan",
    "Chloe",
    "Daniel",
    "Zoe",
    "Samuel",
    "Ruby",
    "Jack",
    "Ella",
    "Thomas",
    "Lily",
    "Noah",
    "Isla",
    "Leo",
    "Alice",
    "Oscar",
    "Ivy",
    "Arthur",
    "Freya",
    "George",
    "Hannah",
    "Isaac",
    "Julia",
    "Joseph",
    "Laura",
    "Kevin",
    "Megan",
    "Liam",
    "Nora",
    "Mason",
    "Paige",
    "Nathan",
    "Rose",
    "Owen",
    "Sarah",
    "Peter",
    "Tara",
    "Ryan",
    "Violet",
    "Simon",
    "Wendy",
    "Tyler",
    "Yasmin",
]
LAST_EN = [
    "Smith",
    "Jones",
    "Brown",
    "Taylor",
    "Wilson",
    "Evans",
    "Walker",
    "Wright",
    "Hall",
    "Clarke",
    "Harris",
    "Lewis",
    "Robinson",
    "Wood",
    "Thompson",
    "White",
    "Watson",
    "Jackson",
    "Turner",
    "Hill",
    "Cooper",
    "Ward",
    "Morris",
    "Moore",
    "King",
    "Baker",
    "Green",
    "Adams",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Carter",
    "Phillips",
    "Parker",
    "Edwards",
    "Collins",
    "Stewart",
    "Morgan",
    "Bell",
    "Murphy",
    "Bailey",
    "Rivera",
    "Cook",
    "Rogers",
    "Reed",
    "Kelly",
    "Howard",
    "Cox",
    "Ramirez",
    "Richardson",
    "Gray",
    "Hughes",
    "Price",
    "Myers",
    "Long",
    "Foster",
    "Sanders",
    "Ross",
    "Powell",
    "Sullivan",
    "Russell",
    "Ortiz",
    "Jenkins",
    "Perry",
    "Butler",
    "Barnes",
]
LAST_VI = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
]
MIDDLE_VI = [
    "Văn",
    "Thị",
    "Minh",
    "Quốc",
    "Ngọc",
    "Thu",
    "Hữu",
    "Đức",
    "Thanh",
    "Kim",
    "Bảo",
    "Gia",
    "Xuân",
    "Hoài",
    "Anh",
    "Đình",
]
GIVEN_VI = [
    "An",
    "Hương",
    "Đức",
    "Trang",
    "Bảo",
    "Lan",
    "Hùng",
    "Mai",
    "Nam",
    "Linh",
    "Tuấn",
    "Hà",
    "Dũng",
    "Hoa",
    "Phúc",
    "Thảo",
    "Long",
    "Yến",
    "Khoa",
    "Nhung",
    "Sơn",
    "Vy",
    "Tâm",
    "Ngân",
    "Quân",
    "Trinh",
    "Hải",
    "Uyên",
    "Vinh",
    "Châu",
    "Thắng",
    "Hạnh",
    "Huy",
    "Giang",
    "Tú",
    "Loan",
    "Việt",
    "Nga",
    "Toàn",
    "Phương",
    "Khánh",
    "My",
    "Cường",
    "Quyên",
    "Hiếu",
    "Diệp",
    "Lâm",
    "Hằng",
    "Tài",
    "Thủy",
    "Kiên",
    "Oanh",
    "Thịnh",
    "Nhi",
]
LAST_ZH = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "赵",
    "黄",
    "周",
    "吴",
    "徐",
    "孙",
    "胡",
    "朱",
    "高",
    "林",
    "何",
    "郭",
    "马",
    "罗",
    "梁",
    "宋",
    "郑",
    "谢",
    "韩",
    "唐",
    "冯",
    "于",
]
GIVEN_ZH = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀",
    "霞",
    "平",
    "刚",
    "桂",
    "英",
    "华",
    "玉",
    "萍",
    "红",
    "鹏",
    "飞",
    "建",
    "国",
]


US_AREAS = (212, 213, 305, 312, 415, 503, 617, 646, 702, 713, 206, 404, 512, 615, 919)


def person(rng: random.Random, i: int) -> tuple[str, str, str, str]:
    """(first name, last name, phone, country) of a generated person: 40 % US, 30 % CN, 30 %
    VN (by i % 10), the phone in one of the formats people type (with or without the country
    code, spaces, dashes, dots, brackets; a national number has the row's Country)."""
    culture = i % 10
    style = rng.randrange(4)
    if culture < 4:
        area, mid, last = rng.choice(US_AREAS), rng.randrange(201, 999), rng.randrange(10**4)
        phone = (
            f"+1 {area} {mid} {last:04d}",
            f"({area}) {mid}-{last:04d}",
            f"{area}.{mid}.{last:04d}",
            f"+1-{area}-{mid}-{last:04d}",
        )[style]
        return rng.choice(FIRST_EN), rng.choice(LAST_EN), phone, "US"
    if culture < 7:
        given = rng.choice(GIVEN_ZH) + (rng.choice(GIVEN_ZH) if rng.random() < 0.7 else "")
        a, b, c = rng.randrange(10), rng.randrange(10**4), rng.randrange(10**4)
        phone = (
            f"+86 13{a} {b:04d} {c:04d}",
            f"13{a}{b:04d}{c:04d}",
            f"(+86) 13{a}-{b:04d}-{c:04d}",
            f"+8613{a}{b:04d}{c:04d}",
        )[style]
        return given, rng.choice(LAST_ZH), phone, "CN"
    first = f"{rng.choice(MIDDLE_VI)} {rng.choice(GIVEN_VI)}"
    p, n = rng.choice("1348"), rng.randrange(10**7)
    phone = (
        f"+84 9{p} {n:07d}",
        f"09{p} {n // 10**4:03d} {n % 10**4:04d}",
        f"09{p}{n:07d}",
        f"+84-9{p}-{n // 10**4:03d}-{n % 10**4:04d}",
    )[style]
    return first, rng.choice(LAST_VI), phone, "VN"


HEADER = ["First name", "Last name", "Email", "Phone", "Address", "City", "Country"]


def csv_write(
    path: Path, rows: int, existing: list[tuple[str, str, str]], seed: int = 7, *,
    duplicates: float = 0.03, broken: float = 0.01, prefix: str = "import",
) -> None:  # fmt: skip
    """A contacts CSV: `duplicates` of the rows are people of the base (`existing`: first
    name, email, phone in E.164), half found by their email (in capitals), half by their
    phone written in another format; `broken` of the rows have a broken email (error file);
    1 % the same person as an earlier row written differently (no diacritics, another email,
    a mistyped phone: pairs for the batch dedupe to find)."""
    rng = random.Random(seed)
    earlier: list[tuple[str, str, str, str]] = []
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(rows):
            first, last, phone, country = person(rng, i)
            email = f"{prefix}{i}@bench{i % 97}.example.com"
            roll = rng.random()
            if roll < broken:
                email = f"broken-{i}@"
            elif roll < broken + duplicates and existing:
                first, old_email, old_phone = rng.choice(existing)
                if rng.random() < 0.5 and old_email:
                    email = old_email.upper()
                elif old_phone:
                    email = f"new{i}@elsewhere.example.org"
                    digits = old_phone[1:]
                    phone = f"+{digits[:2]} {digits[2:5]} {digits[5:]}"
                    country = ""
            elif roll < broken + duplicates + 0.01 and earlier:
                first, last, phone, country = rng.choice(earlier)
                first = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()
                first = first or last
                digits = "".join(ch for ch in phone if ch.isdigit())
                phone = f"{digits[:-1]}{(int(digits[-1]) + 1) % 10}"
                email = f"other{i}@mail{i % 13}.example.net"
            if len(earlier) < 50_000 and rng.random() < 0.1:
                earlier.append((first, last, phone, country))
            street, city = ("12 Phố Huế", "Hà Nội") if country == "VN" else ("", "")
            writer.writerow([first, last, email, phone, street, city, country])


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def contacts_import(by, path: Path):
    """Import `path` as contacts through the app's pipeline (read inline or as the worker
    would: import_read), timed by the caller."""
    from kith.intake.imports import import_create, import_read, import_run

    job = import_create(by=by, kind="contacts", filename=path.name, content=path.read_bytes())
    if job.status == "reading":
        job = import_read(job_id=job.pk)
    return import_run(by=by, job_id=job.pk)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts-from", type=Path, default=None)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument(
        "--base", type=int, default=50_000, help="contacts loaded first (untimed) when empty"
    )
    parser.add_argument("--db", default="sqlite", choices=("sqlite", "postgres"))
    parser.add_argument("--dedupe-limit", type=int, default=100_000)
    parser.add_argument("--entry-queries", type=int, default=300)
    parser.add_argument("--skip", default="", help="comma list of: import,dedupe,entry")
    parser.add_argument(
        "--name", default="sqlite", help="results go to bench/results/intake_NAME.{sqlite3,json}"
    )
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    RESULTS.mkdir(exist_ok=True)
    # A million-row CSV is larger than the upload limit a web form has by default.
    os.environ.setdefault("KITH_IMPORT_MAX_MB", "1000")
    db = RESULTS / f"intake_{args.name}.sqlite3"
    t = time.perf_counter()
    with harness.database(args.db, sqlite_path=db, copy_from=args.contacts_from) as database:
        copy_s = time.perf_counter() - t
        _run(args, skip, copy_s, database.engine)


def _run(args: argparse.Namespace, skip: set[str], copy_s: float, engine: str) -> None:
    from django.db import connection

    from kith.customers.models import Contact
    from kith.identity.models import User
    from kith.identity.services import roles_ensure_defaults, user_create

    roles_ensure_defaults()
    admin = User.objects.filter(is_superuser=True).order_by("id").first() or user_create(
        username="bench-admin", password="Quartz-lantern-9081", role_slug="admin", is_superuser=True
    )
    base = Contact.objects.count()
    result: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_at_start": list(harness.loadavg()),
        "base_contacts": base,
        "database": engine,
        "copy_s": round(copy_s, 1),
    }
    print(json.dumps(result), flush=True)

    if "import" not in skip:
        if args.base and not base:
            # The base the import's duplicate check runs against, loaded untimed.
            base_path = RESULTS / f"intake_{args.name}_base.csv"
            csv_write(base_path, args.base, [], seed=11, duplicates=0, broken=0, prefix="base")
            contacts_import(admin, base_path)
        existing = list(
            Contact.objects.values_list("first_name", "primary_email", "primary_phone")[:20000]
        )
        path = RESULTS / f"intake_{args.name}_import.csv"
        csv_write(path, args.import_rows, existing)
        load = harness.Load()
        cpu = _cpu()
        t = time.perf_counter()
        job = contacts_import(admin, path)
        seconds = time.perf_counter() - t
        cpu = tuple(b - a for a, b in zip(cpu, _cpu(), strict=True))
        load.end()
        result["import"] = {
            "rows": args.import_rows,
            "base_contacts": len(existing) and Contact.objects.count() - job.created_count,
            "seconds": round(seconds, 1),
            "rows_per_s": round(args.import_rows / seconds),
            # CPU seconds of this process and of the worker processes (the import's own work,
            # whatever else the machine runs; the wall time above is not, under load).
            "cpu_s": round(cpu[0], 1),
            "cpu_workers_s": round(cpu[1], 1),
            "rows_per_cpu_s": round(args.import_rows / max(cpu[0] + cpu[1], 0.001)),
            "created": job.created_count,
            "skipped_duplicates": job.skipped_count,
            "errors": job.error_count,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "peak_rss_children_mb": round(
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            ),
            "load": load.as_dict(),
        }
        print(json.dumps(result["import"]), flush=True)

    base = Contact.objects.count()
    result["contacts_after_import"] = base
    if "entry" not in skip:
        from kith.intake.dedupe import contact_duplicates_find

        rng = random.Random(3)
        sample = list(
            Contact.objects.filter(
                pk__in=[rng.randrange(1, base or 2) for _ in range(args.entry_queries)]
            ).values_list("first_name", "last_name", "primary_email", "primary_phone")
        )
        timings = []
        for i, (first, last, email, phone) in enumerate(sample):
            kwargs: dict = {"first_name": first, "last_name": last}
            if i % 3 == 0:
                kwargs["emails"] = [email.upper()] if email else []
            elif i % 3 == 1:
                kwargs["phones"] = [phone] if phone else []
            else:
                kwargs["first_name"] = first[:-1] + "x" if len(first) > 2 else first
            t = time.perf_counter()
            contact_duplicates_find(user=admin, **kwargs)
            timings.append((time.perf_counter() - t) * 1000)
        result["entry"] = {
            "queries": len(timings),
            "p50_ms": round(harness.percentile(timings, 0.50), 2),
            "p95_ms": round(harness.percentile(timings, 0.95), 2),
            "p99_ms": round(harness.percentile(timings, 0.99), 2),
            "max_ms": round(max(timings), 2),
        }
        print(json.dumps(result["entry"]), flush=True)

    if "dedupe" not in skip:
        from kith.intake import dedupe

        limit = args.dedupe_limit
        original = dedupe.contact_records

        def limited(queryset):
            ids = queryset.order_by("id").values_list("id", flat=True)[limit - 1 : limit]
            last = next(iter(ids), None)
            return original(queryset.filter(id__lte=last) if last else queryset)

        dedupe.contact_records = limited  # type: ignore[assignment]
        t = time.perf_counter()
        run = dedupe.dedupe_run_contacts(by=None, threshold=0.9)
        seconds = time.perf_counter() - t
        result["dedupe"] = {
            "contacts": run.record_count,
            "seconds": round(seconds, 1),
            "pairs": run.pair_count,
            "clusters": run.cluster_count,
        }
        print(json.dumps(result["dedupe"]), flush=True)

    result["load_at_end"] = list(harness.loadavg())
    connection.close()
    (RESULTS / f"intake_{args.name}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
