# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""routes.py: the Droplet route gives the account listing's answers, and the rule that chooses between them.

Both routes run on the same simulator data and their results are compared field by field;
the rule's request counts are checked against the simulator's log, written out here.
"""

from __future__ import annotations

import math
import typing as t

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api import client as api
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import APIError
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions import options as o
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions import query as q
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions import routes
from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import TOKEN
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.module_utils.clocks import FakeTime

NINE = {"id", "name", "created_at", "regions", "resource_id", "resource_type", "min_disk_size", "size_gigabytes",
        "tags"}
# Tags varied within one Droplet (the generator gives a Droplet's snapshots the same tags), null included.
TAG_CYCLE = (["env:prod", "web"], None, [], ["env:prod"], ["web", "backup"], ["env:staging"])


def _data() -> t.Tuple[t.List[dict], str]:
    """400 snapshots, 80 % of them of 6 Droplets; the Droplet with the most, its tags varied."""
    snaps = make_snapshots(count=400, seed=41, droplet_share=0.8, droplets=6, volumes=3)
    counts: t.Dict[str, int] = {}
    for s in snaps:
        if s["resource_type"] == "droplet":
            counts[s["resource_id"]] = counts.get(s["resource_id"], 0) + 1
    droplet = max(counts, key=lambda d: counts[d])
    mine = [s for s in snaps if s["resource_id"] == droplet]
    for index, s in enumerate(mine):
        tags = TAG_CYCLE[index % len(TAG_CYCLE)]
        s["tags"] = None if tags is None else list(tags)
    return snaps, droplet


SNAPSHOTS, DROPLET = _data()
MINE = [s for s in SNAPSHOTS if s["resource_id"] == DROPLET]
DROPLET_SNAPSHOTS = [s for s in SNAPSHOTS if s["resource_type"] == "droplet"]


def _params(group_by: t.Optional[str] = None, **given: t.Any) -> dict:
    """Validated options with every default; ``group_by`` as the lookup hands it to build_query()."""
    given.setdefault("token", TOKEN)
    result = ArgumentSpecValidator(o.argument_spec(), **o.spec_rules()).validate(given)
    assert not result.error_messages, result.error_messages
    params = dict(result.validated_parameters)
    params["group_by"] = group_by
    return params


def _client(sim: t.Any) -> api.Client:
    return api.Client(TOKEN, api_url=sim.url, retry_backoff=0)


def _returned(snapshot: dict) -> dict:
    """A simulator snapshot as the plugins return it (tags null is [])."""
    return dict(snapshot, tags=list(snapshot["tags"] or []))


def _same(droplet_answer: t.Any, account_answer: t.Any, where: str = "") -> None:
    """Equal field by field (a message naming the snapshot and the field that differ)."""
    if isinstance(account_answer, dict):
        assert list(droplet_answer) == list(account_answer), where + ": groups differ"
        for name in account_answer:
            _same(droplet_answer[name], account_answer[name], "%s group %s" % (where, name))
        return
    assert [s.get("id") for s in droplet_answer] == [s.get("id") for s in account_answer], where + ": ids differ"
    for index, theirs in enumerate(account_answer):
        mine = droplet_answer[index]
        assert set(mine) == set(theirs), "%s snapshot %s: keys %s vs %s" % (where, theirs.get("id"), sorted(mine),
                                                                            sorted(theirs))
        for field in theirs:
            assert mine[field] == theirs[field], "%s snapshot %s field %s: %r vs %r" % (
                where, theirs.get("id"), field, mine[field], theirs[field])


def _droplet_listing_route(client: api.Client, query: q.Query) -> api.Listing:
    """The Droplet's own listing completed as needed, whatever it costs (the Droplet route without its choice)."""
    read = routes.read_droplet(client, query)
    return routes.account_route_for_droplet(client, query) if read is None else read.finish(client)


