# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The retention engine: restic's documented cases, the refusals, and properties over random input.

Expected ids are written out by hand from restic's documentation of ``forget`` and from the
calendar, never computed with the engine itself.
"""

from __future__ import annotations

import datetime
import random
import typing as t

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import OptionError
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.retention import policy as r

UTC = datetime.timezone.utc


def snap(sid: t.Any, created_at: t.Optional[str], resource_id: str = "vol-1", tags: t.Sequence[str] = (),
         regions: t.Sequence[str] = ("fra1",), resource_type: str = "volume") -> dict:
    return {"id": str(sid), "created_at": created_at, "resource_id": resource_id, "resource_type": resource_type,
            "tags": list(tags), "regions": list(regions), "size_gigabytes": 1.5, "name": "s-%s" % sid}


def plan(snapshots: t.Sequence[dict], **options: t.Any) -> r.Plan:
    return r.plan_retention(snapshots, options)


def kept(result: r.Plan) -> t.List[str]:
    return [s["id"] for s in result.keep]


def pruned(result: r.Plan) -> t.List[str]:
    return [s["id"] for s in result.prune]


# restic's documentation example (doc/060_forget.rst): weekday backups for two weeks, an extra one on Fridays,
# no backup on the second Wednesday.
RESTIC_DOC = [
    snap("60e5c031", "2025-04-21T11:00:00Z"), snap("1dccffe9", "2025-04-22T11:00:00Z"),
    snap("90a5c949", "2025-04-23T11:00:00Z"), snap("79580708", "2025-04-24T11:00:00Z"),
    snap("8a603ddf", "2025-04-25T11:00:00Z"), snap("ae33bf10", "2025-04-25T23:00:00Z"),
    snap("fb8b1418", "2025-04-28T11:00:00Z"), snap("1db188b4", "2025-04-29T11:00:00Z"),
    snap("7baa4f28", "2025-05-01T11:00:00Z"), snap("05c48af3", "2025-05-02T11:00:00Z"),
    snap("ad72e262", "2025-05-02T23:00:00Z"),
]


# ---------------------------------------------------------------------------- restic's documented cases

def test_restic_doc_keep_daily_5() -> None:
    result = plan(RESTIC_DOC, keep_daily=5)
    assert kept(result) == ["ad72e262", "7baa4f28", "1db188b4", "fb8b1418", "ae33bf10"]
    assert pruned(result) == ["05c48af3", "8a603ddf", "79580708", "90a5c949", "1dccffe9", "60e5c031"]
    assert all(why == ["daily snapshot"] for why in result.reasons.values())


def test_restic_doc_keep_within_daily_7d_is_strictly_after_the_cutoff() -> None:
    """The newest is 2025-05-02 23:00; 7d before is 2025-04-25 23:00 exactly, which is not kept."""
    result = plan(RESTIC_DOC, keep_within_daily="7d")
    assert kept(result) == ["ad72e262", "7baa4f28", "1db188b4", "fb8b1418"]
    assert result.reasons["ad72e262"] == ["daily within 7d"]
    assert "ae33bf10" in pruned(result)


def test_keep_within_strictly_after_the_cutoff_to_the_second() -> None:
    snaps = [snap(1, "2024-06-10T12:00:00Z"), snap(2, "2024-06-03T12:00:01Z"), snap(3, "2024-06-03T12:00:00Z"),
             snap(4, "2024-06-01T00:00:00Z")]
    result = plan(snaps, keep_within="7d")
    assert kept(result) == ["1", "2"]
    assert result.reasons == {"1": ["within 7d"], "2": ["within 7d"]}
    assert pruned(result) == ["3", "4"]


def test_keep_within_is_measured_from_the_newest_snapshot_not_now() -> None:
    # Years old: measured from "now", keep_within 1d would keep nothing.
    snaps = [snap(1, "2019-01-10T00:00:00Z"), snap(2, "2019-01-09T06:00:00Z"), snap(3, "2019-01-08T00:00:00Z")]
    assert kept(plan(snaps, keep_within="1d")) == ["1", "2"]


def test_iso_week_across_a_year_boundary() -> None:
    """2021-01-01 to 01-03 are in ISO week 2020-W53, with 2020-12-28 (Monday); 2021-01-04 starts 2021-W01."""
    snaps = [snap(1, "2020-12-27T10:00:00Z"),  # Sunday, 2020-W52
             snap(2, "2020-12-28T10:00:00Z"),  # Monday, 2020-W53
             snap(3, "2020-12-31T10:00:00Z"),
             snap(4, "2021-01-03T10:00:00Z"),  # Sunday, still 2020-W53
             snap(5, "2021-01-04T10:00:00Z")]  # Monday, 2021-W01
    result = plan(snaps, keep_weekly=2)
    assert kept(result) == ["5", "4"]
    assert result.reasons == {"5": ["weekly snapshot"], "4": ["weekly snapshot"]}
    # keep_yearly counts calendar years, not ISO years: 2021-01-03 is in 2021.
    assert kept(plan(snaps, keep_yearly=2)) == ["5", "3"]


def test_iso_week_2025_w01_starts_in_december_2024() -> None:
    snaps = [snap(1, "2024-12-29T08:00:00Z"), snap(2, "2024-12-30T08:00:00Z"), snap(3, "2025-01-05T08:00:00Z"),
             snap(4, "2025-01-06T08:00:00Z")]
    assert kept(plan(snaps, keep_weekly=3)) == ["4", "3", "1"]


def test_oldest_snapshot_rule() -> None:
    """keep_daily 10 over three days: count is left at the end, so the oldest snapshot is kept too."""
    snaps = [snap(1, "2024-05-01T08:00:00Z"), snap(2, "2024-05-01T20:00:00Z"), snap(3, "2024-05-02T08:00:00Z"),
             snap(4, "2024-05-03T08:00:00Z"), snap(5, "2024-05-03T09:00:00Z")]
    result = plan(snaps, keep_daily=10)
    assert kept(result) == ["5", "3", "2", "1"]
    assert result.reasons["1"] == ["oldest daily snapshot"]
    assert result.reasons["2"] == ["daily snapshot"]
    # No count left at the end: the oldest goes.
    assert kept(plan(snaps, keep_daily=3)) == ["5", "3", "2"]
    # Unlimited always has count left.
    assert plan(snaps, keep_monthly=-1).reasons == {"5": ["monthly snapshot"], "1": ["oldest monthly snapshot"]}


def test_oldest_rule_for_within_periods() -> None:
    snaps = [snap(1, "2024-05-01T08:00:00Z"), snap(2, "2024-05-01T20:00:00Z"), snap(3, "2024-05-02T08:00:00Z")]
    result = plan(snaps, keep_within_daily="1mo")
    assert result.reasons == {"3": ["daily within 1mo"], "2": ["daily within 1mo"], "1": ["oldest daily within 1mo"]}


def test_buckets_count_independently() -> None:
    """One snapshot takes a daily and a weekly slot at once; the weekly rule goes on to the week before."""
    snaps = [snap(1, "2024-04-29T10:00:00Z"),  # Monday, week 18
             snap(2, "2024-05-01T10:00:00Z"),
             snap(3, "2024-05-06T10:00:00Z"),  # Monday, week 19
             snap(4, "2024-05-07T10:00:00Z")]
    result = plan(snaps, keep_daily=1, keep_weekly=2, keep_last=1)
    assert result.reasons == {"4": ["last snapshot", "daily snapshot", "weekly snapshot"], "2": ["weekly snapshot"]}
    assert pruned(result) == ["3", "1"]


def test_periods_without_snapshots_do_not_count() -> None:
    snaps = [snap(1, "2020-01-15T00:00:00Z"), snap(2, "2023-07-01T00:00:00Z"), snap(3, "2024-02-01T00:00:00Z"),
             snap(4, "2024-02-02T00:00:00Z")]
    assert kept(plan(snaps, keep_monthly=3)) == ["4", "2", "1"]


def test_keep_hourly() -> None:
    snaps = [snap(1, "2024-05-01T08:10:00Z"), snap(2, "2024-05-01T08:50:00Z"), snap(3, "2024-05-01T09:05:00Z")]
    assert kept(plan(snaps, keep_hourly=2)) == ["3", "2"]


def test_reasons_keep_restic_order_tags_within_counts_within_periods() -> None:
    snaps = [snap(1, "2024-05-01T08:00:00Z", tags=["env:prod", "keep"]), snap(2, "2024-04-01T08:00:00Z")]
    result = plan(snaps, keep_tags=[["keep"], ["env:prod"]], keep_within="1d", keep_last=1, keep_within_daily="2d")
    assert result.reasons["1"] == ["has tags [keep]", "has tags [env:prod]", "within 1d", "last snapshot",
                                   "daily within 2d"]


# ---------------------------------------------------------------------------- time zones and calendar arithmetic

def test_dst_autumn_day_has_25_hours_in_europe_berlin() -> None:
    """2024-10-27 in Berlin runs from 2024-10-26T22:00Z to 2024-10-27T23:00Z."""
    snaps = [snap("d", "2024-10-25T12:00:00Z"),
             snap("a", "2024-10-26T21:30:00Z"),  # 23:30 CEST on the 26th
             snap("b", "2024-10-26T22:30:00Z"),  # 00:30 CEST on the 27th
             snap("c", "2024-10-27T22:30:00Z")]  # 23:30 CET on the 27th
    berlin = plan(snaps, keep_daily=-1, timezone="Europe/Berlin")
    assert kept(berlin) == ["c", "a", "d"]
    assert pruned(berlin) == ["b"]
    utc = plan(snaps, keep_daily=-1)
    assert kept(utc) == ["c", "b", "d"]
    assert pruned(utc) == ["a"]


def test_dst_repeated_hour_is_two_hourly_periods() -> None:
    """02:00-03:00 happens twice in Berlin on 2024-10-27: two real hours, two periods."""
    snaps = [snap("old", "2024-10-26T12:00:00Z"),
             snap("cest", "2024-10-27T00:30:00Z"),  # 02:30 CEST
             snap("cet", "2024-10-27T01:30:00Z")]  # 02:30 CET
    result = plan(snaps, keep_hourly=2, timezone="Europe/Berlin")
    assert kept(result) == ["cet", "cest"]


def test_dst_spring_day_has_23_hours_for_keep_within() -> None:
    """1d before 2024-03-31 12:00 CEST (10:00Z) is 2024-03-30 12:00 CET (11:00Z): 23 hours."""
    snaps = [snap(1, "2024-03-31T10:00:00Z"), snap(2, "2024-03-30T11:30:00Z"), snap(3, "2024-03-30T10:30:00Z")]
    assert kept(plan(snaps, keep_within="1d", timezone="Europe/Berlin")) == ["1", "2"]
    assert kept(plan(snaps, keep_within="1d")) == ["1", "2", "3"]
    # Hours are elapsed time: 24h is 24 hours in any zone.
    assert kept(plan(snaps, keep_within="24h", timezone="Europe/Berlin")) == ["1", "2", "3"]


def test_daily_periods_in_a_zone_west_of_utc() -> None:
    snaps = [snap(1, "2024-05-02T03:00:00Z"), snap(2, "2024-05-01T23:00:00Z"), snap(3, "2024-05-01T05:00:00Z")]
    # New York (EDT, -4): all three are on May 1st.
    assert kept(plan(snaps, keep_daily=1, timezone="America/New_York")) == ["1"]
    assert kept(plan(snaps, keep_daily=1)) == ["1"]
    assert kept(plan(snaps, keep_daily=2)) == ["1", "2"]
    assert kept(plan(snaps, keep_daily=2, timezone="America/New_York")) == ["1", "3"]


@pytest.mark.parametrize("latest, duration, expected", [
    ("2023-03-31T00:00:00Z", "1mo", "2023-03-03T00:00:00Z"),  # 31 February rolls over to 3 March (Go's AddDate)
    ("2024-03-31T00:00:00Z", "1mo", "2024-03-02T00:00:00Z"),  # a leap year: 2 March
    ("2024-02-29T06:00:00Z", "1y", "2023-03-01T06:00:00Z"),
    ("2024-05-15T06:00:00Z", "1y2mo3d", "2023-03-12T06:00:00Z"),
    ("2024-05-15T06:00:00Z", "2w", "2024-05-01T06:00:00Z"),
    ("2024-05-15T06:00:00Z", "1d12h", "2024-05-13T18:00:00Z"),
    ("2024-01-15T00:00:00Z", "13mo", "2022-12-15T00:00:00Z"),
    ("2024-05-15T06:00:00Z", "1d90min", "2024-05-14T04:30:00Z"),
    ("2024-05-15T06:00:00Z", "30s", "2024-05-15T05:59:30Z"),
])
def test_cutoff_calendar_arithmetic(latest: str, duration: str, expected: str) -> None:
    when = datetime.datetime.fromisoformat(latest.replace("Z", "+00:00"))
    got = r.parse_policy({"keep_within": duration}).keep_within.before(when, UTC)
    assert got == datetime.datetime.fromisoformat(expected.replace("Z", "+00:00"))


def test_keep_within_1mo_from_march_31() -> None:
    snaps = [snap(1, "2023-03-31T00:00:00Z"), snap(2, "2023-03-03T00:00:01Z"), snap(3, "2023-03-03T00:00:00Z"),
             snap(4, "2023-03-01T00:00:00Z")]
    assert kept(plan(snaps, keep_within="1mo")) == ["1", "2"]


def test_keep_within_minutes_and_seconds() -> None:
    snaps = [snap(1, "2024-05-01T12:00:00Z"), snap(2, "2024-05-01T11:30:01Z"), snap(3, "2024-05-01T11:30:00Z")]
    assert kept(plan(snaps, keep_within="30min")) == ["1", "2"]
    assert kept(plan(snaps, keep_within="1800s")) == ["1", "2"]
    assert kept(plan(snaps, keep_within="1801s")) == ["1", "2", "3"]


SPAN = [snap(1, "2024-05-01T12:00:00Z"), snap(2, "2001-01-01T00:00:00Z"), snap(3, "0001-01-02T00:00:00Z")]


@pytest.mark.parametrize("age", ["9999y", "3000y", "10000y", "99999999999999999999d", "99999999999999999999mo",
                                 "999999999999999999999999s", "1y99999999999999999999w"])
@pytest.mark.parametrize("option", ["keep_within"] + [name for name, _period in r.WITHIN_PERIOD_OPTIONS])
def test_an_age_beyond_the_year_1_keeps_everything_within(option: str, age: str) -> None:
    # restic's own tests use 9999y for "everything": no error, every snapshot is within.
    result = plan(SPAN, **{option: age})
    assert kept(result) == ["1", "2", "3"]
    assert result.prune == []


def test_an_age_reaching_just_the_oldest_snapshot() -> None:
    # 2024-05-01 less 2023 years is 0001-05-01: the snapshot of 0001-01-02 is before it.
    assert kept(plan(SPAN, keep_within="2023y", allow_empty_group=True)) == ["1", "2"]


@pytest.mark.parametrize("option", ["keep_within"] + [name for name, _period in r.WITHIN_PERIOD_OPTIONS])
@pytest.mark.parametrize("value, alternatives", [
    ("6m", "write mo for months or min for minutes"),
    ("1y2m", "write mo for months or min for minutes"),
    ("90M", "write mo for months or min for minutes"),
])
def test_the_bare_m_is_refused_naming_mo_and_min(option: str, value: str, alternatives: str) -> None:
    with pytest.raises(OptionError) as info:
        r.parse_policy({option: value})
    assert info.value.option == option
    assert info.value.message.startswith("%s: %r uses the unit m, which is ambiguous: %s" % (option, value, alternatives))


def test_an_empty_keep_within_counts_as_not_given() -> None:
    policy = r.parse_policy({"keep_within": "", "keep_within_daily": ""})
    assert policy.keep_within is None and policy.within == {}
    assert policy.empty


# ---------------------------------------------------------------------------- tags, groups, safety

def test_keep_tags_needs_every_tag_of_a_list() -> None:
    snaps = [snap(1, "2024-05-03T00:00:00Z", tags=["env:prod"]), snap(2, "2024-05-02T00:00:00Z", tags=["env:prod", "keep"]),
             snap(3, "2024-05-01T00:00:00Z", tags=["keep"]), snap(4, "2024-04-30T00:00:00Z")]
    result = plan(snaps, keep_tags=[["env:prod", "keep"]])
    assert kept(result) == ["2"]
    assert result.reasons == {"2": ["has tags [env:prod, keep]"]}
    # Lists combine with OR; a string is a comma-separated list, as restic's --keep-tag a,b.
    assert kept(plan(snaps, keep_tags=["keep", "env:prod,keep"])) == ["2", "3"]
    # The tag '' matches snapshots without tags (restic).
    assert kept(plan(snaps, keep_tags=[[""]])) == ["4"]


def test_tags_null_is_no_tags() -> None:
    snaps = [dict(snap(1, "2024-05-03T00:00:00Z"), tags=None), snap(2, "2024-05-02T00:00:00Z", tags=["keep"])]
    assert kept(plan(snaps, keep_tags=[["keep"]])) == ["2"]


def test_groups_are_planned_on_their_own() -> None:
    snaps = [snap(1, "2024-05-03T00:00:00Z", "vol-a"), snap(2, "2024-05-02T00:00:00Z", "vol-a"),
             snap(3, "2024-05-01T00:00:00Z", "vol-b"), snap(4, "2024-04-30T00:00:00Z", "vol-b")]
    result = plan(snaps, keep_last=1)
    assert kept(result) == ["1", "3"]
    assert result.groups == {"vol-a": {"keep": ["1"], "prune": ["2"]}, "vol-b": {"keep": ["3"], "prune": ["4"]}}
    assert kept(plan(snaps, keep_last=1, group_by="none")) == ["1"]
    assert plan(snaps, keep_last=1, group_by="none").groups == {"all": {"keep": ["1"], "prune": ["2", "3", "4"]}}


def test_group_by_resource_type() -> None:
    snaps = [snap(1, "2024-05-03T00:00:00Z", "7", resource_type="droplet"), snap(2, "2024-05-02T00:00:00Z", "8", resource_type="droplet"),
             snap(3, "2024-05-01T00:00:00Z", "vol-b"), snap(4, "2024-04-30T00:00:00Z", "vol-c")]
    assert kept(plan(snaps, keep_last=1, group_by="resource_type")) == ["1", "3"]


def test_group_by_region_keeps_a_snapshot_any_of_its_regions_keeps() -> None:
    """Deleting a snapshot deletes it in every region: it is pruned only when each of its regions prunes it."""
    snaps = [snap(1, "2024-05-03T00:00:00Z", regions=["fra1"]), snap(2, "2024-05-02T00:00:00Z", regions=["fra1", "ams3"]),
             snap(3, "2024-05-01T00:00:00Z", regions=["ams3"]), snap(4, "2024-04-30T00:00:00Z", regions=["ams3", "fra1"])]
    result = plan(snaps, keep_last=1, group_by="region")
    assert kept(result) == ["1", "2"]
    assert result.reasons == {"1": ["last snapshot"], "2": ["last snapshot (region ams3)"]}
    assert result.groups == {"ams3": {"keep": ["2"], "prune": ["3", "4"]}, "fra1": {"keep": ["1", "2"], "prune": ["4"]}}


def test_empty_policy_prunes_nothing() -> None:
    for options in ({}, {"keep_daily": 0, "keep_within": "0d", "keep_tags": [], "group_by": "none"}):
        result = plan(RESTIC_DOC, **options)
        assert pruned(result) == []
        assert len(kept(result)) == len(RESTIC_DOC)
        assert set(map(tuple, result.reasons.values())) == {(r.REASON_EMPTY_POLICY,)}


def test_a_group_is_never_emptied_without_the_switch() -> None:
    snaps = [snap(1, "2024-05-03T00:00:00Z", "vol-a"), snap(2, "2024-05-02T00:00:00Z", "vol-a", tags=["keep"]),
             snap(3, "2024-05-01T00:00:00Z", "vol-b"), snap(4, "2024-04-30T00:00:00Z", "vol-b")]
    result = plan(snaps, keep_tags=[["keep"]])
    assert kept(result) == ["2", "3"]
    assert result.reasons["3"] == [r.REASON_GUARD]
    assert "allow_empty_group" in r.REASON_GUARD
    emptied = plan(snaps, keep_tags=[["keep"]], allow_empty_group=True)
    assert kept(emptied) == ["2"]
    assert emptied.groups["vol-b"] == {"keep": [], "prune": ["3", "4"]}


def test_snapshot_without_readable_created_at_is_kept_and_reported() -> None:
    snaps = [snap(1, "2024-05-03T00:00:00Z"), snap(2, "2024-05-02T00:00:00Z"), snap(3, None), snap(4, "yesterday"),
             dict(snap(5, "x"), created_at=12)]
    result = plan(snaps, keep_last=1)
    assert kept(result) == ["1", "5", "4", "3"]
    assert pruned(result) == ["2"]
    assert result.undated == ["5", "4", "3"]
    assert result.reasons["3"] == ["no readable created_at"]
    # An undated snapshot does not take a slot: keep_last 1 still keeps the newest dated one.
    only = plan([snap(3, None), snap(1, "2024-05-03T00:00:00Z"), snap(2, "2024-05-02T00:00:00Z")], keep_last=1)
    assert kept(only) == ["1", "3"]


def test_the_guard_keeps_a_dated_snapshot_even_when_an_undated_one_is_kept() -> None:
    result = plan([snap(3, None), snap(1, "2024-05-03T00:00:00Z")], keep_tags=[["keep"]])
    assert kept(result) == ["1", "3"]


def test_offsets_and_fractions_are_read() -> None:
    snaps = [snap(1, "2024-05-03T01:00:00+02:00"), snap(2, "2024-05-02T22:30:00.5Z")]
    # 01:00+02:00 is 23:00Z on May 2nd: one UTC day, the newest is 1.
    assert kept(plan(snaps, keep_daily=1)) == ["1"]
    assert kept(plan(snaps, keep_last=1)) == ["1"]


def test_an_id_given_twice_counts_once() -> None:
    first = snap(1, "2024-05-03T00:00:00Z")
    result = plan([first, dict(first), snap(2, "2024-05-02T00:00:00Z")], keep_last=1)
    assert kept(result) == ["1"] and pruned(result) == ["2"]
    assert result.keep[0] is first


def test_equal_times_are_ordered_by_id() -> None:
    snaps = [snap(10, "2024-05-03T00:00:00Z"), snap(9, "2024-05-03T00:00:00Z"), snap(100, "2024-05-03T00:00:00Z")]
    assert kept(plan(snaps, keep_last=1)) == ["100"]


def test_to_dict_and_describe() -> None:
    result = plan(RESTIC_DOC, keep_daily=5, keep_within="2w", keep_tags=[["keep"]])
    out = result.to_dict()
    assert sorted(out) == ["groups", "keep", "prune", "reasons", "undated"]
    assert result.policy.describe() == ("keep 5 daily, all snapshots within 2w of the newest, all snapshots with tags [keep], "
                                        "per resource_id")
    assert r.parse_policy({}).describe() == "empty policy: keep everything"


# ---------------------------------------------------------------------------- refusals

@pytest.mark.parametrize("options, words", [
    ({"keep_daily": -2}, "keep_daily: must be 0 or more, or -1 for unlimited, got -2"),
    ({"keep_last": 7.5}, "keep_last: must be a whole number of snapshots to keep (-1 for unlimited), got 7.5"),
    ({"keep_weekly": "seven"}, "keep_weekly: must be a whole number of snapshots to keep (-1 for unlimited), got 'seven'"),
    ({"keep_yearly": True}, "keep_yearly: must be a whole number of snapshots to keep (-1 for unlimited), got True"),
    ({"keep_within": "7x"}, "keep_within: '7x' is not an age; an age is one or more numbers each followed by a unit: "
                            "y (years), mo (months), w (weeks), d (days), h (hours), min (minutes) or s (seconds), "
                            "such as 30d, 26h, 6mo, 90min or 1y2mo3d"),
    ({"keep_within": "7"}, "keep_within: '7' is not an age"),
    ({"keep_within": "-1d"}, "keep_within: '-1d' is not an age"),
    ({"keep_within": "7 d"}, "keep_within: '7 d' is not an age"),
    ({"keep_within": " "}, "keep_within: ' ' is not an age"),
    ({"keep_within_daily": "1d1d"}, "keep_within_daily: '1d1d' gives the unit 'd' twice"),
    ({"keep_within_monthly": 3}, "keep_within_monthly: 3 is not an age"),
    ({"keep_within_hourly": "\u0663\u0660d"}, "keep_within_hourly: '\u0663\u0660d' is not an age"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone: 'Mars/Olympus_Mons' is not a known IANA time zone name"),
    ({"timezone": "../../etc/passwd"}, "timezone: '../../etc/passwd' is not a known IANA time zone name"),
    ({"timezone": ""}, "timezone: '' is not an IANA time zone name"),
    ({"group_by": "host"}, "group_by: must be one of resource_id, resource_type, region, none, got 'host'"),
    ({"keep_tags": "keep"}, "keep_tags: must be a list of tag lists"),
    ({"keep_tags": [[]]}, "keep_tags: an empty tag list would keep every snapshot"),
    ({"keep_tags": [[1]]}, "keep_tags: each entry must be a list of tags (strings), got [1]"),
    ({"allow_empty_group": "yes"}, "allow_empty_group: must be true or false, got 'yes'"),
    ({"keep_dayly": 7}, "unknown retention option keep_dayly; the options are keep_last, "),
])
def test_refusals(options: dict, words: str) -> None:
    with pytest.raises(OptionError) as info:
        r.parse_policy(options)
    assert info.value.message.startswith(words), info.value.message
    assert info.value.option == (next(iter(options)))


def test_whole_numbers_given_as_text_or_float_are_counts() -> None:
    assert r.parse_policy({"keep_daily": "7", "keep_last": 2.0, "keep_weekly": "-1"}).counts["keep_daily"] == 7
    assert r.parse_policy({"keep_weekly": "-1"}).counts["keep_weekly"] == -1


def test_argument_spec_names_every_policy_option() -> None:
    assert tuple(r.retention_argument_spec()) == r.POLICY_OPTIONS


# ---------------------------------------------------------------------------- properties

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]
START = datetime.datetime(2022, 10, 1, tzinfo=UTC)


@st.composite
def snapshot_lists(draw: t.Callable) -> t.List[dict]:
    count = draw(st.integers(min_value=0, max_value=40))
    ids = draw(st.lists(st.integers(min_value=1, max_value=10 ** 6), min_size=count, max_size=count, unique=True))
    out = []
    for sid in ids:
        if draw(st.integers(0, 19)) == 0:
            created = None
        else:
            # Up to about 3 years, at minute resolution, crowded enough for equal times and shared periods.
            minutes = draw(st.one_of(st.integers(0, 1_600_000), st.sampled_from([0, 60, 1440, 10_080, 525_600])))
            created = (START + datetime.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(snap(sid, created, resource_id=draw(st.sampled_from(["vol-a", "vol-b", "7"])),
                        tags=draw(st.lists(st.sampled_from(["keep", "env:prod", "x"]), max_size=2, unique=True)),
                        regions=draw(st.lists(st.sampled_from(["fra1", "ams3", "nyc3"]), min_size=0, max_size=2, unique=True)),
                        resource_type=draw(st.sampled_from(["volume", "droplet"]))))
    return out


durations = st.one_of(st.none(), st.sampled_from(
    ["1d", "7d", "2w", "1mo", "6mo", "1y", "36h", "1y2mo3d", "90min", "9999y"]))


@st.composite
def policies(draw: t.Callable) -> dict:
    options: t.Dict[str, t.Any] = {}
    for option, _period in r.COUNT_OPTIONS:
        options[option] = draw(st.one_of(st.none(), st.integers(-1, 4)))
    options["keep_within"] = draw(durations)
    for option, _period in r.WITHIN_PERIOD_OPTIONS:
        options[option] = draw(durations)
    options["keep_tags"] = draw(st.one_of(st.none(), st.lists(
        st.lists(st.sampled_from(["keep", "env:prod", "x", ""]), min_size=1, max_size=2), max_size=2)))
    options["group_by"] = draw(st.sampled_from(r.GROUP_BY))
    options["timezone"] = draw(st.sampled_from(ZONES))
    options["allow_empty_group"] = draw(st.booleans())
    return options


PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(snapshot_lists(), policies())
def test_keep_and_prune_partition_the_input(snaps: t.List[dict], options: dict) -> None:
    result = r.plan_retention(snaps, options)
    keep, prune = kept(result), pruned(result)
    assert not set(keep) & set(prune)
    assert sorted(keep + prune) == sorted(s["id"] for s in snaps)
    assert sorted(result.reasons) == sorted(keep)
    assert all(result.reasons[sid] for sid in keep)


@PROPERTY
@given(snapshot_lists(), policies())
def test_applying_the_policy_to_what_it_kept_prunes_nothing(snaps: t.List[dict], options: dict) -> None:
    result = r.plan_retention(snaps, options)
    again = r.plan_retention(result.keep, options)
    assert pruned(again) == []
    assert kept(again) == kept(result)


def _groups(snaps: t.List[dict], group_by: str) -> t.Dict[str, t.List[dict]]:
    out: t.Dict[str, t.List[dict]] = {}
    for s in snaps:
        if group_by == "none":
            names = ["all"]
        elif group_by == "region":
            names = s["regions"] or [""]
        else:
            names = [s[group_by]]
        for name in names:
            out.setdefault(name, []).append(s)
    return out


@PROPERTY
@given(snapshot_lists(), policies())
def test_no_group_is_emptied_without_the_switch(snaps: t.List[dict], options: dict) -> None:
    options = dict(options, allow_empty_group=False)
    keep = set(kept(r.plan_retention(snaps, options)))
    for members in _groups(snaps, options["group_by"]).values():
        dated = [s["id"] for s in members if s["created_at"] is not None]
        if dated:
            assert keep & set(dated), members


@PROPERTY
@given(snapshot_lists(), policies(), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_input_order(snaps: t.List[dict], options: dict, rnd: random.Random) -> None:
    first = r.plan_retention(snaps, options)
    shuffled = list(snaps)
    rnd.shuffle(shuffled)
    second = r.plan_retention(shuffled, options)
    assert kept(first) == kept(second)
    assert pruned(first) == pruned(second)
    assert first.reasons == second.reasons
    assert first.groups == second.groups


@PROPERTY
@given(snapshot_lists(), st.integers(1, 5))
def test_keep_last_n_keeps_the_n_newest_dated_of_each_group(snaps: t.List[dict], n: int) -> None:
    """An independent oracle for the simplest rule."""
    result = r.plan_retention(snaps, {"keep_last": n})
    expected = set(s["id"] for s in snaps if s["created_at"] is None)
    for members in _groups(snaps, "resource_id").values():
        dated = sorted((s for s in members if s["created_at"] is not None),
                       key=lambda s: (s["created_at"], int(s["id"])), reverse=True)
        expected.update(s["id"] for s in dated[:n])
    assert set(kept(result)) == expected
