# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pacing and the one time budget: the hourly budget with per-request timers, the burst limit, every wait bounded.

Unit tests drive the Pacer on a fake clock; the rest run the client against the simulator
with the documented limits at a time scale (a "minute" of one second), and record waits
on a fake clock where the test is about how long the client would wait.
"""

from __future__ import annotations

import bisect
import email.utils
import time
import typing as t

import pytest

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import Client
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import APIError, RateLimitError
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.http import pacing, transport
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.http.pacing import Pacer, RequestBudget, TimeBudget
from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, RateLimits, make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import TOKEN
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.module_utils.clocks import FakeTime

LIST = "/v2/snapshots"


def _pacer(fake: FakeTime, per_window: int = 250, window: float = 60.0) -> Pacer:
    return Pacer(per_window, window, clock=fake.now, sleeper=fake.sleep)


def _headers(remaining: int, reset_in: float, limit: int = 5000) -> t.Dict[str, str]:
    return {"ratelimit-limit": str(limit), "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(time.time() + reset_in)}


def _most_in_any_window(starts: t.List[float], window: float) -> int:
    starts = sorted(starts)
    return max((bisect.bisect_left(starts, s + window) - i for i, s in enumerate(starts)), default=0)


# -- the pacer alone ------------------------------------------------------------------------------

def test_burst_limit_never_starts_more_than_the_limit_in_any_window():
    fake = FakeTime()
    pacer = _pacer(fake, per_window=250, window=60.0)
    task = TimeBudget(1e9, fake.now)
    starts = []
    for _index in range(700):
        pacer.acquire(task)
        starts.append(fake.now())
        pacer.answered(None)
    assert _most_in_any_window(starts, 60.0) == 250
    # ... and no slower than that: 700 requests start within 2 windows of the first.
    assert starts[-1] - starts[0] == pytest.approx(120.0)


def test_hourly_budget_spent_waits_for_the_oldest_slot_then_goes_alone():
    fake = FakeTime()
    pacer = _pacer(fake)
    task = TimeBudget(600, fake.now)
    pacer.acquire(task)
    pacer.answered(_headers(remaining=0, reset_in=30))
    pacer.acquire(task)  # waits for ONE slot: the oldest counted request's timer
    assert fake.waits and fake.total == pytest.approx(30, abs=1.5)
    # Not the whole limit: the next figure comes with this request's answer.
    assert pacer._allowed == 0  # pylint: disable=protected-access
    pacer.answered(_headers(remaining=4, reset_in=50))  # the next oldest request expires later
    assert pacer._allowed == 4  # pylint: disable=protected-access


def test_an_answer_that_arrives_late_does_not_raise_the_budget():
    fake = FakeTime()
    pacer = _pacer(fake)
    task = TimeBudget(600, fake.now)
    for _index in range(3):
        pacer.acquire(task)
    same = _headers(remaining=0, reset_in=30)
    pacer.answered(same)  # counted last, answered first
    pacer.answered(dict(same, **{"ratelimit-remaining": "2"}))  # counted first, answered last
    pacer.answered(_headers(remaining=9, reset_in=20))  # an older oldest request: an older answer
    assert pacer._allowed == 0  # pylint: disable=protected-access


def test_requests_in_flight_are_not_counted_twice_and_not_forgotten():
    fake = FakeTime()
    pacer = _pacer(fake)
    task = TimeBudget(600, fake.now)
    for _index in range(3):
        pacer.acquire(task)
    # One answer says 5 are left; two requests are still in flight and may not be counted in it.
    pacer.answered(_headers(remaining=5, reset_in=100))
    assert pacer._allowed == 3  # pylint: disable=protected-access


def test_hourly_budget_that_would_outlast_the_task_fails_at_once_and_says_why():
    fake = FakeTime()
    pacer = _pacer(fake)
    task = TimeBudget(20, fake.now)
    pacer.acquire(task)
    pacer.answered(_headers(remaining=0, reset_in=1200))
    with pytest.raises(RateLimitError) as caught:
        pacer.acquire(task)
    assert fake.waits == []
    message = str(caught.value)
    assert message.startswith("The token's hourly budget is spent (ratelimit-remaining 0; other tools may share the "
                              "token): the next request slot frees in 120")
    assert "more than total_max_wait (20 s) allows" in message


@pytest.mark.parametrize("value", ["nan", "-nan", "inf", "soon", ""])
def test_unusable_ratelimit_headers_are_ignored(value):
    fake = FakeTime()
    pacer = _pacer(fake)
    task = TimeBudget(1, fake.now)
    pacer.acquire(task)
    pacer.answered({"ratelimit-remaining": "0", "ratelimit-reset": value})
    pacer.answered({"ratelimit-remaining": value, "ratelimit-reset": "1"})
    pacer.acquire(task)  # no figure to wait for: it goes (the server's 429, if any, is retried)
    assert fake.waits == []


def test_a_429_retry_after_holds_every_request_of_the_client():
    fake = FakeTime()
    pacer = _pacer(fake)
    task = TimeBudget(600, fake.now)
    pacer.acquire(task)
    pacer.answered({"Retry-After": "9"}, 429)
    pacer.acquire(task)
    assert fake.waits == pytest.approx([9.0])


# -- the API's clock: ratelimit-reset against the answer's Date -----------------------------------

API_NOW = 1_900_000_000  # what the API's clock says (an instant in 2030)


@pytest.mark.parametrize("skew", [-3600, -30, 0, 45, 3600])
def test_ratelimit_reset_is_measured_against_the_answers_date_whatever_the_local_clock(skew):
    """Before: the local clock was used; an hour slow waited an hour more, an hour fast did not wait at all."""
    fake = FakeTime()
    pacer = Pacer(250, 60.0, clock=fake.now, sleeper=fake.sleep, wall=lambda: API_NOW + skew)
    task = TimeBudget(600, fake.now)
    pacer.acquire(task)
    pacer.answered({"ratelimit-remaining": "0", "ratelimit-reset": str(API_NOW + 30),
                    "Date": email.utils.formatdate(API_NOW, usegmt=True)})
    pacer.acquire(task)
    assert fake.waits == pytest.approx([30.0])


def test_without_a_date_the_local_clock_stands_in():
    fake = FakeTime()
    pacer = Pacer(250, 60.0, clock=fake.now, sleeper=fake.sleep, wall=lambda: API_NOW - 20)
    task = TimeBudget(600, fake.now)
    pacer.acquire(task)
    pacer.answered({"ratelimit-remaining": "0", "ratelimit-reset": str(API_NOW + 30), "Date": "not a date"})
    pacer.acquire(task)
    assert fake.waits == pytest.approx([50.0])


@pytest.mark.parametrize("skew", [-3600, 0, 3600])
def test_a_429_without_retry_after_waits_until_ratelimit_reset_by_the_answers_date(skew):
    class Answer:
        status = 429
        headers = {"ratelimit-remaining": "0", "ratelimit-reset": str(API_NOW + 12),
                   "Date": email.utils.formatdate(API_NOW, usegmt=True)}

    wait = transport._server_wait(Answer(), wall=lambda: API_NOW + skew)  # pylint: disable=protected-access
    assert wait == pytest.approx(12.0)


@pytest.mark.parametrize("skew", [-3600, 0, 3600])
def test_a_retry_after_date_is_measured_against_the_answers_date(skew):
    class Answer:
        status = 503
        headers = {"Retry-After": email.utils.formatdate(API_NOW + 20, usegmt=True),
                   "Date": email.utils.formatdate(API_NOW, usegmt=True)}

    assert transport._server_wait(Answer(), wall=lambda: API_NOW + skew) == pytest.approx(20.0)  # pylint: disable=protected-access


@pytest.mark.parametrize("value, wait", [("7", 7.0), (" 7 ", 7.0), ("nan", None), ("-3", None), ("soon", None)])
def test_retry_after_seconds_or_nothing(value, wait):
    class Answer:
        status = 503
        headers = {"Retry-After": value}

    assert transport._server_wait(Answer()) == wait  # pylint: disable=protected-access


def test_the_simulator_dates_its_answers(make_sim):
    """What the tests above rely on from a server: http.server's send_response() sends Date."""
    sim = make_sim(snapshots=make_snapshots(count=1, seed=3))
    with Client(TOKEN, api_url=sim.url) as client:
        _body, _attempts, headers = client.transport.get_json("GET", LIST, None)
    assert abs(pacing.api_now(headers, wall=lambda: 0.0) - time.time()) < 5