def rule_cost(droplet_snapshots: int, completions: int, account_snapshots: int, per_page: int = 200,
              consistency: str = "standard") -> t.Tuple[str, int]:
    """(route taken, requests sent) by the Droplet route's rule for a quiet account, written out from
    docs/developer/design.md (the probe stands for page 1 of the account listing)."""
    reads = 2 if consistency == "strict" else 1
    droplet_pages = max(1, math.ceil(droplet_snapshots / per_page)) * reads
    account = max(1, math.ceil(account_snapshots / per_page)) * reads
    if completions <= 2:
        return "droplet", droplet_pages + completions
    if account - 1 < completions:
        return "account", droplet_pages + account
    return "droplet", droplet_pages + 1 + completions


def _in_order(pairs: t.Iterable[t.Tuple[str, t.Optional[str]]]) -> t.List[t.Tuple[str, t.Optional[str]]]:
    """(path, page) pairs: the Droplet's pages, the account's pages, then GETs by id (concurrent ones in any order)."""
    return sorted(pairs, key=lambda pp: (not pp[0].startswith("/v2/droplets"), pp[0] != "/v2/snapshots",
                                         int(pp[1] or 0), pp[0]))


def _paths(sim: t.Any) -> t.List[t.Tuple[str, t.Optional[str]]]:
    """(path, page) of every request, in the order of ``_in_order``."""
    return _in_order((r.path, r.query.get("page")) for r in sim.requests)


# -- the same answers either way -------------------------------------------------------------------------------

QUESTIONS = [
    ("everything", {}, None),
    ("newest", {"sort_by": "created_at", "sort_order": "desc", "limit": 1}, None),
    ("oldest three", {"sort_by": "created_at", "sort_order": "asc", "limit": 3}, None),
    ("by name, descending", {"sort_by": "name", "sort_order": "desc"}, None),
    ("by size, limit 5", {"sort_by": "size_gigabytes", "limit": 5}, None),
    ("by min_disk_size (ties keep the API's order)", {"sort_by": "min_disk_size", "sort_order": "desc"}, None),
    ("limit 2 in the API's order", {"limit": 2}, None),
    ("fields without tags", {"fields": ["id", "name", "created_at"]}, None),
    ("fields with tags", {"fields": ["id", "tags"], "sort_by": "created_at", "sort_order": "desc", "limit": 4}, None),
    ("fields filled from the question", {"fields": ["id", "resource_id", "resource_type"]}, None),
    ("tags filter", {"tags": ["env:prod"]}, None),
    ("tags filter, newest", {"tags": ["web"], "sort_by": "created_at", "sort_order": "desc", "limit": 1}, None),
    ("two tags", {"tags": ["web", "backup"], "fields": ["id", "name"]}, None),
    ("tag nobody has", {"tags": ["nope"]}, None),
    ("name glob and regex", {"name": ["*1*"], "name_regex": "[02468]$"}, None),
    ("created window", {"created_after": "2024-01-05", "created_before": "2024-01-20T00:00:00Z"}, None),
    ("region", {"region": ["nyc1", "fra1", "sfo3"]}, None),
    ("resource_type droplet too", {"resource_type": "droplet", "limit": 3}, None),
    ("strict", {"consistency": "strict", "sort_by": "created_at", "sort_order": "desc", "limit": 2}, None),
    ("small pages", {"per_page": 7, "sort_by": "name", "limit": 3}, None),
    ("group_by tag", {"fields": ["id"]}, "tag"),
    ("group_by region", {"fields": ["id", "name"]}, "region"),
    ("group_by resource_id", {}, "resource_id"),
    ("group_by resource_type with tags filter", {"tags": ["env:prod"], "fields": ["id"]}, "resource_type"),
]


@pytest.fixture(name="sim")
def fixture_sim(make_sim: t.Callable[..., t.Any]) -> t.Any:
    return make_sim(snapshots=[dict(s, tags=None if s["tags"] is None else list(s["tags"])) for s in SNAPSHOTS])


