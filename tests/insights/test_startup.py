"""A web worker and `kith --help` start without the analytics libraries (issue #9, item 8)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = ("polars", "numpy", "scipy", "sklearn", "duckdb", "splink", "pyarrow")
_BOOT = (
    "import json, sys, django; django.setup(); import kith.urls, kith.cli.app; "
    f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
)


def test_django_setup_and_the_url_conf_import_no_analytics_library():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kith.settings"}
    out = subprocess.run(
        [sys.executable, "-c", _BOOT], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
