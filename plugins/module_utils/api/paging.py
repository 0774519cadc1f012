# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading a whole listing page by page while the account may change: the listing guarantee.

Pure logic over a thread-safe ``read_page(number) -> Page`` callable (the client supplies it
and it raises the collection's errors); no HTTP here.

``consistency: standard``: every snapshot that exists for the whole listing appears exactly
once and none twice; one created or deleted meanwhile may or may not appear. It holds while
snapshots are only created or only deleted; changes faster than the pages can be read make it
raise IncompleteListingError, never return a partial list. A quiet listing of ``T`` snapshots
costs exactly ``max(1, ceil(T / per_page))`` requests; a changing one at most ``2 * N + 4``
(``N`` the pages of the largest ``meta.total`` seen), beyond which it raises
IncompleteListingError. Its blind spot: creations and deletions that cancel out in
``meta.total`` between two page reads.

``consistency: strict``: whole reads until two in a row agree (at most 5), else
IncompleteListingError.

Why this holds, the measured regime and the merge: docs/developer/design.md.
"""

from __future__ import annotations

import bisect
import heapq
import math
import threading
import typing as t
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from ..errors import APIError, IncompleteListingError
from .contract import Listing

STANDARD = "standard"
STRICT = "strict"
CONSISTENCIES = (STANDARD, STRICT)

# The most pages one listing may read: the API's hourly request budget (5,000 a token).
DEFAULT_MAX_PAGES = 5000
# standard: requests beyond 2 * N, N the pages of the largest total seen.
EXTRA_REQUESTS = 4
# strict: whole reads before giving up.
STRICT_READS = 5
# Page 1 contradicting its own meta.total is read at most this many times.
FIRST_PAGE_READS = 3

Interval = t.Tuple[int, int]  # [start, end) of positions


class Page:
    """One list answer: its page number, snapshots, ``meta.total`` as of then, ``links`` and the attempts it took."""

    __slots__ = ("number", "snapshots", "total", "links", "attempts")

    def __init__(self, number: int, snapshots: t.List[dict], total: int, links: t.Optional[dict] = None,
                 attempts: int = 1) -> None:
        self.number = number
        self.snapshots = snapshots
        self.total = total
        self.links = links if links is not None else {}
        self.attempts = attempts


def pages_for(total: int, per_page: int) -> int:
    """How many pages hold ``total`` snapshots (at least 1: an empty listing still has page 1)."""
    return max(1, -(-total // per_page))


def read_listing(read_page: t.Callable[[int], Page], per_page: int, concurrency: int,
                 consistency: str = STANDARD, shown_path: str = "", max_pages: t.Optional[int] = None) -> Listing:
    """Read a whole listing with the listing guarantee above and return it in the API's order.

    ``read_page`` must be thread-safe; pages run on a pool of ``concurrency`` threads,
    never more than ``concurrency`` submitted at once. Raises what ``read_page`` raises,
    APIError when the answers break the contract (page 1 ignoring ``per_page``, a
    ``meta.total`` beyond ``max_pages`` pages), IncompleteListingError when the
    account kept changing faster than it could be read.
    """
    if consistency not in CONSISTENCIES:
        raise ValueError("consistency must be one of %s, not %r" % (", ".join(CONSISTENCIES), consistency))
    if per_page < 1:
        raise ValueError("per_page must be at least 1")
    cap = DEFAULT_MAX_PAGES if max_pages is None else max(1, int(max_pages))
    pool = _Pool(max(1, int(concurrency)))
    try:
        if consistency == STRICT:
            return _read_strict(read_page, per_page, pool, shown_path, cap)
        return _Reader(read_page, per_page, pool, shown_path, cap).run()
    finally:
        pool.close()


def _read_strict(read_page: t.Callable[[int], Page], per_page: int, pool: "_Pool", shown_path: str,
                 cap: int) -> Listing:
    previous: t.Optional[t.List[str]] = None
    sizes = []
    for _read in range(STRICT_READS):
        listing = _Reader(read_page, per_page, pool, shown_path, cap).run()
        ids = [item["id"] for item in listing.snapshots]
        if ids == previous:
            return listing
        previous = ids
        sizes.append(len(ids))
    raise IncompleteListingError(
        shown_path, STRICT_READS,
        "consistency strict: no two whole reads in a row gave the same snapshots (%s snapshots): "
        "the account kept changing while it was read" % ", ".join(map(str, sizes)))


# -- running pages concurrently -----------------------------------------------------------------------------------

class _Pool:
    """Runs page reads on threads, starting the threads with the first page submitted."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: t.Optional[ThreadPoolExecutor] = None

    def submit(self, function: t.Callable[[int], Page], number: int) -> "Future[Page]":
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="snapfleet-page")
        return self._executor.submit(function, number)

    def wait_any(self, pending: t.Set["Future[Page]"]) -> t.Set["Future[Page]"]:
        done, _rest = wait(pending, return_when=FIRST_COMPLETED)
        return done

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)


