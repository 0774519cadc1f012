# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The simulator's documented rate limits: the hourly budget with one timer per request, the burst limit.

Most tests drive the limiter with a fake clock, so they say exactly when each request
expires without sleeping; one uses a time scale and real time.
"""

from __future__ import annotations

import time

import pytest

from ansible_collections.snapfleet.digitalocean.tests.simulator import (
    DEFAULT_RATE_LIMITS,
    RateLimit,
    RateLimits,
    Simulator,
    make_snapshots,
)

TOKEN = "sim-token"  # the token of the `client` fixture (conftest.py)

SNAPSHOTS = make_snapshots(count=5, seed=1)


def _sim(**kwargs):
    return Simulator(snapshots=SNAPSHOTS, token=TOKEN, **kwargs)


def _state(response):
    return (response.status_code, int(response.headers["ratelimit-remaining"]), int(response.headers["ratelimit-reset"]))


def test_documented_limits_and_the_default():
    assert RateLimits.documented() == RateLimits(hourly=5000, burst=250, time_scale=1.0)
    scaled = RateLimits.documented(time_scale=60)
    assert (scaled.hour, scaled.minute) == (60.0, 1.0)
    # The default is generous: the real hourly budget in a one-minute "hour", no burst limit.
    assert DEFAULT_RATE_LIMITS == RateLimits(hourly=5000, burst=None, time_scale=60.0)
    assert _sim().rate_limits == DEFAULT_RATE_LIMITS
    assert _sim(rate_limit=None).rate_limits is None and _sim(rate_limit=None).rate_limit is None
    assert _sim(rate_limit=RateLimit(3, 1.0)).rate_limit == RateLimit(3, 1.0)
    with pytest.raises(ValueError):
        _sim(rate_limits=RateLimits(), rate_limit=RateLimit(3, 1.0))
    with pytest.raises(ValueError):
        RateLimits(time_scale=0)


def test_each_request_counts_for_an_hour_after_it_was_made(fake_clock, client):
    with _sim(rate_limits=RateLimits(hourly=3, burst=None), clock=fake_clock) as sim:
        url = f"{sim.url}/v2/snapshots"
        answers = []
        for _index in range(3):
            answers.append(_state(client.get(url)))
            fake_clock.advance(10)
        (s1, r1, reset1), (s2, r2, reset2), (s3, r3, reset3) = answers
        assert (s1, s2, s3) == (200, 200, 200) and (r1, r2, r3) == (2, 1, 0)
        # The reset is when the OLDEST counted request expires: the first one, an hour after it.
        assert reset1 == reset2 == reset3 and abs(reset1 - (time.time() + 3600)) < 60
        # t=30: no budget left; the first request frees its slot at t=3600.
        limited = client.get(url)
        assert limited.status_code == 429 and limited.json()["id"] == "too_many_requests"
        assert limited.headers["Retry-After"] == str(3600 - 30)
        assert _state(limited)[1:] == (0, reset1)
        # One slot frees when the first request expires, not the whole budget.
        fake_clock.advance(3600 - 30)
        assert _state(client.get(url)) == (200, 0, reset1 + 10)
        fake_clock.advance(10)
        assert _state(client.get(url)) == (200, 0, reset1 + 20)
        # Two hours later everything has expired; only this request counts.
        fake_clock.advance(7200)
        assert _state(client.get(url))[:2] == (200, 2)
        assert sim.rate_status().remaining == 2


def test_burst_limit_answers_429_exactly_at_the_251st_request_of_a_minute(fake_clock, client):
    with _sim(rate_limits=RateLimits.documented(), clock=fake_clock) as sim:
        url = f"{sim.url}/v2/snapshots/{SNAPSHOTS[0]['id']}"
        for index in range(250):
            response = client.get(url)
            assert response.status_code == 200, index
            assert "Retry-After" not in response.headers
            fake_clock.advance(0.1)
        # t=25: the 251st request within a minute. The first one leaves the minute at t=60.
        limited = client.get(url)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "35"
        assert limited.json()["id"] == "too_many_requests"
        # No header tells the burst limit; a rejected request is not counted.
        assert limited.headers["ratelimit-remaining"] == "4750"
        assert sim.rate_status().burst_used == 250
        fake_clock.advance(34.9)
        assert client.get(url).status_code == 429
        fake_clock.advance(0.1)  # t=60: the first request has left the minute
        assert client.get(url).status_code == 200
        # Full again: the next slot frees when the second request (t=0.1) leaves the minute.
        again = client.get(url)
        assert again.status_code == 429 and again.headers["Retry-After"] == "1"
        assert again.headers["ratelimit-remaining"] == "4749"


def test_spend_models_other_tools_on_the_same_token(fake_clock, client):
    with _sim(rate_limits=RateLimits.documented(), clock=fake_clock) as sim:
        sim.spend(4990)  # a minute ago by default: inside the hour, outside the burst window
        first = client.get(f"{sim.url}/v2/snapshots")
        assert first.status_code == 200 and first.headers["ratelimit-remaining"] == "9"
        # Their oldest request was made 60 s ago: it expires in 3540 s.
        assert abs(int(first.headers["ratelimit-reset"]) - (time.time() + 3540)) < 60
        for _index in range(9):
            assert client.get(f"{sim.url}/v2/snapshots").status_code == 200
        exhausted = client.get(f"{sim.url}/v2/snapshots")
        assert exhausted.status_code == 429 and exhausted.headers["Retry-After"] == "3540"
    with _sim(rate_limits=RateLimits.documented(), clock=fake_clock) as sim:
        # Made from 3564 s ago until now, one every 36 s: the oldest frees its slot 36 s from now.
        sim.spend(100, ago=0, over=3564)
        status = sim.rate_status()
        assert (status.remaining, status.burst_used) == (4900, 2)
        assert abs(status.reset - (time.time() + 36)) < 60
        fake_clock.advance(37)
        assert sim.rate_status().remaining == 4901


def test_time_scale_makes_a_minute_last_a_second(client):
    with _sim(rate_limits=RateLimits(hourly=5000, burst=3, time_scale=60.0)) as sim:
        url = f"{sim.url}/v2/snapshots"
        assert [client.get(url).status_code for _index in range(3)] == [200, 200, 200]
        limited = client.get(url)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
        # The hour lasts 60 real seconds: the reset is at most a minute away, in real epoch seconds.
        assert time.time() < int(limited.headers["ratelimit-reset"]) <= time.time() + 61
        time.sleep(1.05)  # a whole scaled minute: the three requests have left the burst window
        assert client.get(url).status_code == 200


def test_headers_on_every_answer_and_legacy_window(client):
    with _sim(rate_limits=RateLimits.documented()) as sim:
        for path in ("/v2/snapshots", "/v2/snapshots/999", "/v2/droplets/1/snapshots", "/v2/nothing"):
            response = client.get(sim.url + path)
            assert response.headers["ratelimit-limit"] == "5000"
            assert response.headers["ratelimit-remaining"].isdigit()
        assert sim.rate_status().remaining == 5000 - 4
        sim.rate_limit = RateLimit(limit=1, window=60.0)
        assert sim.rate_limits is None
        assert [client.get(f"{sim.url}/v2/snapshots").status_code for _index in range(2)] == [200, 429]
        sim.rate_limits = RateLimits(hourly=2, burst=None)
        assert sim.rate_limit is None
        assert [client.get(f"{sim.url}/v2/snapshots").status_code for _index in range(3)] == [200, 200, 429]
