# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What every benchmark shares: statistics, tables, verdicts, child processes and ansible-playbook.

The benchmarks measure on a noisy 2-core machine, so each figure is the median of
several runs taken in turns (A, B, A, B...) and comparisons are ratios of medians.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".cache" / "bench"
COLLECTIONS = REPO / ".collections"
PYTHON = sys.executable
TOKEN = "bench-token"
SEED = 1
API_PER_PAGE = 200  # the client's default page size, the API's largest

SIMULATOR_MODULE = "ansible_collections.snapfleet.digitalocean.tests.simulator"
LISTING_MODULE = "ansible_collections.snapfleet.digitalocean.benchmarks.listing"


# ---------------------------------------------------------------------------- settings and results

@dataclass
class Settings:
    """How a run was asked for: ``quick`` shrinks every size and runs each measurement once."""

    quick: bool = False
    repeat: int | None = None  # overrides every benchmark's repetitions when set

    def reps(self, normal: int) -> int:
        """Repetitions of one measurement: ``normal`` unless quick or overridden."""
        if self.repeat is not None:
            return self.repeat
        return 1 if self.quick else normal


@dataclass
class Table:
    """One results table, rendered as Markdown (readable as plain text on a terminal too)."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: Any) -> None:
        """Append a row; it must have one cell per column."""
        if len(cells) != len(self.columns):
            raise ValueError(f"{self.title}: row has {len(cells)} cells for {len(self.columns)} columns")
        # A cell is one line: a multi-line message (pip's, a traceback's tail) would break the table.
        self.rows.append([" ".join(str(c).split("\n")) for c in cells])

    def markdown(self) -> str:
        """The table with its title and notes."""
        lines = [f"### {self.title}", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "|".join(["---"] * len(self.columns)) + "|")
        lines.extend("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in self.rows)
        if self.notes:
            lines.append("")
            lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines) + "\n"


@dataclass
class Target:
    """One promise of the issue, what was measured against it and the verdict."""

    promise: str
    measured: str
    verdict: str  # PASS, FAIL or n/a (not measured in this run, with the reason in ``measured``)


@dataclass
class Result:
    """What one benchmark hands back: its tables, its target verdicts and the raw measurements."""

    name: str
    tables: list[Table] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


# ---------------------------------------------------------------------------- statistics and formatting

def median(values: Iterable[float]) -> float:
    """The median, or NaN for no values."""
    values = list(values)
    return statistics.median(values) if values else math.nan


def seconds(value: float) -> str:
    """``1.23 s``; small values keep three decimals."""
    if math.isnan(value):
        return "-"
    return f"{value:.3f} s" if value < 1 else f"{value:.2f} s"


def signed_seconds(value: float) -> str:
    """``+0.123 s`` or ``-0.123 s``: a difference of two times."""
    return "-" if math.isnan(value) else ("+" if value >= 0 else "-") + seconds(abs(value))


def spread(values: Sequence[float], fmt: Any = seconds) -> str:
    """``median (min-max)`` of several runs, or the one value of a single run."""
    if not values:
        return "-"
    if len(values) == 1:
        return fmt(values[0])
    return f"{fmt(median(values))} ({fmt(min(values))}-{fmt(max(values))})"


def megabytes(kib: float) -> str:
    """KiB (what getrusage reports on Linux) as ``12.3 MB`` (MiB)."""
    return "-" if math.isnan(kib) else f"{kib / 1024:.1f} MB"


def ratio(numerator: float, denominator: float) -> str:
    """``12.3x``, or ``-`` when either side is missing."""
    if math.isnan(numerator) or math.isnan(denominator) or denominator <= 0:
        return "-"
    return f"{numerator / denominator:.1f}x" if numerator / denominator >= 10 else f"{numerator / denominator:.2f}x"


def count(n: int) -> str:
    """``10,000``."""
    return f"{n:,}"


def pages(snapshots: int, per_page: int = API_PER_PAGE) -> int:
    """Requests one whole listing needs: page 1 says the total, every other page follows."""
    return max(1, math.ceil(snapshots / per_page))


# ---------------------------------------------------------------------------- the simulator's request log

def span(records: Sequence[Any]) -> float:
    """Seconds from the first request's start to the last answer, from the simulator's log."""
    if not records:
        return math.nan
    return max(r.finished for r in records) - min(r.started for r in records)


def listings(records: Sequence[Any], path: str = "/v2/snapshots") -> int:
    """How many listings the log shows: every listing starts by asking page 1."""
    return sum(1 for r in records if r.path == path and r.query.get("page", "1") == "1")


# ---------------------------------------------------------------------------- child processes

def child_env(**extra: str) -> dict[str, str]:
    """The environment of every child: the work tree imports as the installed collection."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(COLLECTIONS), env.get("PYTHONPATH", "")) if p)
    env["PATH"] = os.pathsep.join((str(Path(PYTHON).parent), env.get("PATH", "")))
    env.update(extra)
    return env


