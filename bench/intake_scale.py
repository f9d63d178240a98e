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


def person(rng: random.Random, i: int) -> tuple[str, str, str]:
    """(first name, last name, phone) of a generated person, by culture (i % 3)."""
    culture = i % 3
    if culture == 0:
        return (
            rng.choice(FIRST_EN),
            rng.choice(LAST_EN),
            f"+1 {rng.choice(US_AREAS)} {rng.randrange(201, 999)} {rng.randrange(10**4):04d}",
        )
    if culture == 1:
        first = f"{rng.choice(MIDDLE_VI)} {rng.choice(GIVEN_VI)}"
        return first, rng.choice(LAST_VI), f"+84 9{rng.choice('1348')} {rng.randrange(10**7):07d}"
    given = rng.choice(GIVEN_ZH) + (rng.choice(GIVEN_ZH) if rng.random() < 0.7 else "")
    phone = f"+86 13{rng.randrange(10)} {rng.randrange(10**4):04d} {rng.randrange(10**4):04d}"
    return given, rng.choice(LAST_ZH), phone


def csv_write(path: Path, rows: int, existing_emails: list[str], seed: int = 7) -> None:
    """A contacts CSV: 5 % rows with a broken email (errors), 5 % with the email of a contact
    already in the base (duplicates found by the import), 2 % the same person as an earlier
    row written differently (no diacritics, phone in national format, another email): pairs
    for the batch dedupe to find."""
    rng = random.Random(seed)
    earlier: list[tuple[str, str, str]] = []
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["First name", "Last name", "Email", "Phone", "Address", "City"])
        for i in range(rows):
            first, last, phone = person(rng, i)
            email = f"import{i}@bench{i % 97}.example.com"
            roll = rng.random()
            if roll < 0.05:
                email = f"broken-{i}@"
            elif roll < 0.10 and existing_emails:
                email = rng.choice(existing_emails)
            elif roll < 0.12 and earlier:
                first, last, phone = rng.choice(earlier)
                first = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()
                first = first or last
                # "+84912345678" with the last digit mistyped: not the same phone, so the
                # import keeps the row and the batch dedupe has to find the pair.
                digits = "".join(ch for ch in phone if ch.isdigit())
                phone = f"+{digits[:-1]}{(int(digits[-1]) + 1) % 10}"
                email = f"other{i}@mail{i % 13}.example.net"
            if len(earlier) < 50_000 and rng.random() < 0.1:
                earlier.append((first, last, phone))
            street, city = ("12 Phố Huế", "Hà Nội") if i % 3 == 1 else ("", "")
            writer.writerow([first, last, email, phone, street, city])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts-from", type=Path, default=None)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--dedupe-limit", type=int, default=100_000)
    parser.add_argument("--entry-queries", type=int, default=300)
    parser.add_argument("--skip", default="", help="comma list of: import,dedupe,entry")
    parser.add_argument(
        "--name", default="sqlite", help="results go to bench/results/intake_NAME.{sqlite3,json}"
    )
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    RESULTS.mkdir(exist_ok=True)
    db = RESULTS / f"intake_{args.name}.sqlite3"
    t = time.perf_counter()
    if args.contacts_from:
        harness.sqlite_copy(args.contacts_from, db)
    else:
        harness.sqlite_remove(db)
    copy_s = time.perf_counter() - t
    harness.django_setup(f"sqlite:///{db}")
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
        "copy_s": round(copy_s, 1),
    }
    print(json.dumps(result), flush=True)

    if "import" not in skip:
        from kith.intake.imports import import_create, import_run

        emails = list(
            Contact.objects.exclude(primary_email="").values_list("primary_email", flat=True)[:5000]
        )
        path = RESULTS / f"intake_{args.name}_import.csv"
        csv_write(path, args.import_rows, emails)
        t = time.perf_counter()
        job = import_create(
            by=admin, kind="contacts", filename=path.name, content=path.read_bytes()
        )
        job = import_run(by=admin, job_id=job.pk)
        seconds = time.perf_counter() - t
        result["import"] = {
            "rows": args.import_rows,
            "seconds": round(seconds, 1),
            "rows_per_s": round(args.import_rows / seconds),
            "created": job.created_count,
            "skipped_duplicates": job.skipped_count,
            "errors": job.error_count,
            "extrapolated_1m_s": round(seconds * 1_000_000 / args.import_rows),
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