@pytest.mark.parametrize("destroyed", [False, True], ids=["droplet", "destroyed droplet"])
@pytest.mark.parametrize("label, given, group_by", QUESTIONS, ids=[label for label, _g, _b in QUESTIONS])
def test_both_routes_give_the_same_answer(sim, label, given, group_by, destroyed):
    if destroyed:
        sim.destroy_droplet(DROPLET)
    query = q.build_query(_params(group_by=group_by, resource_id=DROPLET, **given))
    assert query.droplet_id == DROPLET
    with _client(sim) as client:
        by_droplet = _droplet_listing_route(client, query)
        sent_by_droplet = list(sim.requests)
        sim.reset_log()
        by_account = routes.account_route_for_droplet(client, query)
    _same(query.finish(by_droplet, group_by), query.finish(by_account, group_by), label)
    # meta.total: the Droplet's snapshots, whichever plan read them.
    assert by_droplet.total == by_account.total == len(MINE)
    if destroyed:
        assert sent_by_droplet[0].path == "/v2/droplets/%s/snapshots" % DROPLET and sent_by_droplet[0].status == 404
        assert {r.path for r in sent_by_droplet[1:]} == {"/v2/snapshots"}
    else:
        assert {r.path for r in sent_by_droplet} <= {"/v2/droplets/%s/snapshots" % DROPLET} | {
            "/v2/snapshots/" + s["id"] for s in MINE}


def test_the_answers_are_the_ones_written_out_here(sim):
    newest = max(MINE, key=lambda s: s["created_at"])
    tagged_web = [s for s in MINE if "web" in (s["tags"] or [])]
    with _client(sim) as client:
        query = q.build_query(_params(resource_id=DROPLET, sort_by="created_at", sort_order="desc", limit=1))
        assert query.finish(_droplet_listing_route(client, query)) == [_returned(newest)]
        query = q.build_query(_params(resource_id=DROPLET, tags=["web"]))
        answer = query.finish(_droplet_listing_route(client, query))
        assert answer == [_returned(s) for s in tagged_web]
        query = q.build_query(_params(resource_id=DROPLET, fields=["id", "name"]))
        assert query.finish(_droplet_listing_route(client, query)) == [{"id": s["id"], "name": s["name"]} for s in MINE]
    assert all(set(s) == NINE and isinstance(s["tags"], list) for s in answer)


def test_the_droplet_plan_completes_only_what_the_answer_needs(sim):
    newest = max(MINE, key=lambda s: s["created_at"])
    listing = "/v2/droplets/%s/snapshots" % DROPLET
    with _client(sim) as client:
        cases = [
            ({"sort_by": "created_at", "sort_order": "desc", "limit": 1}, [listing, "/v2/snapshots/" + newest["id"]]),
            ({"fields": ["id", "name"]}, [listing]),
            ({"fields": ["id"], "sort_by": "created_at", "limit": 2}, [listing]),
            # The tags filter: every snapshot that passed the other filters, before the limit.
            ({"tags": ["web"], "limit": 1, "region": list(MINE[0]["regions"])},
             [listing] + ["/v2/snapshots/" + s["id"] for s in MINE if set(s["regions"]) & set(MINE[0]["regions"])]),
        ]
        for given, expected in cases:
            sim.reset_log()
            _droplet_listing_route(client, q.build_query(_params(resource_id=DROPLET, **given)))
            assert sorted(r.path for r in sim.requests) == sorted(expected), given


def test_a_snapshot_deleted_before_its_completion_gives_its_place_to_the_next(sim):
    by_age = sorted(MINE, key=lambda s: s["created_at"], reverse=True)
    # Listed by the Droplet endpoint, gone by the time it is asked for by id.
    sim.add_fault(Fault("status", path="/v2/snapshots/" + by_age[0]["id"], status=404, times=None))
    query = q.build_query(_params(resource_id=DROPLET, sort_by="created_at", sort_order="desc", limit=2))
    with _client(sim) as client:
        answer = query.finish(routes.fetch(client, query))
    assert [s["id"] for s in answer] == [by_age[1]["id"], by_age[2]["id"]]
    # GET both concurrently (the first 404s; the second may be cancelled before it is sent), then one at
    # a time, then only the next one: what was completed is not asked again.
    sent = [r.path for r in sim.requests if r.path.startswith("/v2/snapshots/")]
    counts = [sent.count("/v2/snapshots/" + s["id"]) for s in by_age[:3]]
    assert counts in ([2, 1, 1], [2, 2, 1]) and len(sent) == sum(counts)