class _Read:
    __slots__ = ("number", "total", "snapshots", "attempts", "seq", "round", "valid")

    def __init__(self, page: Page, number: int, seq: int, round_: int, valid: bool) -> None:
        self.number = number
        self.total = page.total
        self.snapshots = page.snapshots
        self.attempts = page.attempts
        self.seq = seq
        self.round = round_
        self.valid = valid


class _Reader:
    """One standard read of a whole listing."""

    def __init__(self, read_page: t.Callable[[int], Page], per_page: int, pool: _Pool, shown_path: str,
                 cap: int) -> None:
        self.read_page = read_page
        self.per_page = per_page
        self.pool = pool
        self.shown_path = shown_path
        self.cap = cap
        self.reads: t.List[_Read] = []
        self.requests = 0
        self.rounds = 0
        self._seq = 0
        self._lock = threading.Lock()
        self._invalid: t.Dict[int, t.Tuple[int, int]] = {}  # page -> (total, length) of its last bad answer
        self._retry: t.Set[int] = set()

    # -- the plan ---------------------------------------------------------------------------------

    def run(self) -> Listing:
        first = self._first_page()
        self._check_size(first.total, first.number)
        n = pages_for(first.total, self.per_page)
        self._round(list(range(2, n + 1)))
        while True:
            coverage = _Coverage(self.reads, self.per_page)
            if (coverage.complete or _chained(self.reads, self.per_page)) and not self._retry:
                return self._merge()
            wanted = self._targets(coverage) | self._retry
            self._retry = set()
            pages = pages_for(self.max_total, self.per_page)
            budget = 2 * pages + EXTRA_REQUESTS
            # The listing more than doubled while it was read: it grows faster than pages can be read.
            if self.requests + len(wanted) > budget or pages > 2 * n + EXTRA_REQUESTS:
                raise IncompleteListingError(self.shown_path, self.requests, self._too_fast(budget))
            self._check_size(self.max_total, max(wanted))
            descending = self._direction() == "deletions"
            self._round(sorted(wanted, reverse=descending))

    @property
    def max_total(self) -> int:
        return max(read.total for read in self.reads)

    def _first_page(self) -> _Read:
        last: t.Optional[t.Tuple[int, int]] = None
        for _try in range(FIRST_PAGE_READS):
            read = self._record(self._fetch(1), 1)
            if read.valid:
                return read
            shape = (read.total, len(read.snapshots))
            if shape == last:
                # The same contradiction twice with the total stable: the API, not a change.
                raise self._contract_error(1, read)
            last = shape
        raise IncompleteListingError(self.shown_path, self.requests,
                                     "page 1 contradicted its own meta.total in %d reads, each time differently"
                                     % FIRST_PAGE_READS)

    def _targets(self, coverage: "_Coverage") -> t.Set[int]:
        """The pages where survivors not yet read can be now, widened by the drift the last round showed."""
        direction = self._direction()
        last = [read for read in self.reads if read.round == self.rounds] or self.reads
        span = max(read.total for read in last) - min(read.total for read in last)
        # Changes seen per request in the last round, times the requests of the next: how far things may move meanwhile.
        rate = span / max(1, len(last))
        intervals: t.List[Interval] = []
        if direction in ("deletions", "both"):
            intervals += coverage.escapes_at_smallest()
        if direction in ("creations", "both"):
            intervals += coverage.escapes_at_largest()
        pages = _pages_of(intervals, self.per_page)
        drift = int(math.ceil(rate * (len(pages) + 1)))
        if drift:
            widened: t.List[Interval] = []
            if direction in ("deletions", "both"):
                widened += [(max(0, a - drift), b) for a, b in coverage.escapes_at_smallest()]
            if direction in ("creations", "both"):
                widened += [(a, b + drift) for a, b in coverage.escapes_at_largest()]
            pages = _pages_of(widened, self.per_page)
        return pages

    def _overall_direction(self) -> str:
        """Which way meta.total moved from page 1 over the whole read."""
        first = self.reads[0].total
        totals = [read.total for read in self.reads]
        if max(totals) > first and min(totals) >= first:
            return "creations"
        if min(totals) < first and max(totals) <= first:
            return "deletions"
        return "both"

    def _direction(self) -> str:
        """Which way the account changed between the latest round and the ones before it."""
        latest = [read.total for read in self.reads if read.round == self.rounds]
        earlier = [read.total for read in self.reads if read.round < self.rounds]
        if not latest or not earlier:
            return "both"
        grew = max(latest) > max(earlier)
        shrank = min(latest) < min(earlier)
        if grew and not shrank:
            return "creations"
        if shrank and not grew:
            return "deletions"
        return "both"

    # -- reading --------------------------------------------------------------------------------------

    def _fetch(self, number: int) -> Page:
        self.requests += 1
        return self.read_page(number)

    def _round(self, numbers: t.List[int]) -> None:
        """Read these pages, at most ``workers`` submitted at a time; the first failure stops the submitting."""
        self.rounds += 1
        if not numbers:
            return
        if self.pool.workers == 1 or len(numbers) == 1:
            for number in numbers:
                self._record(self._fetch(number), number)
            return
        queue = list(reversed(numbers))
        pending: t.Dict["Future[Page]", int] = {}
        failure: t.Optional[BaseException] = None
        while queue or pending:
            while queue and failure is None and len(pending) < self.pool.workers:
                number = queue.pop()
                self.requests += 1
                pending[self.pool.submit(self.read_page, number)] = number
            if not pending:
                break
            for future in self.pool.wait_any(set(pending)):
                number = pending.pop(future)
                error = future.exception()
                if error is not None:
                    failure = failure or error
                    continue
                try:
                    self._record(future.result(), number)
                except Exception as exc:  # a contract error of one page stops the round like a failed request
                    failure = failure or exc
        if failure is not None:
            raise failure

    def _record(self, page: Page, number: int) -> _Read:
        length = len(page.snapshots)
        if length > self.per_page:
            raise self._contract_error(number, page)
        expected = max(0, min(self.per_page, page.total - (number - 1) * self.per_page))
        valid = length == expected
        with self._lock:
            self._seq += 1
            read = _Read(page, number, self._seq, self.rounds, valid)
            self.reads.append(read)
        if not valid and number != 1:
            shape = (page.total, length)
            if self._invalid.get(number) == shape:
                raise self._contract_error(number, page)
            self._invalid[number] = shape
            self._retry.add(number)
        return read

    # -- errors ---------------------------------------------------------------------------------------

    def _page_path(self, number: int) -> str:
        return "%s%spage=%d&per_page=%d" % (self.shown_path, "&" if "?" in self.shown_path else "?", number,
                                            self.per_page)

    def _contract_error(self, number: int, page: t.Union[Page, _Read]) -> APIError:
        length = len(page.snapshots)
        if length > self.per_page or (number == 1 and 0 < length < min(self.per_page, page.total)):
            what = "it ignored per_page"
        else:
            what = "the page contradicts its own meta.total"
        return APIError(200, self._page_path(number), getattr(page, "attempts", 1),
                        detail="the API answered %d snapshots on page %d for per_page=%d and meta.total %d: %s"
                        % (length, number, self.per_page, page.total, what))

    def _check_size(self, total: int, number: int) -> None:
        pages = max(pages_for(total, self.per_page), number)
        if pages > self.cap:
            raise APIError(200, self._page_path(number), 1, detail=(
                "the listing would need %d pages of per_page=%d (meta.total up to %d), more than the %d pages one "
                "listing may read (the API's hourly request budget); refusing to request them"
                % (pages, self.per_page, total, self.cap)))

    def _too_fast(self, budget: int) -> str:
        totals = [read.total for read in self.reads]
        return ("the account kept changing faster than it could be read: meta.total moved between %d and %d, "
                "at least %d snapshots created or deleted while %d page requests were sent; the next round would "
                "pass the bound of %d requests" % (min(totals), max(totals), max(totals) - min(totals),
                                                   self.requests, budget))

    # -- the answer -----------------------------------------------------------------------------------

    def _merge(self) -> Listing:
        reads = sorted(self.reads, key=lambda read: read.seq)
        # meta.total is the API's count, as of its latest answer: while the account changed, the
        # snapshots returned (those that existed throughout, and some that did not) can differ from it.
        total = reads[-1].total
        quiet = _quiet(reads, self.per_page)
        if quiet is not None:
            return Listing(quiet, total, {})
        merged = _topological_merge(reads, self.per_page, self._overall_direction())
        return Listing(merged, total, {})


