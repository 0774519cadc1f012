# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""paging.read_listing against a pure in-memory model of the API, with changes between page reads.

The model: one list in the API's order (ascending ids, oldest first); a page read
sees the list as it is at that moment and ``meta.total`` as of then. Changes
(creations at the end, at the head or anywhere; deletions anywhere) happen
before given page reads. The order in which the pages of one round are served
is chosen by the test (``ScheduledPool``: of the pages submitted and not yet
answered, a seeded choice is served next), or left to real threads.

The oracle: the snapshots that existed for the whole listing appear exactly
once, none twice, nothing that never existed, in the API's order; for streams
of only creations or only deletions the listing never fails; a mixed stream
may fail only with IncompleteListingError, or miss a snapshot only in the
documented blind spot (its place moved by more than meta.total did, or against
it, between two page reads). Every test counts the requests against the bound.
"""

from __future__ import annotations

import os
import random
import threading
import typing as t
from concurrent.futures import Future

import hypothesis
import pytest
from hypothesis import strategies as st

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api import paging
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.paging import Page, pages_for, read_listing
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import APIError, IncompleteListingError

given, settings, HealthCheck = hypothesis.given, hypothesis.settings, hypothesis.HealthCheck

# SNAPFLEET_PAGING_EXAMPLES=5000 for a long run; 300 keeps the unit suite quick.
PROPERTY = settings(max_examples=int(os.environ.get("SNAPFLEET_PAGING_EXAMPLES", "300")), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

Change = t.Tuple[str, float]  # (kind, where in [0, 1)): kind in end, head, at, delete


class Model:
    """The API's list and its history; ``read_page`` is what paging calls (thread-safe)."""

    def __init__(self, count: int, per_page: int, changes: t.Callable[[int], t.Sequence[Change]]) -> None:
        self.items: t.List[str] = ["%06d" % i for i in range(1, count + 1)]
        self.universe: t.List[str] = list(self.items)  # every id ever, in the API's order (deleted ones kept)
        self.initial = frozenset(self.items)
        self.ever: t.Set[str] = set(self.items)
        self.per_page = per_page
        self.changes = changes
        self.next_id = count + 1
        self.served = 0
        self.states: t.List[t.Tuple[str, ...]] = []  # the list as each read saw it
        self.pages: t.List[int] = []
        self.windows: t.List[t.List[str]] = []
        self.created = self.deleted = 0
        self._lock = threading.Lock()

    def apply(self, kind: str, where: float) -> None:
        if kind == "delete":
            if self.items:
                self.items.pop(int(where * len(self.items)))
                self.deleted += 1
            return
        new = "%06d" % self.next_id
        self.next_id += 1
        index = {"end": len(self.items), "head": 0}.get(kind, int(where * (len(self.items) + 1)))
        if index < len(self.items):
            self.universe.insert(self.universe.index(self.items[index]), new)
        else:
            self.universe.append(new)
        self.items.insert(index, new)
        self.ever.add(new)
        self.created += 1

    def read_page(self, number: int) -> Page:
        with self._lock:
            for kind, where in self.changes(self.served):
                self.apply(kind, where)
            self.served += 1
            self.states.append(tuple(self.items))
            self.pages.append(number)
            start = (number - 1) * self.per_page
            window = self.items[start:start + self.per_page]
            self.windows.append(window)
            return Page(number, [{"id": sid, "name": "s-" + sid} for sid in window], len(self.items), {})

    @property
    def survivors(self) -> t.Set[str]:
        """The ids that existed for the whole listing (ids are never reused)."""
        final = set(self.states[-1]) if self.states else set(self.items)
        return set(self.initial) & final

    @property
    def largest_pages(self) -> int:
        return max(pages_for(len(state), self.per_page) for state in self.states)


class ScheduledPool(paging._Pool):
    """Serves the submitted, not yet answered pages in an order chosen by ``rng``, in this thread."""

    def __init__(self, workers: int, rng: random.Random) -> None:
        super().__init__(workers)
        self.rng = rng
        self.calls: t.Dict["Future[Page]", t.Tuple[t.Callable[[int], Page], int]] = {}
        self.max_in_flight = 0

    def submit(self, function: t.Callable[[int], Page], number: int) -> "Future[Page]":
        future: "Future[Page]" = Future()
        self.calls[future] = (function, number)
        self.max_in_flight = max(self.max_in_flight, len(self.calls))
        return future

    def wait_any(self, pending: t.Set["Future[Page]"]) -> t.Set["Future[Page]"]:
        waiting = sorted((f for f in pending if f in self.calls), key=lambda f: self.calls[f][1])
        future = waiting[self.rng.randrange(len(waiting))]
        function, number = self.calls.pop(future)
        try:
            future.set_result(function(number))
        except Exception as exc:  # pylint: disable=broad-except
            future.set_exception(exc)
        return {future}

    def close(self) -> None:
        assert not self.calls


