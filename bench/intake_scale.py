"""Scale benchmark of intake: CSV import throughput, batch dedupe, on-entry duplicate check.

    uv run python bench/intake_scale.py --contacts-from bench/results/sqlite_1000000.sqlite3 \
        --import-rows 100000 --dedupe-limit 1000000 --entry-queries 300

The base (`--contacts-from`) is copied with SQLite's backup API and migrated, so the
duplicate check during the import and the on-entry check run against that many contacts.
1. Import: a generated CSV (English, Chinese, Vietnamese names; VN/CN mobiles; 5% rows with a
   bad email; 5% duplicates of existing emails) through kith.intake.imports (read, validate,
   normalise, duplicate check, bulk write), timed end to end.
2. Batch dedupe: kith.intake.dedupe.dedupe_run_contacts over the first `--dedupe-limit`
   contacts (read from the database, splink on DuckDB, pairs stored).
3. On entry: contact_duplicates_find for names/emails/phones taken from the base (and typos of
   them), p50/p95 in ms.
Results: bench/results/intake_sqlite.json (BENCHMARKS.md is edited by hand from it).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
RESULTS = ROOT / "bench" / "results"

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
]
LAST_EN = ["Smith", "Jones", "Brown", "Taylor", "Wilson", "Evans", "Walker", "Wright", "Hall"]
FIRST_VI = ["Văn An", "Thị Hương", "Minh Đức", "Thu Trang", "Quốc Bảo", "Ngọc Lan"]
LAST_VI = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng"]
FIRST_ZH = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋"]
LAST_ZH = ["王", "李", "张", "刘", "陈", "杨", "赵"]


def _copy_sqlite(source: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    src.backup(dst, pages=65536)
    dst.close()
    src.close()


def csv_write(path: Path, rows: int, existing_emails: list[str], seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["First name", "Last name", "Email", "Phone", "Address", "City"])
        for i in range(rows):
            culture = i % 3
            if culture == 0:
                first, last = rng.choice(FIRST_EN), rng.choice(LAST_EN)
                phone = f"+86 138{rng.randrange(10**8):08d}"
            elif culture == 1:
                first, last = rng.choice(FIRST_VI), rng.choice(LAST_VI)
                phone = f"+84 9{rng.choice('1348')} {rng.randrange(10**7):07d}"
            else:
                first, last = rng.choice(FIRST_ZH), rng.choice(LAST_ZH)
                phone = f"+86 139 {rng.randrange(10**4):04d} {rng.randrange(10**4):04d}"
            email = f"import{i}@bench{i % 97}.example.com"
            roll = rng.random()
            if roll < 0.05:
                email = f"broken-{i}@"
            elif roll < 0.10 and existing_emails:
                email = rng.choice(existing_emails)
            street, city = ("12 Phố Huế", "Hà Nội") if culture == 1 else ("", "")
            writer.writerow([first, last, email, phone, street, city])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts-from", type=Path, default=None)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--dedupe-limit", type=int, default=100_000)
    parser.add_argument("--entry-queries", type=int, default=300)
    parser.add_argument("--skip", default="", help="comma list of: import,dedupe,entry")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    RESULTS.mkdir(exist_ok=True)
    db = RESULTS / "intake_sqlite.sqlite3"
    t = time.perf_counter()
    if args.contacts_from:
        _copy_sqlite(args.contacts_from, db)
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    copy_s = time.perf_counter() - t
    os.environ["KITH_DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kith.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from kith.customers.models import Contact
    from kith.identity.models import User
    from kith.identity.services import roles_ensure_defaults, user_create

    roles_ensure_defaults()
    admin = User.objects.filter(is_superuser=True).order_by("id").first() or user_create(
        username="bench-admin", password="Quartz-lantern-9081", role_slug="admin", is_superuser=True
    )
    base = Contact.objects.count()
    load = os.getloadavg()
    result: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_at_start": [round(x, 2) for x in load],
        "base_contacts": base,
        "copy_s": round(copy_s, 1),
    }
    print(json.dumps(result), flush=True)

    if "import" not in skip:
        from kith.intake.imports import import_create, import_run

        emails = list(
            Contact.objects.exclude(primary_email="").values_list("primary_email", flat=True)[:5000]
        )
        path = RESULTS / "intake_import.csv"
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
        timings.sort()
        result["entry"] = {
            "queries": len(timings),
            "p50_ms": round(statistics.median(timings), 2),
            "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
            "max_ms": round(timings[-1], 2),
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

    result["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    connection.close()
    (RESULTS / "intake_sqlite.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
