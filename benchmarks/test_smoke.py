# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Smoke test of the benchmarks: ``run.py --quick`` runs every benchmark and writes well-formed tables.

It never asserts on times (they belong to ``make bench``); it asserts the shape of the
results file and the exact request and listing counts, which do not depend on the machine.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.snapfleet.digitalocean.benchmarks.harness import Table
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.defaults import CONCURRENCY as DEFAULT_CONCURRENCY

REPO = Path(__file__).resolve().parent.parent
RUN = REPO / "benchmarks" / "run.py"
VERDICTS = {"PASS", "FAIL", "n/a"}


def run(*args: str, timeout: float = 170) -> subprocess.CompletedProcess[str]:
    """Run benchmarks/run.py with the test's interpreter and environment."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO / ".collections"), env.get("PYTHONPATH", "")) if p)
    return subprocess.run([sys.executable, str(RUN), *args], capture_output=True, text=True, env=env,
                          timeout=timeout, check=False)


def tables(text: str) -> dict[str, list[list[str]]]:
    """Every Markdown table under a ``### title``, as rows of cells (header first), checked for shape."""
    found: dict[str, list[list[str]]] = {}
    title = None
    rows: list[list[str]] = []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            assert line.endswith("|"), line
            rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line[1:-1])])
            continue
        if rows:
            assert title is not None, f"a table without a title: {rows[0]}"
            header, separator, *body = rows
            assert all(re.fullmatch(r"-{3,}", cell) for cell in separator), separator
            assert len(separator) == len(header), title
            assert body, f"table {title!r} has no rows"
            for row in body:
                assert len(row) == len(header), f"{title}: {row}"
                assert all(row), f"{title}: an empty cell in {row}"
            found[title] = [header, *body]
            rows = []
        if line.startswith("### "):
            title = line[4:]
    return found


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    """One ``--quick`` run of every benchmark: (results.md text, raw JSON)."""
    out = tmp_path_factory.mktemp("bench")
    done = run("--quick", "--output", str(out / "results.md"), "--json", str(out / "raw.json"))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return (out / "results.md").read_text(encoding="utf-8"), json.loads((out / "raw.json").read_text(encoding="utf-8"))


def test_results_file_is_well_formed(quick: tuple[str, dict]) -> None:
    text, raw = quick
    assert text.startswith("# snapfleet.digitalocean benchmarks\n")
    assert "Reproduce: `make bench`" in text
    assert "Quick run (`--quick`)" in text
    assert raw["errors"] == {}
    for section in ("## client", "## limits", "## playbook", "## cpu", "## lookup", "## memory", "## per_host",
                    "## coverage"):
        assert section in text
    found = tables(text)
    assert set(found) == {
        "Targets",
        "Listing 1,000 snapshots with the client alone",
        "Concurrency: 1,000 snapshots (5 pages) at 50 ms",
        "Listing 6,000 snapshots (30 pages) under the documented limits (5,000/hour, 25/minute), a minute lasting 1.00 s",
        "A whole ansible-playbook run listing 1,000 snapshots (one host, connection local)",
        "CPU of a whole ansible-playbook run returning 1,000 snapshots (user + system, process tree)",
        "Where the client's CPU goes (benchmarks/listing.py, 1,000 snapshots, 0 ms)",
        "A template with the snapshots lookup (400 snapshots, 2 requests per listing, 10 ms latency)",
        "Peak memory of the client alone (listing process; simulator in another process)",
        "5 hosts, each asking for its own Droplet's newest snapshot (400 Droplet snapshots, 2 pages of 200; 5 forks, "
        "10 ms latency)",
        "A coverage question: 1,000 snapshots over 100 sources (10 GPU Droplets)",
    }


def test_every_target_has_a_verdict(quick: tuple[str, dict]) -> None:
    text, raw = quick
    header, *rows = tables(text)["Targets"]
    assert header == ["#", "target", "measured", "verdict"]
    assert [row[0] for row in rows] == [str(i) for i in range(1, 12)]
    assert all(row[3] in VERDICTS for row in rows)
    assert [t["verdict"] for t in raw["targets"]] == [row[3] for row in rows]
    # --quick never fetches community.digitalocean, and says so.
    assert rows[3][2] == "unavailable: not run with --quick"
    assert rows[3][3] == "n/a"