def _quiet(reads: t.List[_Read], per_page: int) -> t.Optional[t.List[dict]]:
    """The pages in order when one read of each page saw the same total and no id repeats; else None."""
    if len({read.total for read in reads}) != 1 or len({read.number for read in reads}) != len(reads):
        return None
    result: t.List[dict] = []
    for read in sorted(reads, key=lambda read: read.number):
        result.extend(read.snapshots)
    if len({item["id"] for item in result}) != len(result):
        return None
    return result


def _topological_merge(reads: t.List[_Read], per_page: int, direction: str) -> t.List[dict]:
    """One order in which every read is a subsequence (the API's order), each snapshot once, its latest copy.

    Edges: consecutive snapshots of one read, of reads at the same meta.total (the
    same list, under monotone change) put side by side, and what a read implies
    for snapshots it did not show. Where nothing orders two snapshots (neighbours
    across a page boundary that no one read showed together, read at different
    totals), their estimated place in the oldest list read decides, which is a
    best effort: two such neighbours can come out swapped.
    """
    latest: t.Dict[str, dict] = {}
    sequences: t.List[t.List[str]] = []
    by_total: t.Dict[int, t.List[t.Tuple[int, str]]] = {}
    observed: t.Dict[str, t.List[t.Tuple[int, int]]] = {}
    for read in reads:  # in the order they were answered: later copies win
        sequence = []
        for index, item in enumerate(read.snapshots):
            sid = item["id"]
            position = (read.number - 1) * per_page + index
            observed.setdefault(sid, []).append((read.total, position))
            latest[sid] = item
            sequence.append(sid)
            if read.valid:
                by_total.setdefault(read.total, []).append((position, sid))
        sequences.append(sequence)
    inferred: t.List[t.List[str]] = []
    for placed in by_total.values():
        placed.sort()
        inferred.append([sid for _position, sid in placed])
    key = _estimated_positions(observed, direction)
    if direction in ("deletions", "creations"):
        inferred += _outside_windows(reads, per_page, direction, observed, key)
    # The inferred orders hold under monotone change; if they contradict each other (a cycle), the
    # change was not monotone: keep only what the reads showed. A cycle among those means the API
    # reordered snapshots between reads (outside the model): break it by the estimated place.
    for chosen, strict in ((sequences + inferred, True), (sequences, True), (sequences, False)):
        merged = _kahn(latest, key, chosen, strict)
        if merged is not None:
            return merged
    return []  # pragma: no cover - the last attempt never gives up


