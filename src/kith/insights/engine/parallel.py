"""How many threads scikit-learn's OpenMP loops may use.

On a busy machine (a shared CI box, a web server also running the scoring job) OpenMP threads
spin waiting for cores they do not get: a 24,000-row gradient boosting fit took 19 s with every
core asked for and 0.6 s with one. Small inputs therefore run on one thread; only inputs big
enough to repay the coordination use all cores.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from threadpoolctl import threadpool_limits

# Below this many rows a fit or a prediction runs on one thread.
PARALLEL_ROWS = 500_000


def threads_for(rows: int) -> AbstractContextManager[object]:
    """A context that caps OpenMP/BLAS threads at 1 for fewer than PARALLEL_ROWS rows."""
    return threadpool_limits(limits=1 if rows < PARALLEL_ROWS else None)
