"""Where the shared data sets (../shared/data: Febrl, CDNOW) are: $KITH_SHARED_DATA, else the
`shared/data` folder beside the checkout (how the team's machines and CI lay it out)."""

from __future__ import annotations

import os
from pathlib import Path

_CANDIDATES = (
    os.environ.get("KITH_SHARED_DATA", ""),
    str(Path(__file__).resolve().parents[2] / "shared" / "data"),
    "/work/shared/data",
)


def shared_data_dir() -> Path:
    for candidate in _CANDIDATES:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    raise FileNotFoundError(
        "the shared data sets are missing: set KITH_SHARED_DATA to the folder with febrl1.csv "
        "and cdnow_sample_summary.csv"
    )


SHARED_DATA = shared_data_dir()
