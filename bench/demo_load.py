"""Benchmark: `kith demo`'s data load from an empty database, with the seconds of every stage.

    flock /work/wt/_bench.lock .venv/bin/python bench/demo_load.py --db sqlite --size large
    flock /work/wt/_bench.lock .venv/bin/python bench/demo_load.py --db postgres --size large

The database is the benchmark's own (bench/harness.py), migrated first (not timed). `--profile
FILE` writes a cProfile of the load (`python -m pstats FILE`). Results: a section of
BENCHMARKS.md per database and size (unless --no-report) and bench/results/demo_<db>_<size>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import time

import harness

TARGET_SECONDS = 300.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--size", choices=("tiny", "small", "large"), default="large")
    parser.add_argument("--profile", default="", help="write a cProfile of the load here")
    parser.add_argument("--no-report", action="store_true", help="leave BENCHMARKS.md alone")
    args = parser.parse_args()
    name = f"demo_{args.db}_{args.size}"
    machine = harness.Load()
    with harness.database(args.db, sqlite_path=harness.RESULTS / f"{name}.sqlite3") as db:
        from kith.demo.loader import demo_load

        last = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            if time.monotonic() - last[0] > 15 or done == total:
                last[0] = time.monotonic()
                print(f"  {stage}: {done:,}/{total:,}", flush=True)

        profiler = cProfile.Profile() if args.profile else None
        started = time.monotonic()
        if profiler:
            profiler.enable()
        summary = demo_load(size=args.size, progress=progress)
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        seconds = time.monotonic() - started
        machine.end()
        result = {
            "engine": db.engine,
            "size": args.size,
            "seconds": round(seconds, 1),
            "stages": summary.stages,
            "contacts": summary.contacts,
            "companies": summary.companies,
            "more": summary.more,
            "machine": machine.as_dict(),
        }
        (harness.RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))
        for stage, stage_seconds in summary.stages.items():
            print(f"{stage:>14}: {stage_seconds:8.1f} s")
        print(f"{'total':>14}: {seconds:8.1f} s  ({machine.text()})")
        if not args.no_report:
            report(args, result, machine)


def report(args: argparse.Namespace, result: dict, machine: harness.Load) -> None:
    more = result["more"]
    counts = ", ".join(
        f"{more.get(kind, 0):,} {kind}"
        for kind in ("deals", "orders", "order_lines", "interactions", "tickets", "scores")
    )
    rows = [[stage, f"{seconds:.1f}"] for stage, seconds in result["stages"].items()]
    rows.append(["**total**", f"**{result['seconds']:.1f}**"])
    verdict = "meets" if result["seconds"] < TARGET_SECONDS else "misses"
    body = "\n".join(
        [
            f"`flock /work/wt/_bench.lock .venv/bin/python bench/demo_load.py --db {args.db} "
            f"--size {args.size}` — {result['engine']}, from an empty migrated database: "
            f"{result['companies']:,} companies, {result['contacts']:,} contacts, {counts}. "
            f"Total {result['seconds']:.1f} s ({verdict} the {TARGET_SECONDS:.0f} s target); "
            f"{machine.text()}.",
            "",
            *harness.table(["stage", "seconds"], rows, right_from=1),
        ]
    )
    harness.section_write(f"Demo load: {args.db}, {args.size}", body)


if __name__ == "__main__":
    main()