def test_request_budget_is_a_sum_within_the_tasks_deadline():
    fake = FakeTime()
    task = TimeBudget(10, fake.now)
    first, second = RequestBudget(6, task), RequestBudget(6, task)
    first.spend(4)
    fake.sleep(4)
    assert first.left() == pytest.approx(2)
    assert second.left() == pytest.approx(6)
    fake.sleep(3)
    assert second.left() == pytest.approx(3)  # the task's deadline is nearer than its own bound
    assert second.limiting() == "total_max_wait (10 s)"


# -- the one time budget, through the client -------------------------------------------------------

def _client(sim: t.Any, fake: FakeTime, **kwargs: t.Any) -> Client:
    kwargs.setdefault("retry_backoff", 10)
    return Client(TOKEN, api_url=sim.url, clock=fake.now, sleeper=fake.sleep, **kwargs)


@pytest.fixture(name="longest_jitter")
def fixture_longest_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Full jitter at its longest, so that each backoff is known: 0, then 2, 4, 8... times retry_backoff / 2."""
    monkeypatch.setattr(transport.random, "uniform", lambda low, high: high)


@pytest.mark.parametrize("kind", ["truncated", "cut_json", "not_json"])
def test_cut_off_answers_wait_at_most_retry_max_wait_in_all(make_sim, kind, longest_jitter):
    """Before: the re-reads of cut-off bodies kept their own bound (retry_max_wait 1.5 waited 7.5 s)."""
    fake = FakeTime()
    sim = make_sim(snapshots=make_snapshots(count=5, seed=3))
    sim.add_fault(Fault(kind, path=LIST, times=None))
    with _client(sim, fake, retries=5, retry_backoff=0.25, retry_max_wait=1.5) as client, pytest.raises(APIError) as caught:
        client.list(LIST)
    # Waits of 0, 0.5 and 1 s; the fourth retry would owe 2 s and is not sent early instead.
    assert caught.value.attempts == 4 == len(sim.requests)
    assert fake.total == 1.5
    assert "no further attempt: the next attempt was owed a backoff of 2.0 s, more than retry_max_wait (1.5 s)" in (
        str(caught.value))


def test_mixed_faults_share_one_budget_and_one_bound_of_attempts(make_sim, longest_jitter):
    fake = FakeTime()
    sim = make_sim(snapshots=make_snapshots(count=5, seed=3))
    for kind in ("truncated", "drop", "cut_json"):
        sim.add_fault(Fault(kind, path=LIST, times=2))
    sim.add_fault(Fault("status", path=LIST, status=503, times=None))
    with _client(sim, fake, retries=4, retry_backoff=0.125, retry_max_wait=2.0) as client, pytest.raises(APIError) as caught:
        client.list(LIST)
    # Waits of 0, 0.25, 0.5 and 1 s fit in 2 s; a sixth attempt would be beyond retries=4.
    assert caught.value.attempts == 5 == len(sim.requests)
    assert fake.total == 1.75


def test_a_task_waits_at_most_total_max_wait_across_its_requests(make_sim, longest_jitter):
    fake = FakeTime()
    sim = make_sim(snapshots=make_snapshots(count=50, seed=3))
    sim.add_fault(Fault("status", path="/v2/snapshots/*", status=503, times=None))
    ids = [s["id"] for s in sim.snapshots[:2]]
    with _client(sim, fake, retries=5, retry_backoff=1.0, retry_max_wait=4.0, total_max_wait=5.0,
                 concurrency=1) as client, client.one_task():
        with pytest.raises(APIError) as first:
            client.get_snapshot(ids[0])
        with pytest.raises(APIError) as second:
            client.get_snapshot(ids[1])
    # The first request waits 0 and 2 s; 4 s more would pass its retry_max_wait (4 s). The second
    # waits 0 and 2 s more: 4 s of the task's 5; a retry owed 4 s does not fit in the 1 s left.
    assert (first.value.attempts, second.value.attempts) == (3, 3)
    assert fake.total == 4.0
    assert "owed a backoff of 4.0 s, more than retry_max_wait (4 s) allows (2.0 s left)" in str(first.value)
    assert "owed a backoff of 4.0 s, more than total_max_wait (5 s) allows (1.0 s left)" in str(second.value)


def test_a_spent_task_budget_sends_no_retry_and_says_so(make_sim):
    """Before: once total_max_wait was spent, the retries went on back to back until retries ran out."""
    fake = FakeTime()
    sim = make_sim(snapshots=make_snapshots(count=5, seed=3))
    sim.add_fault(Fault("status", path=LIST, status=503, times=None))
    with _client(sim, fake, retries=50, retry_backoff=0, total_max_wait=3.0) as client, client.one_task():
        fake.sleep(3.0)  # the task's time passes (a slow first request, say)
        with pytest.raises(APIError) as caught:
            client.list(LIST)
    assert caught.value.attempts == 1 == len(sim.requests)
    assert "no further attempt: total_max_wait (3 s) is spent; " in str(caught.value)


def test_each_operation_gets_its_own_task_budget(make_sim, longest_jitter):
    fake = FakeTime()
    sim = make_sim(snapshots=make_snapshots(count=5, seed=3))
    sim.add_fault(Fault("status", path=LIST, status=503, times=None))
    with _client(sim, fake, retries=3, retry_backoff=1.0, retry_max_wait=5.0, total_max_wait=5.0) as client:
        for _index in range(2):
            with pytest.raises(APIError):
                client.list(LIST)
    assert fake.total == 4.0  # 0 and 2 s each: the second listing had a budget of its own


def test_operations_inside_one_task_share_its_budget(make_sim, longest_jitter):
    fake = FakeTime()
    sim = make_sim(snapshots=make_snapshots(count=5, seed=3))
    sim.add_fault(Fault("status", path=LIST, status=503, times=None))
    with _client(sim, fake, retries=3, retry_backoff=1.0, retry_max_wait=5.0, total_max_wait=5.0) as client, client.one_task():
        for _index in range(3):
            with pytest.raises(APIError):
                client.list(LIST)
    assert fake.total == 4.0  # 0 and 2 s, then 0 and 2 s; the third's 2 s would not fit in the 1 s left


# -- against the simulator's documented limits ------------------------------------------------------

def test_300_pages_under_the_burst_limit_meet_no_429(make_sim):
    # The documented limits at time scale 60: a "minute" lasts 1 s, an "hour" 60 s.
    sim = make_sim(snapshots=make_snapshots(count=600, seed=5), rate_limits=RateLimits.documented(time_scale=60.0))
    with Client(TOKEN, api_url=sim.url, retry_backoff=0, burst_window=1.0, concurrency=25) as client:
        listing = client.list(LIST, per_page=2)
    assert len(listing.snapshots) == 600
    statuses = [r.status for r in sim.requests]
    assert statuses.count(429) <= 2  # a request's start and its arrival differ by a little
    assert statuses.count(200) >= 300


def test_a_nearly_spent_hourly_budget_waits_for_the_slots_it_needs(make_sim):
    sim = make_sim(snapshots=make_snapshots(count=20, seed=5), rate_limits=RateLimits(hourly=50, burst=None,
                                                                                      time_scale=60.0))
    # Other tools spent 49 of 50 requests one simulated hour less 30 simulated seconds ago: their
    # timers run out in half a real second.
    sim.spend(49, ago=3570)
    with Client(TOKEN, api_url=sim.url, retry_backoff=0, concurrency=5) as client:
        listing = client.list(LIST, per_page=4)
    assert len(listing.snapshots) == 20
    assert [r.status for r in sim.requests].count(429) == 0


def test_a_spent_hourly_budget_fails_clearly_instead_of_a_burst_of_429s(make_sim):
    sim = make_sim(snapshots=make_snapshots(count=20, seed=5), rate_limits=RateLimits(hourly=50, burst=None,
                                                                                      time_scale=60.0))
    sim.spend(49, ago=60)  # the oldest frees in 59 simulated minutes: 59 real seconds
    with Client(TOKEN, api_url=sim.url, retry_backoff=0, concurrency=5, total_max_wait=5) as client:
        with pytest.raises(RateLimitError) as caught:
            client.list(LIST, per_page=4)
    assert "hourly budget is spent (ratelimit-remaining 0" in str(caught.value)
    assert "more than total_max_wait (5 s) allows" in str(caught.value)
    assert len(sim.requests) == 1  # page 1 spent the last slot; nothing was sent into a 429