@pytest.fixture(name="schedule")
def fixture_schedule(monkeypatch: pytest.MonkeyPatch) -> t.Callable[[int], t.List[ScheduledPool]]:
    """``schedule(seed)``: the following listings serve pages in the order a seeded rng picks."""
    made: t.List[ScheduledPool] = []

    def install(seed: int) -> t.List[ScheduledPool]:
        rng = random.Random(seed)

        def make(workers: int) -> ScheduledPool:
            made.append(ScheduledPool(workers, rng))
            return made[-1]

        monkeypatch.setattr(paging, "_Pool", make)
        return made

    return install


def never(_read: int) -> t.Sequence[Change]:
    return ()


def ids(listing: t.Any) -> t.List[str]:
    return [s["id"] for s in listing.snapshots]


def bound(model: Model) -> int:
    """The requests standard may send: 2 * N + 4, N the pages of the largest total any read saw."""
    return 2 * model.largest_pages + paging.EXTRA_REQUESTS


def check_sound(model: Model, result: t.List[str]) -> None:
    """No id twice, nothing that never existed, every page read's order kept."""
    assert len(result) == len(set(result)), "a snapshot was listed twice"
    assert set(result) <= model.ever, "a snapshot that never existed was listed"
    place = {sid: index for index, sid in enumerate(result)}
    for window in model.windows:
        shown = [place[sid] for sid in window if sid in place]
        assert shown == sorted(shown), "a page's order was not kept"


def check_guarantee(model: Model, result: t.List[str]) -> None:
    check_sound(model, result)
    missing = model.survivors - set(result)
    assert not missing, "snapshots that existed throughout are missing: %s" % sorted(missing)


def blind_spot(model: Model, sid: str) -> bool:
    """Did ``sid`` move, between two reads, by more than meta.total did, or against it?"""
    seen = [(len(state), state.index(sid)) for state in model.states]
    for total_a, pos_a in seen:
        for total_b, pos_b in seen:
            if total_a <= total_b and not 0 <= pos_b - pos_a <= total_b - total_a:
                return True
    return False


# -- the quiet listing --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("count, per_page", [(0, 10), (1, 10), (10, 10), (11, 10), (95, 10), (450, 200), (7, 1)])
@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_quiet_listing_costs_exactly_n_requests(count, per_page, concurrency):
    model = Model(count, per_page, never)
    listing = read_listing(model.read_page, per_page, concurrency)
    assert ids(listing) == list(model.items)
    assert listing.total == count and listing.links == {}
    assert model.served == pages_for(count, per_page)
    assert model.pages[0] == 1  # page 1 first: it tells how many pages there are


def test_pages_are_submitted_lazily_never_more_than_concurrency(schedule):
    pools = schedule(0)
    model = Model(2000, 1, never)
    read_listing(model.read_page, 1, 7)
    assert pools[0].max_in_flight == 7
    assert model.served == 2000


def test_real_threads_read_concurrently_and_keep_the_order():
    model = Model(3000, 20, never)
    listing = read_listing(model.read_page, 20, 25)
    assert ids(listing) == list(model.items) and model.served == 150


# -- the cases ------------------------------------------------------------------------------------------------

def rotation_after_page_1(read: int) -> t.Sequence[Change]:
    return [("delete", 0.0), ("end", 0.0)] if read == 1 else ()


def test_rotation_after_page_1_is_the_documented_blind_spot_of_standard():
    model = Model(95, 10, rotation_after_page_1)
    listing = read_listing(model.read_page, 10, 1)
    slid = model.states[0][10]  # first of page 2 before the rotation: slid onto page 1 after page 1 was served
    assert slid not in ids(listing)
    assert model.survivors - set(ids(listing)) == {slid}
    assert blind_spot(model, slid)  # exactly what the docstring says standard cannot see
    assert model.served == 10  # meta.total never moved: nothing told standard to look again


def test_rotation_after_page_1_strict_returns_the_slid_snapshot():
    model = Model(95, 10, rotation_after_page_1)
    listing = read_listing(model.read_page, 10, 1, consistency="strict")
    assert ids(listing) == list(model.items)  # the account as it is after the rotation
    check_guarantee(model, ids(listing))
    assert model.served == 3 * 10  # read 1 missed it, read 2 differed, read 3 agreed


