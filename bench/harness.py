"""The one kit every benchmark in bench/ uses: a database, timing, percentiles, the machine's load
and a section of BENCHMARKS.md.

    import harness  # a script in bench/ has bench/ on sys.path

    with harness.database("postgres") as db:      # or "sqlite" (a fresh file under bench/results)
        ...load rows...
        client = harness.web_client(user)         # or harness.api_client(user)
        timings = harness.time_requests(lambda i: client.get(url), requests=100, cap=60)
        harness.summary(timings)                  # {"n", "p50_ms", "p95_ms", "p99_ms", "max_ms"}
        harness.section_write("Sales at scale: postgres", text)

`database()` starts a throw-away PostgreSQL 15 the way the `dev` script does (initdb
--locale=C.UTF-8, run as the `postgres` OS user when we are root, fsync off, a free loopback
port, deleted at exit) or opens a SQLite file, then runs django.setup() and migrate. Importing
this module puts src/ first on sys.path, so a bench measures the checkout it lives in. Heavy
benchmarks run under `flock /tmp/kith-bench.lock` (the machine is shared); the load average at
the start and end goes into every report (`Load`).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BENCHMARKS = ROOT / "BENCHMARKS.md"
LOCK = "/tmp/kith-bench.lock"

if str(ROOT / "src") not in sys.path[:1]:
    sys.path.insert(0, str(ROOT / "src"))


# --- the machine ----------------------------------------------------------------------------


def loadavg() -> tuple[float, float, float]:
    """The 1/5/15-minute load averages, rounded to 0.01."""
    one, five, fifteen = os.getloadavg()
    return round(one, 2), round(five, 2), round(fifteen, 2)


@dataclass
class Load:
    """The load averages at the start of a run (made) and at its end (`end()`)."""

    start: tuple[float, float, float] = field(default_factory=loadavg)
    started_at: str = field(
        default_factory=lambda: time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    )
    finish: tuple[float, float, float] | None = None
    finished_at: str = ""

    def end(self) -> Load:
        self.finish = loadavg()
        self.finished_at = time.strftime("%H:%M UTC", time.gmtime())
        return self

    def text(self) -> str:
        """'load average 1.42 / 1.45 / 0.97 at the start, 1.14 / 1.36 / 0.98 at the end'."""
        start = " / ".join(f"{x:.2f}" for x in self.start)
        if self.finish is None:
            return f"load average {start} at the start ({os.cpu_count()} cores)"
        finish = " / ".join(f"{x:.2f}" for x in self.finish)
        return (
            f"load average (1/5/15 min) {start} at the start, {finish} at the end "
            f"({os.cpu_count()} cores)"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "loadavg_start": list(self.start),
            "finished_at": self.finished_at,
            "loadavg_end": list(self.finish) if self.finish else None,
        }


# --- databases ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TempPostgres:
    """A throw-away PostgreSQL 15 cluster on a free loopback port, deleted by stop().

    The same server as `./dev pytest-pg` starts (initdb --locale=C.UTF-8, trust auth, fsync,
    synchronous_commit and full_page_writes off), with buffers sized for a 24 GB machine.
    """

    OPTIONS = (
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=1GB "
        "-c maintenance_work_mem=512MB -c max_wal_size=4GB"
    )

    def __init__(self) -> None:
        self.bin = self._find_bin()
        # The owner pid in the name tells whose server it is on a machine shared by benchmarks.
        self.dir = Path(tempfile.mkdtemp(prefix=f"kith-bench-pg-{os.getpid()}-"))
        self.port = free_port()

    @staticmethod
    def _find_bin() -> Path:
        for candidate in (
            Path("/usr/lib/postgresql/15/bin"),
            Path(shutil.which("initdb") or "/x/x").parent,
        ):
            if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
                return candidate.resolve()
        sys.exit("PostgreSQL 15 is needed: initdb/pg_ctl not found (apt-get install postgresql-15)")

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)

    def start(self) -> str:
        """Starts the server and creates database `kith`; returns its URL."""
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        data = self.dir / "data"
        self._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                  "--locale=C.UTF-8")  # fmt: skip
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} {self.OPTIONS}"
        self._run("pg_ctl", "-D", str(data), "-l", str(self.dir / "server.log"), "-w", "-t", "60",
                  "-o", options, "start")  # fmt: skip
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "kith")
        return f"postgres://postgres@127.0.0.1:{self.port}/kith"

    def stop(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


def sqlite_remove(path: Path) -> None:
    """Deletes a SQLite database and its journal files."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy even while another process uses the source (SQLite backup API)."""
    sqlite_remove(target)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    src.backup(dst, pages=65536)
    dst.close()
    src.close()


