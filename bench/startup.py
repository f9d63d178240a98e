"""Start-up cost of a web worker and of `kith <command> --help` (issue #9, item 8).

Each run is a fresh interpreter: django.setup() and the URL conf (what a gunicorn worker loads
before its first request), its wall time and peak RSS, and which analytics libraries it pulled
in; then `kith score --help` and `kith import --help` wall times. The median of --runs runs.

    .venv/bin/python bench/startup.py [--runs 5] [--before DIR] [--write]

--before DIR also measures another checkout's src/ with this venv (e.g. the commit before, from
`git worktree add DIR COMMIT`); --write puts the figures in BENCHMARKS.md ("Start-up").
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import harness

HEAVY = ("polars", "numpy", "scipy", "sklearn", "duckdb", "splink", "pyarrow")
_PROBE = f"""
import json, os, resource, sys, time
t = time.perf_counter()
import django
django.setup()
import kith.urls
seconds = time.perf_counter() - t
rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": seconds, "rss_mib": rss_mib,
                   "heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def _env(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src), "DJANGO_SETTINGS_MODULE": "kith.settings"}


def worker_boot(src: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], env=_env(src), capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def help_seconds(src: Path, *args: str) -> float:
    code = f"import sys; sys.argv = ['kith', *{list(args)!r}, '--help']; from kith.cli import main; main()"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=_env(src), capture_output=True, check=False)
    return time.perf_counter() - start


def measure(src: Path, runs: int) -> dict:
    """Medians over `runs` fresh interpreters for the checkout whose src/ is `src`."""
    boots = [worker_boot(src) for _ in range(runs)]
    return {
        "worker_boot_s": round(statistics.median(b["seconds"] for b in boots), 2),
        "worker_rss_mib": round(statistics.median(b["rss_mib"] for b in boots)),
        "heavy_imported": boots[-1]["heavy"],
        "score_help_s": round(
            statistics.median(help_seconds(src, "score") for _ in range(runs)), 2
        ),
        "import_help_s": round(
            statistics.median(help_seconds(src, "import") for _ in range(runs)), 2
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", type=Path, default=None)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    load = harness.Load()
    results = {}
    if args.before is not None:
        results["before"] = measure(args.before / "src", args.runs)
    results["now"] = measure(harness.ROOT / "src", args.runs)
    load.end()
    print(json.dumps({**results, "load": load.text()}, indent=2))
    if args.write:
        rows = [
            [name, r["worker_boot_s"], r["worker_rss_mib"], r["score_help_s"], r["import_help_s"],
             ", ".join(r["heavy_imported"]) or "none"]
            for name, r in results.items()
        ]  # fmt: skip
        header = ["code", "worker boot (s)", "peak RSS (MiB)", "`kith score --help` (s)",
                  "`kith import --help` (s)", "analytics loaded at boot"]  # fmt: skip
        body = "\n".join(
            [
                f"Measured {load.started_at}, {load.text()}; medians of {args.runs} fresh "
                "interpreters. Worker boot = `django.setup()` + `import kith.urls`, as a gunicorn "
                "worker does before its first request. Command: `.venv/bin/python bench/startup.py "
                "--before DIR --write` (DIR: `git worktree add DIR <commit before>`).",
                "",
                *harness.table(header, rows, right_from=1),
            ]
        )
        harness.section_write("Start-up", body)


if __name__ == "__main__":
    main()