def test_strict_on_a_quiet_account_costs_two_reads():
    model = Model(95, 10, never)
    listing = read_listing(model.read_page, 10, 3, consistency="strict")
    assert ids(listing) == list(model.items) and model.served == 20


def test_strict_fails_while_the_account_keeps_rotating():
    def rotate_always(read: int) -> t.Sequence[Change]:
        return [("delete", 0.0), ("end", 0.0)] if read % 3 == 1 else ()

    model = Model(95, 10, rotate_always)
    with pytest.raises(IncompleteListingError) as caught:
        read_listing(model.read_page, 10, 2, consistency="strict", shown_path="/v2/snapshots")
    assert caught.value.reads == paging.STRICT_READS
    assert "the account kept changing" in str(caught.value)
    assert model.served <= paging.STRICT_READS * bound(model)


# The documented regime (docs/developer/design.md): one page at a time, any rate up to 3 changes per
# request; several in flight, served in ANY order (``schedule``), while the changes during one round of
# in-flight requests stay under about a fifth of a page. Real threads serve mostly in submission order,
# so they would pass cases outside the regime by luck: these tests choose the order themselves.
IN_REGIME = [(2, 1), (10, 1), (200, 1), (50, 4), (200, 4), (200, 25)]


@pytest.mark.parametrize("per_page, concurrency", IN_REGIME)
@pytest.mark.parametrize("seed", [0, 1])
def test_continuous_creations_at_the_end_do_not_fail(schedule, seed, per_page, concurrency):
    schedule(seed)

    def one_per_read(_read: int) -> t.Sequence[Change]:
        return [("end", 0.0)]

    model = Model(40 * per_page + 3, per_page, one_per_read)
    listing = read_listing(model.read_page, per_page, concurrency)
    check_guarantee(model, ids(listing))
    assert model.served <= bound(model)


@pytest.mark.parametrize("per_page, concurrency", [(3, 1), (10, 1), (200, 1), (50, 4), (200, 4)])
@pytest.mark.parametrize("seed", [0, 1])
def test_deleting_the_first_snapshot_after_each_page_does_not_fail(schedule, seed, per_page, concurrency):
    schedule(seed)

    def head_deletion(_read: int) -> t.Sequence[Change]:
        return [("delete", 0.0)]

    model = Model(30 * per_page, per_page, head_deletion)
    listing = read_listing(model.read_page, per_page, concurrency)
    check_guarantee(model, ids(listing))
    assert model.served <= bound(model)


@pytest.mark.parametrize("kind", ["end", "head deletion"])
@pytest.mark.parametrize("per_page, concurrency", [(2, 4), (2, 25), (10, 4), (10, 25)])
@pytest.mark.parametrize("seed", [0, 1, 2, None])
def test_beyond_the_regime_the_listing_is_right_or_fails_cleanly(schedule, kind, per_page, concurrency, seed):
    """A change per request with a round of in-flight requests worth more than a fifth of a page.

    Served in a random order (seeds) or by real threads (None): the listing either keeps the
    guarantee or raises IncompleteListingError within the bound; never a wrong list, never more requests.
    """
    if seed is not None:
        schedule(seed)

    def one_per_read(_read: int) -> t.Sequence[Change]:
        return [("end", 0.0)] if kind == "end" else [("delete", 0.0)]

    model = Model(40 * per_page + 3, per_page, one_per_read)
    try:
        listing = read_listing(model.read_page, per_page, concurrency, shown_path="/v2/snapshots")
    except IncompleteListingError as exc:
        assert "the account kept changing faster than it could be read" in str(exc)
    else:
        check_guarantee(model, ids(listing))
    assert model.served <= bound(model)


def test_head_deletions_are_repaired_and_cost_at_most_twice():
    """Sequential reads with the first snapshot deleted after each page: every boundary loses one; repaired."""
    def head_deletion(_read: int) -> t.Sequence[Change]:
        return [("delete", 0.0)]

    model = Model(100, 10, head_deletion)
    listing = read_listing(model.read_page, 10, 1)
    check_guarantee(model, ids(listing))
    assert 10 < model.served <= 2 * 10 + paging.EXTRA_REQUESTS