def test_other_errors_of_the_droplet_endpoint_are_raised(sim):
    sim.add_fault(Fault("status", path="/v2/droplets/*", status=403, times=None))
    with _client(sim) as client, pytest.raises(APIError) as caught:
        routes.fetch(client, q.build_query(_params(resource_id=DROPLET)))
    assert caught.value.status == 403
    assert [r.path for r in sim.requests] == ["/v2/droplets/%s/snapshots" % DROPLET]


# -- which questions are Droplet questions ----------------------------------------------------------------------

@pytest.mark.parametrize("given, droplet_id", [
    ({"resource_id": "200776916"}, "200776916"),
    ({"resource_id": " 200776916 ", "resource_type": "droplet", "tags": ["x"]}, "200776916"),
    ({"resource_id": "200776916", "page": 1}, None),  # a page of the account listing, as asked
    ({"resource_id": "0123"}, None),  # the endpoint would read 123; the account's resource_id "123" is not "0123"
    ({"resource_id": "0"}, None),
    ({"resource_id": "\u0661\u0662"}, None),  # digits, but not ASCII ones
    ({"resource_id": "7724db7c-e098-11e5-b522-000f53304e51"}, None),
    ({"resource_id": "web-01"}, None),
    ({"resource_type": "droplet"}, None),
    ({"snapshot_id": "1", "resource_id": "200776916"}, None),
])
def test_which_questions_are_about_one_droplet(given, droplet_id):
    assert q.build_query(_params(**given)).droplet_id == droplet_id


def test_the_listing_key_holds_the_filters_for_a_droplet_question():
    one = q.build_query(_params(resource_id="5", sort_by="created_at", limit=1))
    assert one.key() == q.build_query(_params(resource_id="5", sort_by="created_at", limit=1)).key()
    assert one.key() != q.build_query(_params(resource_id="5", sort_by="created_at", limit=2)).key()
    assert one.key() != q.build_query(_params(resource_id="5", sort_by="created_at", limit=1, fields=["id"])).key()
    assert one.key() != q.build_query(_params(group_by="tag", resource_id="5", sort_by="created_at", limit=1)).key()
    assert one.key()["answer"]["sort_by"] == "created_at"
    # Other questions share one listing whatever their filters (the lookup's cache).
    assert q.build_query(_params(resource_type="droplet", limit=1)).key() == q.build_query(_params(resource_type="droplet")).key()


# -- the cost model --------------------------------------------------------------------------------------------

def test_the_documented_figures():
    # 2,000 Droplet snapshots in the account (10 pages), 40 of them this Droplet's (1 page).
    assert rule_cost(40, 1, 2000) == ("droplet", 2)  # the newest: 2 requests, not 10 pages
    assert rule_cost(40, 0, 2000) == ("droplet", 1)  # fields without tags
    assert rule_cost(40, 3, 2000) == ("droplet", 5)  # probe: 9 pages left, more than 3 GETs
    assert rule_cost(40, 40, 2000) == ("account", 11)  # probe, then 9 pages
    assert rule_cost(40, 9, 2000) == ("droplet", 11)  # a tie completes
    assert rule_cost(40, 10, 2000) == ("account", 11)
    # strict reads each listing twice: 2 + 1, and the account's 20 requests beat 40 GETs.
    assert rule_cost(40, 1, 2000, consistency="strict") == ("droplet", 3)
    assert rule_cost(40, 40, 2000, consistency="strict") == ("account", 22)
    assert rule_cost(40, 19, 2000, consistency="strict") == ("droplet", 22)


