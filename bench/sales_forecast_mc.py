"""Benchmark: the Monte Carlo sales forecast for 100,000 open deals × 10,000 draws (target < 5 s).

    flock /work/wt/_bench.lock .venv/bin/python bench/sales_forecast_mc.py [--deals 100000]
        [--draws 10000] [--runs 3] [--write]

Synthetic open deals (log-normal amounts, Beta win probabilities × a close-in-period chance)
spread over 40 reps × 3 pipelines (120 cells); times kith.insights.engine.forecast_mc
revenue_simulate plus the per-rep, per-team and per-pipeline summaries, reports the median of
the timed runs, the peak memory of one more, untimed run (tracemalloc) and the gap between the simulated and
exact mean and standard deviation. --write replaces its section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np

import harness

TARGET_S = 5.0


def run(deals: int, draws: int, runs: int) -> dict[str, float]:
    from kith.insights.engine.forecast_mc import (
        cells_group,
        distribution_summary,
        moments_exact,
        revenue_simulate,
    )

    rng = np.random.default_rng(42)
    amounts = rng.lognormal(8.5, 1.0, deals)
    probs = rng.beta(2, 3, deals) * rng.uniform(0.3, 1.0, deals)
    reps, pipelines = 40, 3
    cells = rng.integers(0, reps * pipelines, deals)
    rep_of_cell = np.arange(reps * pipelines) // pipelines
    team_of_cell = rep_of_cell // 8
    pipeline_of_cell = np.arange(reps * pipelines) % pipelines

    def once(seed: int) -> tuple[float, np.ndarray]:
        start = time.perf_counter()
        samples = revenue_simulate(
            amounts=amounts, probabilities=probs, cells=cells, draws=draws, seed=seed
        )
        for groups in (rep_of_cell, team_of_cell, pipeline_of_cell):
            grouped = cells_group(samples, groups)
            for column in range(grouped.shape[1]):
                distribution_summary(grouped[:, column], quota=float(grouped[:, column].mean()))
        total = samples.sum(axis=1)
        return time.perf_counter() - start, total

    times = []
    for i in range(runs):
        seconds, total = once(i)
        times.append(seconds)
    # Memory in a run of its own: tracemalloc slows NumPy's allocations (2.4 times here).
    tracemalloc.start()
    once(runs)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    mean, var = moments_exact(amounts, probs)
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "peak_mb": peak / 1e6,
        "mean_gap": abs(total.mean() - mean) / mean,
        "sd_gap": abs(total.std() - var**0.5) / var**0.5,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    load = harness.Load()
    figures = run(args.deals, args.draws, args.runs)
    load.end()
    verdict = "under" if figures["median_s"] < TARGET_S else "OVER"
    lines = [
        f"`flock /work/wt/_bench.lock .venv/bin/python bench/sales_forecast_mc.py --write` "
        f"({load.text()})",
        "",
        *harness.table(
            ["case", "runs", "median s", "min / max s", "peak memory MB", "mean / sd gap"],
            [
                [
                    f"{args.deals:,} open deals × {args.draws:,} draws, 120 cells, "
                    "per rep / team / pipeline P10-P50-P90 and P(quota)",
                    args.runs,
                    f"**{figures['median_s']:.2f}** ({verdict} {TARGET_S:.0f} s)",
                    f"{figures['min_s']:.2f} / {figures['max_s']:.2f}",
                    f"{figures['peak_mb']:.0f}",
                    f"{figures['mean_gap']:.2%} / {figures['sd_gap']:.2%}",
                ]
            ],
            right_from=1,
        ),
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        harness.section_write("Sales: Monte Carlo forecast (bench/sales_forecast_mc.py)", text)


if __name__ == "__main__":
    main()