def run_listing(url: str, strategy: str, tracemalloc: bool = False, timeout: float = 900,
                concurrency: int | None = None, burst_window: float | None = None,
                rate_limit_per_minute: int | None = None) -> dict[str, Any]:
    """List every snapshot with the client alone in a fresh process (benchmarks/listing.py); return its report."""
    command = [PYTHON, "-m", LISTING_MODULE, "--url", url, "--token", TOKEN, "--strategy", strategy]
    if tracemalloc:
        command.append("--tracemalloc")
    if concurrency is not None:
        command += ["--concurrency", str(concurrency)]
    if burst_window is not None:
        command += ["--burst-window", str(burst_window)]
    if rate_limit_per_minute is not None:
        command += ["--rate-limit-per-minute", str(rate_limit_per_minute)]
    done = subprocess.run(command, capture_output=True, text=True, env=child_env(), timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"listing child failed (rc={done.returncode}): {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def simulator_process(snapshots: int, latency_ms: float = 0.0, seed: int = SEED) -> Iterator[str]:
    """Serve ``snapshots`` from the simulator's CLI in its own process; yield its URL.

    A process of its own so that the server's memory is never counted as the client's.
    Rate limiting is off: the benchmarks list the same account many times in a minute.
    """
    with tempfile.TemporaryDirectory(prefix="snapfleet-bench-sim-") as tmp:
        ready = Path(tmp) / "url"
        command = [PYTHON, "-m", SIMULATOR_MODULE, "--count", str(snapshots), "--seed", str(seed),
                   "--token", TOKEN, "--latency-ms", str(latency_ms), "--port", "0",
                   "--ready-file", str(ready), "--rate-limit", "0"]
        proc = subprocess.Popen(command, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120
            while not ready.exists():
                if proc.poll() is not None:
                    raise RuntimeError(f"simulator exited (rc={proc.returncode}): {proc.stderr.read()[-2000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError("simulator did not become ready within 120 s")
                time.sleep(0.02)
            yield ready.read_text(encoding="utf-8").strip()
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()


class Ansible:
    """A hermetic place to run ansible-playbook: own config file, temp dirs, inventory and extra vars.

    Every host is ``ansible_connection=local`` with the venv's Python, so interpreter
    discovery never meets a broken pyenv shim.
    """

    def __init__(self, workdir: Path, hosts: Sequence[str], collections: Sequence[Path] = ()) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "ansible.cfg").write_text("[defaults]\nretry_files_enabled = false\n", encoding="utf-8")
        (workdir / "inventory.ini").write_text(
            "".join(f"{h} ansible_connection=local ansible_python_interpreter={PYTHON}\n" for h in hosts),
            encoding="utf-8")
        paths = [COLLECTIONS, *collections]
        self.env = child_env(
            ANSIBLE_CONFIG=str(workdir / "ansible.cfg"),
            ANSIBLE_COLLECTIONS_PATH=os.pathsep.join(map(str, paths)),
            ANSIBLE_LOCAL_TEMP=str(workdir / "tmp"),
            ANSIBLE_REMOTE_TEMP=str(workdir / "remote-tmp"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
        )
        self.playbook = str(Path(PYTHON).parent / "ansible-playbook")

    def write(self, name: str, text: str) -> Path:
        """Write a playbook, template or vars file into the work dir."""
        path = self.workdir / name
        path.write_text(text, encoding="utf-8")
        return path

    def run(self, playbook: str, extra_vars: dict[str, Any], *args: str, timeout: float = 900) -> tuple[int, float, str]:
        """Run a playbook; return (exit code, wall seconds of the whole ansible-playbook, its output)."""
        rc, wall, _cpu, output = self.measure(playbook, extra_vars, *args, timeout=timeout)
        return rc, wall, output

    def measure(self, playbook: str, extra_vars: dict[str, Any], *args: str,
                timeout: float = 900) -> tuple[int, float, float, str]:
        """Run a playbook; return (exit code, wall seconds, CPU seconds, output).

        CPU seconds are user + system of the whole ansible-playbook process tree: os.wait4's
        rusage of the ansible-playbook process, which on Linux includes every descendant it
        waited for (its workers, and the module processes they ran).
        """
        vars_file = self.write("extra-vars.json", json.dumps(extra_vars))
        command = [self.playbook, "-i", "inventory.ini", "-e", f"@{vars_file}", playbook, *args]
        with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as output:
            started = time.perf_counter()
            proc = subprocess.Popen(command, cwd=self.workdir, env=self.env, stdout=output, stderr=subprocess.STDOUT)
            timer = threading.Timer(timeout, proc.kill)
            timer.start()
            try:
                _pid, status, usage = os.wait4(proc.pid, 0)
            finally:
                timer.cancel()
            wall = time.perf_counter() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
            output.seek(0)
            text = output.read()
        return proc.returncode, wall, usage.ru_utime + usage.ru_stime, text


def tail(text: str, lines: int = 15) -> str:
    """The last lines of a command's output, for an error message."""
    return "\n".join(text.strip().splitlines()[-lines:])