def _kahn(latest: t.Dict[str, dict], key: t.Dict[str, float], sequences: t.List[t.List[str]],
          strict: bool) -> t.Optional[t.List[dict]]:
    """Topological order of the snapshots under the orders of ``sequences``, ties by key; None on a cycle if strict."""
    successors: t.Dict[str, t.Set[str]] = {sid: set() for sid in latest}
    indegree: t.Dict[str, int] = dict.fromkeys(latest, 0)
    for sequence in sequences:
        for index in range(1, len(sequence)):
            before, after = sequence[index - 1], sequence[index]
            if before != after and after not in successors[before]:
                successors[before].add(after)
                indegree[after] += 1
    ready = [(key[sid], sid) for sid, degree in indegree.items() if degree == 0]
    heapq.heapify(ready)
    everyone = [(key[sid], sid) for sid in indegree]
    heapq.heapify(everyone)
    done: t.Set[str] = set()
    result: t.List[dict] = []
    while len(done) < len(indegree):
        if ready:
            _k, sid = heapq.heappop(ready)
        elif strict:
            return None
        else:
            _k, sid = heapq.heappop(everyone)
        if sid in done:
            continue
        done.add(sid)
        result.append(latest[sid])
        for successor in successors[sid]:
            indegree[successor] -= 1
            if indegree[successor] == 0 and successor not in done:
                heapq.heappush(ready, (key[successor], successor))
    return result


