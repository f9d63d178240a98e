"""How many threads scikit-learn's OpenMP loops may use.

On a busy machine (a shared CI box, a web server also running the scoring job) OpenMP threads
spin waiting for cores they do not get: a 24,000-row gradient boosting fit took 19 s with every
core asked for and 0.6 s with one, and at 1M customers the churn drivers' predictions took ~9 s
each with both cores of a loaded machine. So the engine uses one thread unless told otherwise:
set KITH_INSIGHTS_THREADS to the number of cores on a machine that runs nothing else meanwhile
(inputs under PARALLEL_ROWS rows still use one, as coordinating threads costs more than it saves).
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager

from threadpoolctl import threadpool_limits

PARALLEL_ROWS = 500_000


def threads_for(rows: int) -> AbstractContextManager[object]:
    """A context capping OpenMP/BLAS threads: KITH_INSIGHTS_THREADS (default 1) for inputs of at
    least PARALLEL_ROWS rows, 1 below."""
    threads = max(1, int(os.environ.get("KITH_INSIGHTS_THREADS", "1") or 1))
    return threadpool_limits(limits=threads if rows >= PARALLEL_ROWS else 1)