def test_client_table_counts_requests_exactly(quick: tuple[str, dict]) -> None:
    text, raw = quick
    header, *rows = tables(text)["Listing 1,000 snapshots with the client alone"]
    assert [(row[0], row[3]) for row in rows] == [
        (latency, requests) for latency in ("0 ms", "10 ms", "50 ms") for requests in ("5", "26")
    ]
    runs = dict(raw["results"]["client"]["runs"])
    sweep = runs.pop("concurrency")
    # 1,000 snapshots: 5 pages of 200; sequential: the account probe + 25 pages of 40.
    assert {key: [(r["snapshots"], r["server_requests"], r["requests"]) for r in rs] for key, rs in runs.items()} == {
        f"{latency}ms/{strategy}": [(1000, n, n)]
        for latency in (0, 10, 50) for strategy, n in (("client", 5), ("sequential", 26))
    }
    assert {level: [(r["snapshots"], r["server_requests"]) for r in rs] for level, rs in sweep.items()} == {
        "8": [(1000, 5)], str(DEFAULT_CONCURRENCY): [(1000, 5)]}
    assert all(r["max_in_flight"] <= int(level) for level, rs in sweep.items() for r in rs)


def test_limits_and_cpu_counts(quick: tuple[str, dict]) -> None:
    _text, raw = quick
    limits = raw["results"]["limits"]["runs"]
    # 30 pages against a burst of 25 a "minute": the paced client meets at most a handful of 429s,
    # and every page is read; unpaced, the API's 429s must show (the simulator really limits).
    paced, unpaced = limits["paced"], limits["unpaced"]
    assert [r["snapshots"] for r in paced + unpaced] == [6000, 6000]
    assert all(r["answers_429"] <= 5 and r["server_requests"] == 30 + r["answers_429"] for r in paced)
    assert unpaced[0]["answers_429"] >= 1
    cpu = raw["results"]["cpu"]
    assert [sorted(one) for one in cpu["rounds"]] == [["snapfleet", "trivial"]]
    assert all(v["cpu"] > 0 for one in cpu["rounds"] for v in one.values())
    assert [(r["snapshots"], r["requests"]) for r in cpu["breakdown"]] == [(1000, 5)]
    assert all(r["import_cpu"] > 0 and r["cpu"] > 0 for r in cpu["breakdown"])


def test_lookup_and_playbook_counts(quick: tuple[str, dict]) -> None:
    _text, raw = quick
    lookup = raw["results"]["lookup"]["runs"]
    assert {label: [(r["listings"], r["requests"]) for r in rs] for label, rs in lookup.items()} == {
        "uncached": [(5, 10)],  # one listing per host: each host renders in its own worker process
        "cached": [(1, 2)],
        "five uncached": [(5, 10)],  # each use reads the API: the lookup keeps no memo of a rendering
    }
    playbook = raw["results"]["playbook"]["runs"]
    assert {key: [r["requests"] for r in rs] for key, rs in playbook.items()} == {
        "snapfleet/50ms": [5], "snapfleet/0ms": [5]}


def test_per_host_counts(quick: tuple[str, dict]) -> None:
    _text, raw = quick
    runs = raw["results"]["per_host"]["runs"]
    # 5 hosts, 400 Droplet snapshots (2 pages): the Droplet route is 1 listing + 1 GET a host; the account
    # listing 2 pages a host, or 2 in all through the lookup's cache.
    assert {label: [(r["requests"], r["droplet_listings"], r["gets"], r["account_pages"]) for r in rs]
            for label, rs in runs.items()} == {
        "module, resource_id": [(10, 5, 5, 0)],
        "module, resource_type: droplet + Jinja": [(10, 0, 0, 10)],
        "lookup, resource_id": [(10, 5, 5, 0)],
        "lookup, resource_type=droplet, cache=true + Jinja": [(2, 0, 0, 2)],
        "lookup, resource_type=droplet + Jinja": [(10, 0, 0, 10)],
    }
    assert [t["verdict"] for t in raw["targets"]][-1] == "PASS"


def test_memory_counts(quick: tuple[str, dict]) -> None:
    _text, raw = quick
    runs = raw["results"]["memory"]["runs"]
    assert {size: [(r["snapshots"], r["requests"]) for r in rs] for size, rs in runs.items()} == {
        "1000": [(1000, 5)], "10000": [(10000, 50)]}
    assert all(r["traced_peak_bytes"] > 0 for r in raw["results"]["memory"]["traced"].values())


def test_unknown_benchmark_is_refused() -> None:
    done = run("--only", "nope", timeout=60)
    assert done.returncode == 2
    assert "argument --only: invalid choice: 'nope'" in done.stderr


def test_table_rows_must_match_the_columns() -> None:
    table = Table("t", ["a", "b"])
    table.add(1, "x|y")
    with pytest.raises(ValueError, match="t: row has 1 cells for 2 columns"):
        table.add(1)
    assert table.markdown() == "### t\n\n| a | b |\n|---|---|\n| 1 | x\\|y |\n"