@pytest.mark.parametrize("per_page", [1, 3, 10, 200])
def test_the_rule_spends_at_most_the_documented_excess(per_page):
    for account_snaps in range(0, 41):
        for droplet_snaps in range(0, account_snaps + 1):
            for completions in range(0, droplet_snaps + 1):
                _plan, spent = rule_cost(droplet_snaps, completions, account_snaps, per_page)
                d = max(1, math.ceil(droplet_snaps / per_page))
                a = max(1, math.ceil(account_snaps / per_page))
                excess = spent - min(d + completions, a)
                where = (per_page, account_snaps, droplet_snaps, completions)
                if completions > routes.COMPLETION_ALLOWANCE:
                    assert excess <= d, where
                else:
                    assert excess <= max(0, completions - (a - d)), where
                if d == 1:
                    assert excess <= (2 if (a == 1 and completions == 2) else 1), where


def test_choose_after_the_probe():
    assert routes.choose(3, 2000, 200) == "droplet"
    assert routes.choose(10, 2000, 200) == "account"
    assert routes.choose(3, 150, 200) == "account"  # page 1 was the whole listing
    assert routes.choose(3, 0, 200) == "account"


@pytest.mark.parametrize("filters, group_by, shows", [
    ({}, None, True), ({"fields": ["id", "tags"]}, None, True), ({"fields": ["id"]}, None, False),
    ({"fields": ["id"]}, "tag", True), ({"fields": ["id"]}, "region", False),
])
def test_shows_tags(filters, group_by, shows):
    assert routes.shows_tags(q.build_query(_params(**filters)).filters, group_by) is shows


@pytest.mark.parametrize("per_page", [200, 20])
def test_fetch_follows_the_rule_request_by_request(sim, per_page):
    """fetch() takes the rule's plan; the requests, written out, match rule_cost."""
    d = max(1, math.ceil(len(MINE) / per_page))
    a = max(1, math.ceil(len(DROPLET_SNAPSHOTS) / per_page))
    droplet_pages = [("/v2/droplets/%s/snapshots" % DROPLET, str(n)) for n in range(1, d + 1)]
    account_pages = [("/v2/snapshots", str(n)) for n in range(1, a + 1)]
    by_age = sorted(MINE, key=lambda s: s["created_at"], reverse=True)
    web = [s for s in MINE if "web" in (s["tags"] or [])]

    def gets(snaps: t.Iterable[dict]) -> t.List[t.Tuple[str, None]]:
        return [("/v2/snapshots/" + s["id"], None) for s in snaps]

    cases = [
        # (question, completions, requests)
        ({"sort_by": "created_at", "sort_order": "desc", "limit": 1}, 1, droplet_pages + gets(by_age[:1])),
        ({"sort_by": "created_at", "sort_order": "desc", "limit": 2}, 2, droplet_pages + gets(by_age[:2])),
        ({"fields": ["id", "name"]}, 0, droplet_pages),
        # More than 2 GETs: page 1 of the account listing says how many pages are left.
        ({"sort_by": "created_at", "sort_order": "desc", "limit": 3}, 3,
         droplet_pages + (account_pages if a - 1 < 3 else account_pages[:1] + gets(by_age[:3]))),
        ({"tags": ["web"]}, len(MINE),
         droplet_pages + (account_pages if a - 1 < len(MINE) else account_pages[:1] + gets(web))),
        ({}, len(MINE), droplet_pages + (account_pages if a - 1 < len(MINE) else account_pages[:1] + gets(MINE))),
    ]
    with _client(sim) as client:
        for given, completions, expected in cases:
            sim.reset_log()
            query = q.build_query(_params(resource_id=DROPLET, per_page=per_page, **given))
            answer = query.finish(routes.fetch(client, query))
            assert _paths(sim) == _in_order(expected), given
            # Page 1 of the account listing is read once: the probe stands for it.
            assert len(sim.requests) == rule_cost(len(MINE), completions, len(DROPLET_SNAPSHOTS), per_page)[1]
            sim.reset_log()
            _same(answer, query.finish(routes.account_route_for_droplet(client, query)), str(given))