def test_meta_total_after_a_changing_listing_is_the_apis_latest_count():
    """Before: the number returned; the docs say meta.total is what the API counted."""
    def head_deletion(_read: int) -> t.Sequence[Change]:
        return [("delete", 0.0)]

    model = Model(100, 10, head_deletion)
    listing = read_listing(model.read_page, 10, 1)
    # Sequential reads: the last page served is the latest answer, and its meta.total the API's count then.
    assert listing.total == len(model.states[-1]) < 100
    assert listing.total != len(listing.snapshots)


@pytest.mark.parametrize("kind", ["head", "at", "end"])
def test_continuous_creations_anywhere_do_not_fail(kind):
    rng = random.Random(kind)

    def one_per_read(_read: int) -> t.Sequence[Change]:
        return [(kind, rng.random())]

    model = Model(300, 10, one_per_read)
    listing = read_listing(model.read_page, 10, 1)
    check_guarantee(model, ids(listing))
    assert model.served <= bound(model)


def test_continuous_deletions_anywhere_do_not_fail(schedule):
    schedule(3)
    rng = random.Random(3)

    def one_per_read(_read: int) -> t.Sequence[Change]:
        return [("delete", rng.random())]

    model = Model(1500, 50, one_per_read)
    listing = read_listing(model.read_page, 50, 4)
    check_guarantee(model, ids(listing))
    assert model.served <= bound(model)


def test_changes_faster_than_reads_fail_with_the_count_of_changes():
    def a_page_per_read(_read: int) -> t.Sequence[Change]:
        return [("head", 0.0)] * 12  # more than a page created before every read

    model = Model(100, 10, a_page_per_read)
    with pytest.raises(IncompleteListingError) as caught:
        read_listing(model.read_page, 10, 1, shown_path="/v2/snapshots")
    message = str(caught.value)
    assert "the account kept changing faster than it could be read" in message
    assert "snapshots created or deleted" in message
    assert model.served <= bound(model)


# -- contract problems are not "changes" ------------------------------------------------------------------------------

def test_page_1_ignoring_per_page_is_reported_as_such():
    calls = []

    def read_page(number: int) -> Page:
        calls.append(number)
        return Page(number, [{"id": str(i)} for i in range(20)], 450)

    with pytest.raises(APIError) as caught:
        read_listing(read_page, 200, 4, shown_path="/v2/snapshots")
    assert "the API answered 20 snapshots on page 1 for per_page=200 and meta.total 450: it ignored per_page" \
        in str(caught.value)
    assert caught.value.path == "/v2/snapshots?page=1&per_page=200"
    assert calls == [1, 1]  # once more, to see that the total is stable; no other page


def test_more_snapshots_than_per_page_is_reported_at_once():
    def read_page(number: int) -> Page:
        return Page(number, [{"id": str(i)} for i in range(30)], 30)

    with pytest.raises(APIError, match="answered 30 snapshots on page 1 for per_page=20 .*it ignored per_page"):
        read_listing(read_page, 20, 4, shown_path="/v2/snapshots?resource_type=volume")


def test_a_bogus_huge_total_is_refused_before_more_requests():
    calls = []

    def read_page(number: int) -> Page:
        calls.append(number)
        return Page(number, [{"id": str(i)} for i in range(200)], 10 ** 9)

    with pytest.raises(APIError, match="5000000 pages of per_page=200 .* more than the 5000 pages"):
        read_listing(read_page, 200, 25)
    assert calls == [1]
    with pytest.raises(APIError, match="more than the 3 pages"):
        read_listing(lambda n: Page(n, [{"id": "1"}, {"id": "2"}], 8), 2, 2, max_pages=3)


def test_a_failing_page_stops_the_submitting(schedule):
    schedule(1)
    calls = []

    def read_page(number: int) -> Page:
        calls.append(number)
        if number == 2:
            raise APIError(403, "/v2/snapshots", 1)
        return Page(number, [{"id": "%d-%d" % (number, i)} for i in range(10)], 5000)

    with pytest.raises(APIError):
        read_listing(read_page, 10, 3)
    assert len(calls) <= 1 + 3 + 2


def test_unknown_consistency_is_refused():
    with pytest.raises(ValueError):
        read_listing(lambda n: Page(n, [], 0), 10, 1, consistency="eventual")


# -- properties -----------------------------------------------------------------------------------------------------

KINDS = {"creations": ["end", "head", "at"], "deletions": ["delete"], "mixed": ["end", "head", "at", "delete"],
         "end": ["end"]}