def _estimated_positions(observed: t.Dict[str, t.List[t.Tuple[int, int]]], direction: str) -> t.Dict[str, float]:
    """Each snapshot's place in the list of the largest total (deletions) or smallest (creations), estimated.

    Under deletions a snapshot read at x at total T sat, at the largest total M, in
    [x, x + M - T]; under creations, at the smallest total m, in [x - (T - m), x].
    The key is the middle of the intersection of those ranges over its reads.
    """
    totals = [total for seen in observed.values() for total, _x in seen]
    if not totals:
        return {}
    largest, smallest = max(totals), min(totals)
    key: t.Dict[str, float] = {}
    for sid, seen in observed.items():
        if direction == "creations":
            low = max(x - (total - smallest) for total, x in seen)
            high = min(x for _total, x in seen)
        elif direction == "deletions":
            low = max(x for _total, x in seen)
            high = min(x + (largest - total) for total, x in seen)
        else:
            low = high = seen[-1][1] - seen[-1][0]
        key[sid] = (low + high) / 2.0
    return key


def _outside_windows(reads: t.List[_Read], per_page: int, direction: str,
                     observed: t.Dict[str, t.List[t.Tuple[int, int]]], key: t.Dict[str, float]) -> t.List[t.List[str]]:
    """Orders that a page read implies for the snapshots it did NOT show, under monotone change.

    A read of positions [a, b) at total T did not show z. Read at x at a total T' <= T, z existed
    at T (deletions: T is earlier; creations: T is later) and sat there in [x, x + T - T']: x >= a
    puts it after the window, x + T - T' < a before it. Under deletions, read at x < a at a total
    >= T (earlier), it stood before the window's first snapshot, which sat at >= a then. Under
    creations, read at x at a total T' > T, it sat at T in [x - (T' - T), x] if it existed then:
    x - (T' - T) >= a puts it after the window. That one assumes z existed at T, true of every
    snapshot that existed throughout; one created since may be placed wrong (it may or may not
    appear at all), and a contradiction is caught as a cycle by the caller.
    """
    spread = max(r.total for r in reads) - min(r.total for r in reads) + per_page
    ranked = sorted((k, sid) for sid, k in key.items())
    keys = [k for k, _sid in ranked]
    pairs: t.List[t.List[str]] = []
    for read in reads:
        if not read.valid or not read.snapshots:
            continue
        start = (read.number - 1) * per_page
        end = start + len(read.snapshots)
        shown = {item["id"] for item in read.snapshots}
        first, last = read.snapshots[0]["id"], read.snapshots[-1]["id"]
        low = bisect.bisect_left(keys, start - spread)
        high = bisect.bisect_right(keys, end + spread)
        for _k, sid in ranked[low:high]:
            if sid in shown:
                continue
            for total, position in observed[sid]:
                if total <= read.total and position >= start:
                    pairs.append([last, sid])
                    break
                if total <= read.total and position + read.total - total < start:
                    pairs.append([sid, first])
                    break
                if direction == "deletions" and total >= read.total and position < start:
                    pairs.append([sid, first])
                    break
                if direction == "creations" and total > read.total and position - (total - read.total) >= start:
                    pairs.append([last, sid])
                    break
    return pairs


