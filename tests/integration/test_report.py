# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTML snapshot report (examples/report.yml): every number it shows, checked.

The report playbook runs for real (ansible-playbook, the snapshots lookup, the template)
against an in-process simulator; the generated HTML is parsed with the standard library's
``html.parser`` and each count, size, oldest/newest snapshot and cost is compared with
values computed here, with ``Decimal``, from ``sim.snapshots``.
"""

from __future__ import annotations

import json
import typing as t
from collections import defaultdict
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import Ansible, PlaybookRun

from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator, make_snapshots

REPORT_PLAYBOOK = Path(__file__).resolve().parents[2] / "examples" / "report.yml"
RENDER_TASK = "Render the report"
# The demo's data: its total, 21,429.25 GB x $0.06 = $1,285.755, sits exactly on a half cent,
# which a float computation rounds down; the report must round it up.
COUNT = 300
SEED = 7
PUBLISHED_PRICE = Decimal("0.06")
#: Elements whose text holds a number (no child elements).
VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})


# ---------------------------------------------------------------------------- reading the HTML

class Cell(t.NamedTuple):
    """One table cell: its text pieces (stripped, non-empty) and the ``datetime`` of its <time> elements."""

    texts: list[str]
    datetimes: list[str]


class ReportParser(HTMLParser):
    """Collects the text of every element with an ``id`` and the rows of every table with an ``id``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text_by_id: dict[str, str] = {}
        # table id -> section (thead/tbody/tfoot) -> rows -> cells
        self.tables: dict[str, dict[str, list[list[Cell]]]] = {}
        self._open: list[tuple[str, str | None]] = []  # (tag, id) of the open elements
        self._chunks: dict[str, list[str]] = {}  # id -> text so far, while the element is open
        self._table: str | None = None
        self._section = "tbody"
        self._cell: Cell | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        element_id = attributes.get("id")
        if tag not in VOID_TAGS:
            self._open.append((tag, element_id))
            if element_id:
                self._chunks[element_id] = []
        if tag == "table" and element_id:
            self._table = element_id
            self.tables[element_id] = {"thead": [], "tbody": [], "tfoot": []}
        elif self._table is None:
            return
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        elif tag == "tr":
            self.tables[self._table][self._section].append([])
        elif tag in ("td", "th"):
            self._cell = Cell([], [])
            self.tables[self._table][self._section][-1].append(self._cell)
        elif tag == "time" and self._cell is not None:
            self._cell.datetimes.append(attributes.get("datetime") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            return
        open_tag, element_id = self._open.pop()
        assert open_tag == tag, "unbalanced HTML: <%s> closed by </%s>" % (open_tag, tag)
        if element_id:
            self.text_by_id[element_id] = " ".join("".join(self._chunks.pop(element_id)).split())
        if tag == "table":
            self._table = None
        elif tag in ("td", "th"):
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text += data
        for chunks in self._chunks.values():
            chunks.append(data)
        if self._cell is not None and data.strip():
            self._cell.texts.append(" ".join(data.split()))


def parse(path: Path) -> ReportParser:
    """Parse the generated report; every element must be closed."""
    parser = ReportParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    assert parser._open == [], "unclosed elements: %r" % parser._open
    return parser


def texts(rows: list[list[Cell]]) -> list[list[str]]:
    """Each row as the text of its cells (pieces joined by a space)."""
    return [[" ".join(cell.texts) for cell in row] for row in rows]


# ---------------------------------------------------------------------------- expected values

def gb(snapshots: t.Iterable[dict]) -> Decimal:
    """Total size, exactly (the API's sizes have two decimals)."""
    return sum((Decimal(str(s["size_gigabytes"])) for s in snapshots), Decimal(0))


def show_gb(size: Decimal) -> str:
    return "{:,.2f}".format(size)


def show_usd(size: Decimal, price: Decimal) -> str:
    """The cost as the report shows it: size x price, rounded half up to the cent."""
    return "${:,.2f}".format((size * price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def show_time(created_at: str) -> str:
    return "%s %s" % (created_at[:10], created_at[11:16])


def expected_type_rows(kept: list[dict], price: Decimal) -> list[list[str]]:
    by_type: dict[str, list[dict]] = defaultdict(list)
    for snapshot in kept:
        by_type[snapshot["resource_type"]].append(snapshot)
    return [[kind, str(len(members)), show_gb(gb(members)), show_usd(gb(members), price)]
            for kind, members in sorted(by_type.items())]


def expected_region_rows(kept: list[dict]) -> list[list[str]]:
    """A snapshot counts in the row of each of its regions."""
    by_region: dict[str, list[dict]] = defaultdict(list)
    for snapshot in kept:
        for region in snapshot["regions"]:
            by_region[region].append(snapshot)
    # The last cell holds only a bar (no text).
    return [[region, str(len(members)), show_gb(gb(members)), ""] for region, members in sorted(by_region.items())]


def expected_resource_rows(kept: list[dict]) -> tuple[list[list[str]], list[list[str]]]:
    """Rows (type, then resource id, in order) as text, and the datetimes of their oldest/newest cells."""
    by_resource: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for snapshot in kept:
        by_resource[(snapshot["resource_type"], snapshot["resource_id"])].append(snapshot)
    rows, datetimes = [], []
    for (kind, resource_id), members in sorted(by_resource.items()):
        oldest = min(members, key=lambda s: s["created_at"])
        newest = max(members, key=lambda s: s["created_at"])
        rows.append([kind, resource_id, str(len(members)), show_gb(gb(members)),
                     "%s %s" % (oldest["name"], show_time(oldest["created_at"])),
                     "%s %s" % (newest["name"], show_time(newest["created_at"]))])
        datetimes.append([oldest["created_at"], newest["created_at"]])
    return rows, datetimes


# ---------------------------------------------------------------------------- the runs

@pytest.fixture(scope="module")
def report_sim() -> t.Iterator[Simulator]:
    """The demo's account: 300 snapshots, seed 7."""
    server = Simulator(snapshots=make_snapshots(count=COUNT, seed=SEED), token="sim-token-report").start()
    try:
        yield server
    finally:
        server.stop()


def render(ansible: Ansible, sim: Simulator, output: Path, **extra: t.Any) -> tuple[PlaybookRun, ReportParser]:
    """Run examples/report.yml writing to ``output``; return the run and the parsed report."""
    run = ansible.run(str(REPORT_PLAYBOOK), sim=sim, extra_vars={"report_output": str(output), **extra})
    assert run.rc == 0, run.describe()
    assert run.result(RENDER_TASK)["changed"] is True, run.describe()
    return run, parse(output)


@pytest.fixture(scope="module")
def full(module_ansible: Ansible, report_sim: Simulator) -> tuple[PlaybookRun, ReportParser]:
    """The whole account at the published price, to a path given as an extra var."""
    return render(module_ansible, report_sim, module_ansible.workdir / "reports" / "full.html")


# ---------------------------------------------------------------------------- the tests

def test_totals(full: tuple[PlaybookRun, ReportParser], report_sim: Simulator) -> None:
    _run, report = full
    snaps = report_sim.snapshots
    assert report.text_by_id["total-count"] == str(COUNT)
    assert report.text_by_id["total-size"] == show_gb(gb(snaps)) == "21,429.25"
    # 21,429.25 x 0.06 = 1,285.755: half a cent, rounded up.
    assert report.text_by_id["total-cost"] == show_usd(gb(snaps), PUBLISHED_PRICE) == "$1,285.76"
    text = " ".join(report.text.split())
    assert "of %d Droplets and volumes" % len({s["resource_id"] for s in snaps}) in text
    assert "in %d regions" % len({r for s in snaps for r in s["regions"]}) in text
    assert "a month, at $0.06 per GiB" in text


def test_per_resource_type(full: tuple[PlaybookRun, ReportParser], report_sim: Simulator) -> None:
    _run, report = full
    snaps = report_sim.snapshots
    table = report.tables["by-type"]
    assert texts(table["thead"]) == [["Type", "Snapshots", "Size (GB)", "Cost / month"]]
    assert texts(table["tbody"]) == expected_type_rows(snaps, PUBLISHED_PRICE)
    assert texts(table["tfoot"]) == [["Total", str(COUNT), show_gb(gb(snaps)), show_usd(gb(snaps), PUBLISHED_PRICE)]]


def test_per_region_counts_a_snapshot_in_each_of_its_regions(
        full: tuple[PlaybookRun, ReportParser], report_sim: Simulator) -> None:
    _run, report = full
    snaps = report_sim.snapshots
    table = report.tables["by-region"]
    rows = texts(table["tbody"])
    assert rows == expected_region_rows(snaps)
    # The data has snapshots kept in two and three regions, so the rows add up to more than the total.
    assert sum(int(row[1]) for row in rows) == sum(len(s["regions"]) for s in snaps) > COUNT
    assert texts(table["tfoot"]) == [["Total, each snapshot once", str(COUNT), show_gb(gb(snaps)), ""]]
    assert "counted in each of those regions' rows, but once in the total" in report.text


def test_oldest_and_newest_per_resource(full: tuple[PlaybookRun, ReportParser], report_sim: Simulator) -> None:
    _run, report = full
    table = report.tables["by-resource"]
    rows, datetimes = expected_resource_rows(report_sim.snapshots)
    assert len(rows) == len({s["resource_id"] for s in report_sim.snapshots}) == 70
    assert texts(table["tbody"]) == rows
    assert [[dt for cell in row for dt in cell.datetimes] for row in table["tbody"]] == datetimes


def test_states_the_price_and_where_it_comes_from(full: tuple[PlaybookRun, ReportParser], report_sim: Simulator) -> None:
    _run, report = full
    note = report.text_by_id["price-note"]
    assert "$0.06 per GiB per month, as published on digitalocean.com/pricing, checked 2026-11" in note
    assert "each snapshot is counted once" in note
    assert "%d snapshots read from %s" % (COUNT, report_sim.url) in " ".join(report.text.split())


def test_lists_the_account_once(full: tuple[PlaybookRun, ReportParser], report_sim: Simulator) -> None:
    """One use of the lookup in the template, one listing: two pages of 200, nothing else."""
    run, _report = full
    sent = [(r.path, r.query.get("page"), r.status) for r in run.requests(RENDER_TASK)]
    assert sorted(sent) == [("/v2/snapshots", "1", 200), ("/v2/snapshots", "2", 200)]


def check_filtered(report: ReportParser, kept: list[dict], price: Decimal) -> None:
    """Every number of a report made with report_filters, against the snapshots those filters keep."""
    assert 0 < len(kept) < COUNT
    assert report.text_by_id["total-count"] == str(len(kept))
    assert report.text_by_id["total-size"] == show_gb(gb(kept))
    assert report.text_by_id["total-cost"] == show_usd(gb(kept), price)
    assert texts(report.tables["by-type"]["tbody"]) == expected_type_rows(kept, price)
    assert texts(report.tables["by-region"]["tbody"]) == expected_region_rows(kept)
    rows, datetimes = expected_resource_rows(kept)
    assert texts(report.tables["by-resource"]["tbody"]) == rows
    assert [[dt for cell in row for dt in cell.datetimes] for row in report.tables["by-resource"]["tbody"]] == datetimes


def test_filters_price_and_path_given_as_extra_vars(ansible: Ansible, report_sim: Simulator, tmp_path: Path) -> None:
    """report_filters go to the lookup, the price is a variable, the output's directories are created."""
    output = tmp_path / "new" / "dir" / "volumes.html"
    _run, report = render(ansible, report_sim, output, snapshot_price_per_gib_month=0.05,
                          report_filters={"resource_type": "volume", "created_before": "2024-01-05T00:00:00Z"})
    kept = [s for s in report_sim.snapshots if s["resource_type"] == "volume" and s["created_at"] < "2024-01-05T00:00:00Z"]
    check_filtered(report, kept, Decimal("0.05"))
    assert "a month, at $0.05 per GiB" in " ".join(report.text.split())


def test_region_list_filter(ansible: Ansible, report_sim: Simulator, tmp_path: Path) -> None:
    """A list option through report_filters, in a template that imports macros (lazy containers reach the lookup).

    Regions other than fra1 and ams3 get rows too: those where the kept snapshots are also kept.
    """
    output = tmp_path / "regions.html"
    _run, report = render(ansible, report_sim, output, report_filters={"region": ["fra1", "ams3"]})
    kept = [s for s in report_sim.snapshots if {"fra1", "ams3"} & set(s["regions"])]
    check_filtered(report, kept, PUBLISHED_PRICE)


# ---------------------------------------------------------------------------- the retention section

DEFAULT_POLICY = {"keep_daily": 7, "keep_weekly": 4, "keep_monthly": 12}


def _when(snapshot: dict) -> datetime:
    return datetime.strptime(snapshot["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


#: restic's count rules written out: the period a snapshot falls in (UTC), or None for keep_last.
PERIODS: dict[str, t.Callable[[datetime], t.Any] | None] = {
    "keep_last": None,
    "keep_hourly": lambda d: (d.date(), d.hour),
    "keep_daily": lambda d: d.date(),
    "keep_weekly": lambda d: d.isocalendar()[:2],
    "keep_monthly": lambda d: (d.year, d.month),
    "keep_yearly": lambda d: d.year,
}


def expected_retention(snaps: list[dict], policy: dict[str, t.Any]) -> tuple[set[str], dict[str, list[dict]]]:
    """The ids a policy of count rules keeps, and each group's snapshots (a snapshot is in each of its regions)."""
    group_by = policy.get("group_by", "resource_id")
    groups: dict[str, list[dict]] = defaultdict(list)
    for snapshot in snaps:
        for name in (snapshot["regions"] if group_by == "region" else [snapshot[group_by]]):
            groups[name].append(snapshot)
    kept: set[str] = set()
    for members in groups.values():
        members = sorted(members, key=_when, reverse=True)
        for rule, count in policy.items():
            if rule == "group_by":
                continue
            period = PERIODS[rule]
            seen: list[t.Any] = []
            for index, snapshot in enumerate(members):
                key = index if period is None else period(_when(snapshot))
                if len(seen) < count and key not in seen:
                    seen.append(key)
                    kept.add(snapshot["id"])
            if len(seen) < count:
                # Count left at the end: restic keeps the oldest snapshot too.
                kept.add(members[-1]["id"])
    return kept, groups


def expected_retention_rows(snaps: list[dict], policy: dict[str, t.Any], price: Decimal) -> tuple[list[list[str]], list[dict]]:
    """The table's rows (groups that lose something, by name) and the pruned snapshots."""
    kept, groups = expected_retention(snaps, policy)
    by_resource = policy.get("group_by", "resource_id") == "resource_id"
    rows = []
    for name, members in sorted(groups.items()):
        pruned = [s for s in members if s["id"] not in kept]
        if not pruned:
            continue
        label = "%s %s" % (pruned[0]["resource_type"], name) if by_resource else name
        rows.append([label, str(len(members) - len(pruned)), str(len(pruned)), show_gb(gb(pruned)), show_usd(gb(pruned), price)])
    return rows, [s for s in snaps if s["id"] not in kept]


def check_retention(report: ReportParser, snaps: list[dict], policy: dict[str, t.Any], price: Decimal) -> None:
    rows, pruned = expected_retention_rows(snaps, policy, price)
    assert rows and pruned
    table = report.tables["retention"]
    assert texts(table["thead"]) == [[policy.get("group_by", "resource_id"), "Kept", "Pruned", "Size pruned (GB)", "Saved / month"]]
    assert texts(table["tbody"]) == rows
    assert texts(table["tfoot"]) == [["Total, each snapshot once", str(len(snaps) - len(pruned)), str(len(pruned)),
                                      show_gb(gb(pruned)), show_usd(gb(pruned), price)]]
    assert report.text_by_id["retention-count"] == str(len(pruned))
    assert report.text_by_id["retention-size"] == show_gb(gb(pruned))
    assert report.text_by_id["retention-cost"] == show_usd(gb(pruned), price)
    assert json.loads(report.text_by_id["retention-policy"]) == policy


def test_retention_section_under_the_default_policy(full: tuple[PlaybookRun, ReportParser], report_sim: Simulator) -> None:
    """7 daily, 4 weekly, 12 monthly per resource: what goes, per resource, and what it saves."""
    _run, report = full
    check_retention(report, report_sim.snapshots, DEFAULT_POLICY, PUBLISHED_PRICE)
    assert "nothing is deleted" in report.text_by_id["retention-summary"]


def test_retention_policy_as_an_extra_var(ansible: Ansible, report_sim: Simulator, tmp_path: Path) -> None:
    """By region: a snapshot in two regions counts in both rows, is pruned only when both prune it, and once in the total."""
    policy = {"keep_last": 3, "keep_daily": 1, "group_by": "region"}
    run, report = render(ansible, report_sim, tmp_path / "retention.html", report_retention_policy=policy,
                         snapshot_price_per_gib_month=0.05)
    check_retention(report, report_sim.snapshots, policy, Decimal("0.05"))
    rows = texts(report.tables["retention"]["tbody"])
    assert sum(int(row[2]) for row in rows) > int(report.text_by_id["retention-count"])
    # The plan adds no request: the template still lists the account once.
    assert sorted(r.query.get("page") for r in run.requests(RENDER_TASK)) == ["1", "2"]
    assert report_sim.snapshots and all(r.method == "GET" for r in run.requests(RENDER_TASK))