@st.composite
def scenarios(draw: t.Any, mode: str) -> t.Dict[str, t.Any]:
    per_page = draw(st.integers(1, 8))
    count = draw(st.integers(0, 12 * per_page))
    pages = pages_for(count, per_page)
    kinds = KINDS[mode]
    # Up to two pages' worth of changes, at any read: with any serving order, the drift a round can hide stays
    # within reach of the re-reads. (Faster streams are the deterministic tests above, served in submission order.)
    changes = draw(st.lists(st.tuples(st.integers(0, 3 * pages + 3), st.sampled_from(kinds),
                                      st.floats(0, 1, exclude_max=True)), max_size=2 * per_page))
    return {"per_page": per_page, "count": count, "changes": changes,
            "concurrency": draw(st.sampled_from([1, 2, 3, 8])), "seed": draw(st.integers(0, 2 ** 16))}


def _model(scenario: t.Dict[str, t.Any]) -> Model:
    plan: t.Dict[int, t.List[Change]] = {}
    for read, kind, where in scenario["changes"]:
        plan.setdefault(read, []).append((kind, where))
    return Model(scenario["count"], scenario["per_page"], lambda read: plan.get(read, ()))


@pytest.mark.parametrize("mode", ["creations", "deletions", "end"])
def test_monotone_changes_never_fail_and_keep_the_guarantee(schedule, mode):
    @PROPERTY
    @given(scenario=scenarios(mode))
    def check(scenario: t.Dict[str, t.Any]) -> None:
        schedule(scenario["seed"])
        model = _model(scenario)
        listing = read_listing(model.read_page, scenario["per_page"], scenario["concurrency"])
        check_guarantee(model, ids(listing))
        assert model.served <= bound(model)
        if not model.created and not model.deleted:
            assert model.served == pages_for(scenario["count"], scenario["per_page"])

    check()


def test_mixed_changes_fail_cleanly_or_miss_only_in_the_blind_spot(schedule):
    @PROPERTY
    @given(scenario=scenarios("mixed"))
    def check(scenario: t.Dict[str, t.Any]) -> None:
        schedule(scenario["seed"])
        model = _model(scenario)
        try:
            listing = read_listing(model.read_page, scenario["per_page"], scenario["concurrency"])
        except IncompleteListingError:
            assert model.served <= bound(model)
            return
        assert model.served <= bound(model)
        result = ids(listing)
        check_sound(model, result)
        for sid in model.survivors - set(result):
            assert blind_spot(model, sid), "%s was missed outside the blind spot" % sid

    check()


@pytest.mark.parametrize("mode", ["mixed", "deletions"])
def test_strict_returns_what_two_reads_agreed_on(schedule, mode):
    """strict: a subset of the account at one moment; for monotone streams every survivor too."""
    @PROPERTY
    @given(scenario=scenarios(mode))
    def check(scenario: t.Dict[str, t.Any]) -> None:
        schedule(scenario["seed"])
        model = _model(scenario)
        try:
            listing = read_listing(model.read_page, scenario["per_page"], scenario["concurrency"], consistency="strict")
        except IncompleteListingError:
            return
        result = ids(listing)
        check_sound(model, result)
        assert any(set(result) <= set(state) for state in model.states), "not the account at any one moment"
        if mode != "mixed":
            assert model.survivors <= set(result)
        assert model.served <= paging.STRICT_READS * bound(model)

    check()


@pytest.mark.parametrize("kind", ["end", "delete"])
def test_the_documented_regime_25_in_flight_in_random_order(schedule, kind):
    """paging.py's docstring: per_page 200, 25 in flight served in random order, a change per request: no failure."""
    rng = random.Random(kind)
    schedule(7)

    def one_per_read(_read: int) -> t.Sequence[Change]:
        return [(kind, rng.random())]

    model = Model(100 * 200, 200, one_per_read)
    listing = read_listing(model.read_page, 200, 25)
    check_guarantee(model, ids(listing))
    assert model.served <= 2 * 100


@pytest.mark.parametrize("concurrency", [1, 25])
def test_creations_at_the_end_keep_the_api_s_order_exactly(schedule, concurrency):
    """The likeliest change (new snapshots at the end): served in any order, the result is in the API's order."""
    schedule(3)

    def one_per_read(_read: int) -> t.Sequence[Change]:
        return [("end", 0.0)]

    model = Model(50 * 200, 200, one_per_read)
    result = ids(read_listing(model.read_page, 200, concurrency))
    check_guarantee(model, result)
    where = {sid: index for index, sid in enumerate(model.universe)}
    assert [where[s] for s in result] == sorted(where[s] for s in result)
