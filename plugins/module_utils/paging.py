# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Listing strategies and the consistency rule: pure logic over a ``read_page(number) -> Page`` callable.

No HTTP here: the client hands in a thread-safe ``read_page`` that raises the
collection's errors. (First cut: today's algorithm, moved out of client.py.)
"""

from __future__ import annotations

import math
import typing as t
from concurrent.futures import ThreadPoolExecutor

from .contract import Listing
from .errors import IncompleteListingError

# How many times a listing is read again from the start when pages disagree.
DEFAULT_LISTING_READS = 4


class Page:
    """One page as the API answered it: its number, snapshots, ``meta.total`` then, and ``links``."""

    __slots__ = ("number", "snapshots", "total", "links")

    def __init__(self, number: int, snapshots: t.List[dict], total: int, links: t.Optional[dict] = None) -> None:
        self.number = number
        self.snapshots = snapshots
        self.total = total
        self.links = links or {}


def read_listing(read_page: t.Callable[[int], Page], per_page: int, concurrency: int,
                 consistency: str = "standard", shown_path: str = "",
                 max_pages: t.Optional[int] = None) -> Listing:
    """Read every page of a listing and return it whole, or raise IncompleteListingError."""
    problem = ""
    for _read in range(DEFAULT_LISTING_READS):
        first = read_page(1)
        if len(first.snapshots) != min(per_page, first.total):
            problem = "page 1 had %d snapshots for a total of %d" % (len(first.snapshots), first.total)
            continue
        numbers = list(range(2, max(1, math.ceil(first.total / per_page)) + 1))
        snapshots, problem = _assemble([first] + _read_pages(read_page, numbers, concurrency), per_page)
        if not problem:
            return Listing(snapshots, first.total, {})
    raise IncompleteListingError(shown_path, DEFAULT_LISTING_READS, problem)


def _read_pages(read_page: t.Callable[[int], Page], numbers: t.List[int], concurrency: int) -> t.List[Page]:
    if not numbers:
        return []
    if concurrency <= 1 or len(numbers) == 1:
        return [read_page(n) for n in numbers]
    with ThreadPoolExecutor(max_workers=min(concurrency, len(numbers)), thread_name_prefix="snapfleet-page") as pool:
        return list(pool.map(read_page, numbers))


def _assemble(pages: t.List[Page], per_page: int) -> t.Tuple[t.List[dict], str]:
    total = pages[0].total
    totals = sorted({p.total for p in pages})
    if len(totals) > 1:
        return [], "meta.total changed from %d to %s while pages were read" % (total, ", ".join(map(str, totals)))
    expected_last = total - per_page * (len(pages) - 1)
    for number, page in enumerate(pages, start=1):
        want = per_page if number < len(pages) else expected_last
        if len(page.snapshots) != max(want, 0):
            return [], "page %d had %d snapshots, expected %d" % (number, len(page.snapshots), max(want, 0))
    seen: t.Set[str] = set()
    result: t.List[dict] = []
    for page in pages:
        for item in page.snapshots:
            if item["id"] in seen:
                return [], "snapshot %s was listed twice" % item["id"]
            seen.add(item["id"])
            result.append(item)
    return result, ""