def _chained(reads: t.List[_Read], per_page: int) -> bool:
    """The second check: a chain of neighbours, each shown side by side, from the list's head to its end.

    Two snapshots shown side by side by one read had no snapshot between them then,
    so none that existed throughout lies between them. So do the last of page k and
    the first of page k+1 read at the same meta.total (the same list, by the clock
    the first check uses too). A chain of such pairs from a snapshot shown first
    (page 1) to one shown last (its read reached meta.total) leaves no room for a
    snapshot that existed throughout and was not read. This sees what the totals
    cannot: re-reads of shifted windows show old page boundaries side by side.
    """
    successors: t.Dict[str, t.Set[str]] = {}
    heads: t.Set[str] = set()
    tails: t.Set[str] = set()
    edges_at: t.Dict[t.Tuple[int, int], _Read] = {}
    for read in reads:
        if not read.valid or not read.snapshots:
            continue
        sids = [item["id"] for item in read.snapshots]
        for index in range(1, len(sids)):
            successors.setdefault(sids[index - 1], set()).add(sids[index])
        if read.number == 1:
            heads.add(sids[0])
        if (read.number - 1) * per_page + len(sids) == read.total:
            tails.add(sids[-1])
        edges_at[(read.total, read.number)] = read
    for (total, number), read in edges_at.items():
        following = edges_at.get((total, number + 1))
        if following is not None:
            successors.setdefault(read.snapshots[-1]["id"], set()).add(following.snapshots[0]["id"])
    if not heads or not tails:
        return False
    seen = set(heads)
    stack = list(heads)
    while stack:
        sid = stack.pop()
        if sid in tails:
            return True
        for successor in successors.get(sid, ()):
            if successor not in seen:
                seen.add(successor)
                stack.append(successor)
    return False


# -- the coverage check -----------------------------------------------------------------------------------------

class _Coverage:
    """Where a snapshot that existed throughout and was never read could be, by meta.total (see the module doc)."""

    def __init__(self, reads: t.List[_Read], per_page: int) -> None:
        pages_at: t.Dict[int, t.Set[int]] = {}
        for read in reads:
            if read.valid:
                pages_at.setdefault(read.total, set()).add(read.number)
        self.totals = sorted(pages_at)
        forward: t.List[t.List[Interval]] = []
        for i, total in enumerate(self.totals):
            if i == 0:
                base = [(0, total)]
            else:
                base = _clip(_dilate(forward[-1], 0, total - self.totals[i - 1]), 0, total)
            forward.append(_subtract(base, _page_intervals(pages_at[total], per_page, total)))
        self.complete = not forward or not forward[-1]
        self._backward: t.List[t.List[Interval]] = []
        if not self.complete:
            backward = [forward[-1]]
            for i in range(len(self.totals) - 2, -1, -1):
                step = self.totals[i + 1] - self.totals[i]
                backward.append(_intersect(forward[i], _dilate(backward[-1], step, 0)))
            self._backward = list(reversed(backward))

    def escapes_at_smallest(self) -> t.List[Interval]:
        return self._backward[0] if self._backward else []

    def escapes_at_largest(self) -> t.List[Interval]:
        return self._backward[-1] if self._backward else []


def _normalize(intervals: t.Iterable[Interval]) -> t.List[Interval]:
    result: t.List[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if result and start <= result[-1][1]:
            if end > result[-1][1]:
                result[-1] = (result[-1][0], end)
        else:
            result.append((start, end))
    return result


def _dilate(intervals: t.List[Interval], left: int, right: int) -> t.List[Interval]:
    return _normalize((a - left, b + right) for a, b in intervals)


def _clip(intervals: t.List[Interval], low: int, high: int) -> t.List[Interval]:
    return _normalize((max(a, low), min(b, high)) for a, b in intervals)


def _intersect(one: t.List[Interval], other: t.List[Interval]) -> t.List[Interval]:
    result: t.List[Interval] = []
    i = j = 0
    while i < len(one) and j < len(other):
        start, end = max(one[i][0], other[j][0]), min(one[i][1], other[j][1])
        if start < end:
            result.append((start, end))
        if one[i][1] < other[j][1]:
            i += 1
        else:
            j += 1
    return result


def _subtract(intervals: t.List[Interval], holes: t.List[Interval]) -> t.List[Interval]:
    result: t.List[Interval] = []
    j = 0
    for start, end in intervals:
        while j < len(holes) and holes[j][1] <= start:
            j += 1
        k = j
        cursor = start
        while k < len(holes) and holes[k][0] < end:
            if holes[k][0] > cursor:
                result.append((cursor, holes[k][0]))
            cursor = max(cursor, holes[k][1])
            k += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def _page_intervals(numbers: t.Iterable[int], per_page: int, total: int) -> t.List[Interval]:
    return _normalize(((n - 1) * per_page, min(n * per_page, total)) for n in numbers)


def _pages_of(intervals: t.Iterable[Interval], per_page: int) -> t.Set[int]:
    pages: t.Set[int] = set()
    for start, end in _normalize(intervals):
        pages.update(range(start // per_page + 1, (end - 1) // per_page + 2))
    return pages
