# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client under the API's faults: rate limits, server errors, broken answers, drops, timeouts.

Faults come from the simulator (one layer down, a real HTTP server); waits are
recorded through ``Client(sleeper=...)`` instead of slept wherever the test
is about how long the client would wait.
"""

from __future__ import annotations

import re
import time
import typing as t

import pytest

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import Client
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.contract import parse_list_body
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import APIError, TransportError
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.http import transport
from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, RateLimit, make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import TOKEN, RawServer, http_answer
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.module_utils.clocks import FakeTime

SNAPSHOTS = make_snapshots(count=50, seed=21)
LIST = "/v2/snapshots"
FIRST_PAGE = "/v2/snapshots?page=1&per_page=10"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _client(sim: t.Any, **kwargs: t.Any) -> Client:
    """A client for ``sim``: no backoff, 2 retries unless told otherwise; ``sleeper=FakeTime`` also gives its clock."""
    kwargs.setdefault("retry_backoff", 0)
    kwargs.setdefault("retries", 2)
    fake = kwargs.get("sleeper")
    if isinstance(fake, FakeTime):
        kwargs.update(clock=fake.now, sleeper=fake.sleep)
    return Client(TOKEN, api_url=sim.url, **kwargs)


@pytest.fixture(name="recorder")
def fixture_recorder() -> FakeTime:
    """Waits are recorded on a fake clock that they move on: nothing is slept for real."""
    return FakeTime()


def _ids(listing: t.Any) -> t.List[str]:
    return [s["id"] for s in listing.snapshots]


ALL_IDS = [s["id"] for s in SNAPSHOTS]


# -- rate limiting -------------------------------------------------------------------------------

def test_429_with_retry_after_waits_what_the_server_says(make_sim, recorder):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("status", path=LIST, page=1, status=429, retry_after=7, times=1))
    with _client(sim, sleeper=recorder, concurrency=1) as client:
        listing = client.list(LIST, per_page=10)
    assert _ids(listing) == ALL_IDS
    assert recorder.waits == [7.0]
    assert [r.status for r in sim.requests] == [429, 200, 200, 200, 200, 200]
    assert client.requests_sent == 6


def test_429_without_retry_after_waits_until_ratelimit_reset(make_sim, recorder):
    sim = make_sim(snapshots=SNAPSHOTS, rate_limit=RateLimit(limit=1000, window=30.0))
    sim.add_fault(Fault("status", path=LIST, page=2, status=429, times=1))
    before = time.time()
    with _client(sim, sleeper=recorder, concurrency=1) as client:
        listing = client.list(LIST, per_page=10)
    assert _ids(listing) == ALL_IDS
    # The window opened with page 1 and resets at ceil(opened + 30): 29 to 31 seconds after `before`.
    assert len(recorder.waits) == 1
    assert 28.0 <= recorder.waits[0] <= 31.0 + (time.time() - before)
    assert [r.status for r in sim.requests] == [200, 429, 200, 200, 200, 200]


def test_429_retry_after_beyond_retry_max_wait_fails_fast_reporting_the_429(make_sim, recorder):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("status", path=LIST, status=429, retry_after=100, times=None))
    started = time.monotonic()
    with _client(sim, sleeper=recorder, retries=5, retry_max_wait=0.5) as client, pytest.raises(APIError) as caught:
        client.list(LIST, per_page=10)
    error = caught.value
    assert time.monotonic() - started < 10
    # The server asks for more than retry_max_wait allows: no point asking again early; the 429 is reported.
    assert recorder.waits == []
    assert (error.status, error.api_id, error.attempts, error.path) == (429, "too_many_requests", 1, FIRST_PAGE)
    assert "API Rate limit exceeded." in str(error)
    assert "the API's rate limit is exhausted (ratelimit-reset " in str(error)
    assert len(sim.requests) == 1


def test_retry_after_within_retry_max_wait_is_honoured_until_the_budget_is_spent(make_sim, recorder):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("status", path=LIST, status=429, retry_after=2, times=None))
    with _client(sim, sleeper=recorder, retries=5, retry_max_wait=5) as client, pytest.raises(APIError) as caught:
        client.list(LIST, per_page=10)
    # 2 + 2 fit in 5 s; a third pause of 2 s would not.
    assert recorder.waits == [2.0, 2.0]
    assert (caught.value.status, caught.value.attempts) == (429, 3)
    assert len(sim.requests) == 3


def test_a_backoff_that_does_not_fit_retry_max_wait_ends_the_request_saying_so(make_sim, recorder, monkeypatch):
    """Before: backoff was shortened to fit, and the retries went on back to back once the budget was spent."""
    monkeypatch.setattr(transport.random, "uniform", lambda low, high: high)  # full jitter at its longest
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("status", path=LIST, status=500, times=None))
    with _client(sim, sleeper=recorder, retries=6, retry_backoff=0.25, retry_max_wait=1.5) as client:
        with pytest.raises(APIError) as caught:
            client.list(LIST, per_page=10)
    # Retries owe 0, 0.5 and 1 s (1.5 s in all); the next owes 2 s, which retry_max_wait has not left.
    assert recorder.waits == [0.5, 1.0]
    assert (caught.value.status, caught.value.attempts) == (500, 4)
    assert len(sim.requests) == 4
    assert ("; no further attempt: the next attempt was owed a backoff of 2.0 s, more than retry_max_wait (1.5 s) "
            "allows (0.0 s left); request_id ") in str(caught.value)
    assert str(caught.value).endswith("; after 4 attempts")


def test_rate_limit_that_really_runs_out_still_gives_the_complete_list(make_sim):
    # 5 requests per 1 s window and 12 pages: the client must wait for the window to turn over.
    snapshots = make_snapshots(count=120, seed=4)
    sim = make_sim(snapshots=snapshots, rate_limit=RateLimit(limit=5, window=1.0))
    started = time.monotonic()
    with Client(TOKEN, api_url=sim.url, retry_backoff=0, retries=5, concurrency=12) as client:
        listing = client.list(LIST, per_page=10)
    assert [s["id"] for s in listing.snapshots] == [s["id"] for s in snapshots]
    served = [r for r in sim.requests if r.status == 200]
    assert sorted(int(r.query["page"]) for r in served) == list(range(1, 13))
    assert {r.status for r in sim.requests} <= {200, 429}
    assert time.monotonic() - started < 30


def test_rate_budget_keeps_a_concurrent_listing_inside_the_budget(make_sim):
    """With the budget reported on every answer, no request should be spent on a 429."""
    snapshots = make_snapshots(count=120, seed=4)
    sim = make_sim(snapshots=snapshots, rate_limit=RateLimit(limit=5, window=1.0))
    with Client(TOKEN, api_url=sim.url, retry_backoff=0, retries=5, concurrency=12) as client:
        listing = client.list(LIST, per_page=10)
    assert len(listing.snapshots) == 120
    assert [r.status for r in sim.requests].count(429) == 0


# -- server errors -------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [500, 502, 503, 504, 520, 521, 522, 523, 524])
def test_transient_status_is_retried_then_succeeds(make_sim, status):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("status", path=LIST, page=3, status=status, times=2))
    with _client(sim, concurrency=1) as client:
        listing = client.list(LIST, per_page=10)
    assert _ids(listing) == ALL_IDS
    assert [(int(r.query["page"]), r.status) for r in sim.requests] == [
        (1, 200), (2, 200), (3, status), (3, status), (3, 200), (4, 200), (5, 200)]
    assert client.requests_sent == 7


def test_persistent_503_is_reported_with_everything_known(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("status", path=LIST, status=503, times=None))
    with _client(sim, retries=3) as client, pytest.raises(APIError) as caught:
        client.list(LIST, per_page=10)
    error = caught.value
    assert (error.status, error.api_id, error.path, error.attempts) == (503, "service_unavailable", FIRST_PAGE, 4)
    assert error.api_message == "The service is temporarily unavailable, try again later."
    assert UUID.match(error.request_id)
    assert str(error) == (
        "DigitalOcean API error: GET /v2/snapshots?page=1&per_page=10 answered HTTP 503; service_unavailable: "
        "The service is temporarily unavailable, try again later.; request_id %s; after 4 attempts" % error.request_id)
    assert error.to_result() == {"status": 503, "error": {
        "id": "service_unavailable", "message": "The service is temporarily unavailable, try again later.",
        "request_id": error.request_id, "path": FIRST_PAGE, "attempts": 4}}
    assert len(sim.requests) == 4 and client.requests_sent == 4


def test_html_502_page_is_described_not_a_json_decode_error(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("html", path=LIST, status=502, times=None))
    with _client(sim) as client, pytest.raises(APIError) as caught:
        client.list(LIST, per_page=10)
    error = caught.value
    assert (error.status, error.attempts, error.content_type) == (502, 3, "text/html")
    assert str(error) == (
        "DigitalOcean API error: GET /v2/snapshots?page=1&per_page=10 answered HTTP 502; the answer was an HTML "
        "page (text/html) titled '502 Bad Gateway', not the API's JSON; a proxy or load balancer may be in the way; "
        "after 3 attempts")
    assert "Expecting value" not in str(error) and "JSONDecodeError" not in str(error)


def test_retry_max_wait_zero_still_retries_without_waiting(make_sim, recorder):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("status", path=LIST, status=503, times=1))
    with _client(sim, retry_max_wait=0, sleeper=recorder) as client:
        listing = client.list(LIST, per_page=10)
    assert _ids(listing) == ALL_IDS
    assert recorder.total == 0


@pytest.mark.parametrize("status, api_id", [(401, "unauthorized"), (403, "forbidden"), (404, "not_found")])
def test_client_errors_are_never_retried(make_sim, status, api_id):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("status", path=LIST, status=status, times=None))
    with _client(sim, retries=5) as client, pytest.raises(APIError) as caught:
        client.list(LIST, per_page=10)
    assert (caught.value.status, caught.value.api_id, caught.value.attempts) == (status, api_id, 1)
    assert len(sim.requests) == 1 and client.requests_sent == 1


# -- broken answers --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["truncated", "cut_json", "not_json"])
def test_broken_200_is_read_again_then_complete(make_sim, kind):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault(kind, path=LIST, page=2, times=2))
    with _client(sim, concurrency=1) as client:
        listing = client.list(LIST, per_page=10)
    assert _ids(listing) == ALL_IDS
    assert [int(r.query["page"]) for r in sim.requests] == [1, 2, 2, 2, 3, 4, 5]
    assert client.requests_sent == 7


@pytest.mark.parametrize(
    "kind, detail",
    [
        ("truncated", r"the answer was cut off \(ChunkedEncodingError: .+\)"),
        ("cut_json", r"the answer was cut off or is not valid JSON \(application/json; charset=utf-8, \d+ bytes\)"),
        ("not_json", r"the answer was an HTML page \(application/json; charset=utf-8\), not the API's JSON; "
                     r"a proxy or load balancer may be in the way"),
    ],
)
def test_persistently_broken_200_is_an_api_error_with_a_clear_detail(make_sim, kind, detail):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault(kind, path=LIST, times=None))
    with _client(sim, retries=2) as client, pytest.raises(APIError) as caught:
        client.list(LIST, per_page=10)
    error = caught.value
    assert (error.status, error.path, error.attempts) == (200, FIRST_PAGE, 3)
    assert re.fullmatch(detail, error.detail)
    assert str(error) == "DigitalOcean API error: GET %s answered HTTP 200; %s; after 3 attempts" % (
        FIRST_PAGE, error.detail)
    assert len(sim.requests) == 3


# -- the connection ----------------------------------------------------------------------------------

def test_dropped_connections_are_retried_then_complete(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("drop", path=LIST, page=4, times=2))
    with _client(sim, concurrency=1) as client:
        listing = client.list(LIST, per_page=10)
    assert _ids(listing) == ALL_IDS
    assert [(int(r.query["page"]), r.status) for r in sim.requests] == [
        (1, 200), (2, 200), (3, 200), (4, 0), (4, 0), (4, 200), (5, 200)]
    assert client.requests_sent == 7


def test_persistent_drop_is_a_transport_error_with_attempts(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("drop", path=LIST, times=None))
    with _client(sim, retries=3) as client, pytest.raises(TransportError) as caught:
        client.list(LIST, per_page=10)
    error = caught.value
    assert (error.path, error.attempts) == (FIRST_PAGE, 4)
    assert str(error).startswith("Could not reach the DigitalOcean API: GET %s failed after 4 attempts: " % FIRST_PAGE)
    assert TOKEN not in str(error)
    assert error.to_result() == {"error": {"path": FIRST_PAGE, "attempts": 4, "reason": error.reason}}
    assert len(sim.requests) == 4


def test_requests_sent_counts_the_attempts_of_a_failed_request(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("drop", path=LIST, times=None))
    with _client(sim, retries=3) as client, pytest.raises(TransportError):
        client.list(LIST, per_page=10)
    assert len(sim.requests) == 4
    assert client.requests_sent == 4


def test_slow_answer_beyond_timeout_is_retried_then_complete(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    # One page; its first answer comes after 2.5 s, well past the 1 s timeout (which a normal
    # answer never reaches, even on a loaded machine).
    sim.add_fault(Fault("slow", path=LIST, delay=2.5, times=1))
    with _client(sim, timeout=1.0) as client:
        listing = client.list(LIST, per_page=200)
    assert _ids(listing) == ALL_IDS
    # At least the slow one and its retry (a loaded machine may make a normal answer late too).
    assert client.requests_sent >= 2


def test_persistently_slow_answer_is_a_transport_error_in_bounded_time(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("slow", path=LIST, delay=1.0, times=None))
    started = time.monotonic()
    with _client(sim, timeout=0.3, retries=2) as client, pytest.raises(TransportError) as caught:
        client.list(LIST, per_page=10)
    assert time.monotonic() - started < 8
    assert (caught.value.path, caught.value.attempts) == (FIRST_PAGE, 3)
    assert client.requests_sent == 3
    assert "timed out" in caught.value.reason.lower()


def test_refused_connection_is_a_transport_error():
    # A port nothing listens on: bind one, note it, close it.
    import socket  # pylint: disable=import-outside-toplevel

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with Client(TOKEN, api_url="http://127.0.0.1:%d" % port, retry_backoff=0, retries=1) as client:
        with pytest.raises(TransportError) as caught:
            client.get_snapshot("1")
    assert (caught.value.path, caught.value.attempts) == ("/v2/snapshots/1", 2)


# -- answers only a raw server gives -------------------------------------------------------------------

def test_cut_off_error_answer_reports_its_own_status_and_attempts(raw_server):
    raw_server.payload = http_answer(503, b'{"id": "service_unavailable", "mes',
                                     {"Content-Type": "application/json", "Content-Length": "80"})
    with Client(TOKEN, api_url=raw_server.url, retries=1, retry_backoff=0) as client, pytest.raises(APIError) as caught:
        client.get_snapshot("1")
    assert caught.value.status == 503
    assert caught.value.attempts == raw_server.requests == client.requests_sent


def test_a_redirect_is_reported_not_followed(raw_server):
    other = RawServer()
    try:
        other.payload = http_answer(200, b'{"snapshot": {"id": "1", "name": "elsewhere"}}',
                                    {"Content-Type": "application/json"})
        raw_server.payload = http_answer(302, b"", {"Location": other.url + "/v2/snapshots/1"})
        with Client(TOKEN, api_url=raw_server.url, retry_backoff=0) as client, pytest.raises(APIError) as caught:
            client.get_snapshot("1")
        assert caught.value.status == 302
        assert other.requests == 0
    finally:
        other.close()


def test_a_redirect_never_carries_the_token_elsewhere(raw_server):
    other = RawServer()
    try:
        other.payload = http_answer(404, b'{"id": "not_found", "message": "no"}', {"Content-Type": "application/json"})
        raw_server.payload = http_answer(302, b"", {"Location": other.url + "/v2/snapshots/1"})
        with Client(TOKEN, api_url=raw_server.url, retry_backoff=0) as client, pytest.raises(APIError):
            client.get_snapshot("1")
        assert all(TOKEN.encode() not in head for head in other.heads)
    finally:
        other.close()


@pytest.mark.parametrize("reset", ["nan", "-nan"])
def test_a_nan_ratelimit_reset_is_ignored(raw_server, reset):
    body = b'{"snapshots": [], "links": {}, "meta": {"total": 0}}'
    raw_server.payload = http_answer(200, body, {"Content-Type": "application/json", "ratelimit-remaining": "0",
                                                 "ratelimit-reset": reset})
    with Client(TOKEN, api_url=raw_server.url, retry_backoff=0, retry_max_wait=0.2) as client:
        client.list(LIST)
        # The second request consults the budget the first answer reported.
        assert client.list(LIST).total == 0


def test_nan_in_an_answer_is_a_contract_error_reported_at_once(raw_server):
    body = b'{"snapshots": [{"id": "1", "size_gigabytes": NaN}], "links": {}, "meta": {"total": 1}}'
    raw_server.payload = http_answer(200, body, {"Content-Type": "application/json"})
    with Client(TOKEN, api_url=raw_server.url, retries=3, retry_backoff=0) as client, pytest.raises(APIError) as caught:
        client.list(LIST)
    # Complete JSON that breaks the contract: asking again would give the same answer.
    assert (caught.value.status, caught.value.attempts, raw_server.requests) == (200, 1, 1)
    assert "the answer does not match the API's contract" in caught.value.detail
    assert "NaN" in caught.value.detail


# -- contract errors tell the truth about the answer ----------------------------------------------

def test_a_204_where_a_snapshot_was_expected_is_reported_as_a_204(raw_server):
    """Before: every contract error said HTTP 200."""
    raw_server.payload = http_answer(204, b"")
    with Client(TOKEN, api_url=raw_server.url, retry_backoff=0) as client, pytest.raises(APIError) as caught:
        client.get_snapshot("12345")
    assert caught.value.status == 204
    assert str(caught.value).startswith("DigitalOcean API error: GET /v2/snapshots/12345 answered HTTP 204; the "
                                        "answer does not match the API's contract: the answer has no 'snapshot' object")


def test_a_contract_error_after_retries_says_how_many_attempts_it_took(make_sim):
    """Before: "after 1 attempt" whatever came before the answer that broke the contract."""
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("status", path=LIST, status=503, times=2))
    sim.add_fault(Fault("status", path="/v2/snapshots/*", status=503, times=2))
    with _client(sim, retries=5) as client:
        # A listing page whose snapshots break the contract, and a GET by id answered with a list body.
        with pytest.raises(APIError) as by_id:
            client.transport.get_json("GET", "/v2/snapshots/%s" % ALL_IDS[0], None, parse=parse_list_body)
        with pytest.raises(APIError) as listed:
            client.list(LIST, per_page=10, parse=lambda body: parse_list_body({"snapshots": None}))
    assert (by_id.value.status, by_id.value.attempts) == (200, 3)
    assert str(by_id.value).endswith("the answer does not match the API's contract: the answer has no 'snapshots' "
                                     "list; after 3 attempts")
    assert (listed.value.status, listed.value.attempts) == (200, 3)
    assert str(listed.value).endswith("after 3 attempts")


def test_a_page_that_ignores_per_page_after_retries_says_how_many_attempts_it_took(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("status", path=LIST, status=503, times=2))

    def doubled(body: t.Any) -> t.Any:
        snapshots, total, links = parse_list_body(body)
        return snapshots * 2, total, links  # 20 snapshots for per_page=10

    with _client(sim, retries=5) as client, pytest.raises(APIError) as caught:
        client.list(LIST, per_page=10, parse=doubled)
    assert "answered 20 snapshots on page 1 for per_page=10 and meta.total 50: it ignored per_page" in str(caught.value)
    assert caught.value.attempts == 3 and str(caught.value).endswith("after 3 attempts")
