"""Settings for the test suite: Kith's, plus the door app that plugs into every door."""

import os
from pathlib import Path

# A key of the tests' own (Kith refuses the public development key with debug off); processes
# the tests start inherit it.
os.environ.setdefault("KITH_SECRET_KEY", "kith-tests-only-" + "x" * 40)

from kith.settings import *  # noqa: F403
from kith.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.door_app"]

# Processes the tests start (the installed `kith` script) load these settings too.
_ROOT = str(Path(__file__).resolve().parent.parent)
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, (_ROOT, os.environ.get("PYTHONPATH"))))