def test_a_destroyed_droplet_costs_one_request_more_than_the_account_listing(sim):
    sim.destroy_droplet(DROPLET)
    query = q.build_query(_params(resource_id=DROPLET, sort_by="created_at", sort_order="desc", limit=1))
    with _client(sim) as client:
        listing = routes.fetch(client, query)
    newest = max(MINE, key=lambda s: s["created_at"])
    assert query.finish(listing) == [_returned(newest)] and listing.total == len(MINE)
    a = max(1, math.ceil(len(DROPLET_SNAPSHOTS) / 200))
    account_pages = [("/v2/snapshots", str(n)) for n in range(1, a + 1)]
    assert _paths(sim) == [("/v2/droplets/%s/snapshots" % DROPLET, "1")] + account_pages


def test_strict_passes_through_to_every_listing(sim):
    query = q.build_query(_params(resource_id=DROPLET, consistency="strict", sort_by="name", limit=1))
    with _client(sim) as client:
        answer = query.finish(routes.fetch(client, query))
    first = min(MINE, key=lambda s: s["name"])
    assert answer == [_returned(first)]
    # Two whole reads of the Droplet's listing that agree, then one GET.
    assert _paths(sim) == [("/v2/droplets/%s/snapshots" % DROPLET, "1")] * 2 + [("/v2/snapshots/" + first["id"], None)]


def test_an_unknown_droplet_answers_nothing_after_the_account_listing(sim):
    query = q.build_query(_params(resource_id="999999999"))
    with _client(sim) as client:
        listing = routes.fetch(client, query)
    assert (query.finish(listing), listing.total) == ([], 0)
    assert _paths(sim)[0] == ("/v2/droplets/999999999/snapshots", "1")


def test_every_request_of_one_question_draws_on_one_total_max_wait(sim):
    """A Droplet question sends a listing and a GET by id: their waits share one total_max_wait, not one each."""
    newest = max(MINE, key=lambda s: s["created_at"])
    query = q.build_query(_params(resource_id=DROPLET, sort_by="created_at", sort_order="desc", limit=1))

    def throttled_once() -> None:
        for path in ("/v2/droplets/%s/snapshots" % DROPLET, "/v2/snapshots/" + newest["id"]):
            sim.add_fault(Fault("status", path=path, status=429, retry_after=3))

    fake = FakeTime()
    with api.Client(TOKEN, api_url=sim.url, retry_backoff=0, clock=fake.now, sleeper=fake.sleep,
                    total_max_wait=5.0) as client:
        # Outside one task each operation has a budget of its own: 3 s each fit, 6 s in all.
        throttled_once()
        assert [s["id"] for s in query.finish(_droplet_listing_route(client, query))] == [newest["id"]]
        assert fake.total == pytest.approx(6.0)
        # fetch() is one task: the second 3 s would pass what is left of its 5 s.
        fake.waits.clear()
        throttled_once()
        with pytest.raises(APIError) as caught:
            routes.fetch(client, query)
    assert "total_max_wait (5 s)" in caught.value.message
    assert fake.total == pytest.approx(3.0)


def test_a_droplet_backup_in_the_droplet_listing_is_never_returned_as_a_snapshot():
    """Before: the contract check dropped ``type`` before anything looked at it, so a backup passed as a snapshot."""
    common = {"created_at": "2026-01-01T00:00:00Z", "regions": ["nyc3"], "min_disk_size": 25, "size_gigabytes": 1.5}
    body = {"snapshots": [dict(common, id=7, name="nightly", type="snapshot"),
                          dict(common, id=8, name="backup 1", type="backup")],
            "links": {}, "meta": {"total": 2}}
    snapshots, total, links = api.parse_list_body(body, droplet_scoped=True)
    read = routes.DropletListing(q.build_query(_params(resource_id="123", fields=["id", "name"])),
                                 api.Listing(snapshots, total, links))
    assert [(s["id"], s["name"]) for s in read.snapshots] == [("7", "nightly")]
    assert read.total == 1
    assert "type" not in read.snapshots[0] and read.snapshots[0]["resource_id"] == "123"
