"""Benchmark: fitting BG/NBD and Gamma-Gamma on the CDNOW sample (2,357 customers).

    .venv/bin/python bench/insights_clv_fit.py [--runs 21] [--lifetimes-path /tmp/lifetimes-bench]

Times kith.insights.engine.clv (bgnbd_fit + gamma_gamma_fit) over several runs after one warm-up
and prints the median, min and max with the fitted parameters; target: median < 1 s. For
comparison only, the same two fits with the `lifetimes` package (BetaGeoFitter and
GammaGammaFitter, penalizer 0) in a subprocess whose sys.path starts with --lifetimes-path, so its
own NumPy/SciPy/pandas never mix with Kith's. lifetimes is not a Kith dependency: install it into
a throw-away directory first (`pip install --target /tmp/lifetimes-bench lifetimes`); without it
the comparison is skipped with a message.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import harness

CDNOW = harness.ROOT.parent / "shared" / "data" / "cdnow_sample_summary.csv"
TARGET_S = 1.0

LIFETIMES_SCRIPT = """
import json, sys, time
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
data = pd.read_csv(sys.argv[1])
repeat = data[data.x > 0]
times = []
for i in range(int(sys.argv[2]) + 1):
    start = time.perf_counter()
    bgf = BetaGeoFitter(penalizer_coef=0.0).fit(data["x"], data["t_x"], data["T"])
    ggf = GammaGammaFitter(penalizer_coef=0.0).fit(repeat["x"], repeat["zbar"])
    if i:  # the first run is the warm-up
        times.append(time.perf_counter() - start)
import lifetimes
print(json.dumps({"times": times, "version": lifetimes.__version__,
                  "bgnbd": bgf.params_.to_dict(), "gamma_gamma": ggf.params_.to_dict()}))
"""


def kith_fit(runs: int, cdnow: Path = CDNOW) -> dict[str, object]:
    import polars as pl

    from kith.insights.engine.clv import bgnbd_fit, gamma_gamma_fit

    data = pl.read_csv(cdnow)
    x, t_x, big_t, zbar = (data[c].to_numpy() for c in ("x", "t_x", "T", "zbar"))
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        bgnbd = bgnbd_fit(x, t_x, big_t)
        gamma_gamma = gamma_gamma_fit(x, zbar)
        if i:
            times.append(time.perf_counter() - start)
    return {
        "times": times,
        "bgnbd": {"r": bgnbd.r, "alpha": bgnbd.alpha, "a": bgnbd.a, "b": bgnbd.b},
        "gamma_gamma": {"p": gamma_gamma.p, "q": gamma_gamma.q, "v": gamma_gamma.v},
    }


def lifetimes_fit(runs: int, path: str, cdnow: Path = CDNOW) -> dict[str, object] | str:
    env = {**os.environ, "PYTHONPATH": path}
    try:
        done = subprocess.run(
            [sys.executable, "-c", LIFETIMES_SCRIPT, str(cdnow), str(runs)],
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "lifetimes did not finish in 15 minutes"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"lifetimes not importable from {path} ({last}); comparison skipped"
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(times: list[float]) -> str:
    ms = [t * 1000 for t in times]
    figures = harness.summary(ms)
    return (
        f"median {statistics.median(ms):.0f} ms, min {min(ms):.0f} ms, p95 {figures['p95_ms']:.0f} "
        f"ms, max {figures['max_ms']:.0f} ms over {len(times)} runs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--lifetimes-path", default="/tmp/lifetimes-bench")
    parser.add_argument(
        "--cdnow", type=Path, default=CDNOW, help="the CDNOW summary CSV (default: %(default)s)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    kith = kith_fit(args.runs, args.cdnow)
    other = lifetimes_fit(args.runs, args.lifetimes_path, args.cdnow)
    if args.json:
        print(json.dumps({"kith": kith, "lifetimes": other}))
        return
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, load {harness.loadavg()}")
    kith_times: list[float] = kith["times"]  # type: ignore[assignment]
    median = statistics.median(kith_times)
    print(
        f"kith:      {summary(kith_times)} — target < {TARGET_S:.0f} s: "
        f"{'met' if median < TARGET_S else 'NOT met'}"
    )
    print(f"           BG/NBD {kith['bgnbd']}")
    print(f"           Gamma-Gamma {kith['gamma_gamma']}")
    if isinstance(other, str):
        print(f"lifetimes: {other}")
        return
    print(f"lifetimes: {summary(other['times'])} (lifetimes {other['version']})")  # type: ignore[arg-type]
    print(f"           BG/NBD {other['bgnbd']}")
    print(f"           Gamma-Gamma {other['gamma_gamma']}")
    ratio = statistics.median(other["times"]) / median  # type: ignore[arg-type]
    print(f"kith is {ratio:.1f}x faster (medians)")


if __name__ == "__main__":
    main()