def django_setup(url: str, *, migrate: bool = True) -> None:
    """Points Kith at `url`, runs django.setup() and (by default) migrate."""
    os.environ["KITH_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kith.settings")
    os.environ.setdefault("KITH_ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def engine() -> str:
    """'SQLite 3.40.1' or 'PostgreSQL 15.18 (Debian …)' of the default connection."""
    from django.db import connection

    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        cursor.execute("select sqlite_version()" if sqlite else "show server_version")
        return ("SQLite " if sqlite else "PostgreSQL ") + str(cursor.fetchone()[0])


def analyze() -> None:
    """Fresh planner statistics after a bulk load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


@dataclass
class Database:
    vendor: str  # "sqlite" or "postgres"
    url: str
    engine: str
    path: Path | None = None  # the SQLite file


@contextmanager
def database(
    db: str,
    *,
    sqlite_path: Path | None = None,
    fresh: bool = True,
    copy_from: Path | None = None,
    migrate: bool = True,
) -> Iterator[Database]:
    """A benchmark's database with Django set up and migrated; a PostgreSQL server is deleted
    at exit.

    db="sqlite": `sqlite_path` (default bench/results/bench.sqlite3), deleted first when
    `fresh`, or a backup-API copy of `copy_from`. db="postgres": a TempPostgres.
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    postgres = None
    path = None
    if db == "postgres":
        postgres = TempPostgres()
        url = postgres.start()
    elif db == "sqlite":
        path = sqlite_path or RESULTS / "bench.sqlite3"
        if copy_from:
            print(f"copying {copy_from}", flush=True)
            sqlite_copy(copy_from, path)
        elif fresh:
            sqlite_remove(path)
        url = f"sqlite:///{path}"
    else:
        raise ValueError(f"unknown database {db!r}: sqlite or postgres")
    try:
        django_setup(url, migrate=migrate)
        yield Database(vendor=db, url=url, engine=engine(), path=path)
    finally:
        if postgres:
            from django.db import connections

            connections.close_all()
            postgres.stop()


# --- clients --------------------------------------------------------------------------------


def web_client(user: Any) -> Any:
    """Django's test Client signed in (session) as `user`."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def api_client(user: Any, *, name: str = "benchmark") -> Any:
    """Django's test Client sending a fresh API token of `user` with every request."""
    from django.test import Client

    from kith.identity.services import api_token_create

    _token, secret = api_token_create(user=user, name=name)
    return Client(headers={"Authorization": f"Bearer {secret}"})


# --- timing ---------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (fraction 0.95 → p95) of `values`."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(timings_ms: list[float]) -> dict[str, Any]:
    """n, p50, p95, p99 and max of a list of milliseconds, rounded to 0.1 ms."""
    return {
        "n": len(timings_ms),
        "p50_ms": round(percentile(timings_ms, 0.50), 1),
        "p95_ms": round(percentile(timings_ms, 0.95), 1),
        "p99_ms": round(percentile(timings_ms, 0.99), 1),
        "max_ms": round(max(timings_ms), 1),
    }


def time_calls(
    call: Callable[[int], Any],
    *,
    count: int,
    cap: float | None = None,
    check: Callable[[int, Any], None] | None = None,
) -> list[float]:
    """Milliseconds of call(0), call(1), … up to `count` calls or `cap` seconds in all;
    `check(i, result)` (not timed) may assert on each result."""
    timings: list[float] = []
    started = time.monotonic()
    for i in range(count):
        t0 = time.perf_counter()
        result = call(i)
        timings.append((time.perf_counter() - t0) * 1000)
        if check:
            check(i, result)
        if cap is not None and time.monotonic() - started > cap:
            break
    return timings


def time_requests(
    request: Callable[[int], Any], *, count: int, cap: float | None = None, warm: int = 1
) -> list[float]:
    """Milliseconds of `count` requests (request(i) returns a response; each must be 200),
    after `warm` untimed ones: the first request of a kind pays for imports and cold caches."""
    for i in range(warm):
        response = request(i)
        assert response.status_code == 200, (response.status_code, response.content[:300])

    def ok(i: int, response: Any) -> None:
        assert response.status_code == 200, (i, response.status_code, response.content[:300])

    return time_calls(request, count=count, cap=cap, check=ok)


# --- reporting ------------------------------------------------------------------------------


def table(header: list[str], rows: list[list[Any]], *, right_from: int = 2) -> list[str]:
    """A markdown table; columns from `right_from` on are right-aligned (numbers)."""
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def section_write(title: str, body: str, *, level: int = 2, path: Path = BENCHMARKS) -> None:
    """Writes `body` under the heading `title` in BENCHMARKS.md: replaces the section with that
    heading (up to the next heading of the same or a higher level) or appends it."""
    marks = "#" * level
    heading = f"{marks} {title}"
    section = f"{heading}\n\n{body.strip()}\n"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^#{{1,{level}}} |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text.rstrip() + "\n")
