# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""filters.py: every filter, sorting, limit, fields, group() and parse_instant()."""

from __future__ import annotations

import datetime
import re
import typing as t

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import OptionError
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.filters import (
    Filters,
    group,
    parse_instant,
    parse_timestamp,
)

UTC = datetime.timezone.utc
NOW = datetime.datetime(2024, 6, 15, 12, 0, 0, tzinfo=UTC)


def _snap(sid: str, name: str, created_at: t.Optional[str], regions: t.Optional[list] = None,
          tags: t.Optional[list] = None, size: t.Any = 1.0, disk: t.Any = 25, rtype: str = "droplet",
          rid: str = "100") -> dict:
    return {"id": sid, "name": name, "created_at": created_at, "regions": regions if regions is not None else [],
            "resource_id": rid, "resource_type": rtype, "min_disk_size": disk, "size_gigabytes": size,
            "tags": tags if tags is not None else []}


SNAPS = [
    _snap("1", "web-01-a", "2024-01-01T00:00:00Z", ["nyc1"], ["env:prod", "team:web"], 2.5, 25, rid="100"),
    _snap("2", "db-data-daily", "2024-02-01T00:00:00Z", ["fra1", "ams3"], ["env:prod"], 10.0, 100, "volume",
          "7724db7c-e098-11e5-b522-000f53304e51"),
    _snap("3", "web-02-a", "2024-03-01T00:00:00Z", ["fra1"], [], 2.5, 50, rid="200"),
    _snap("4", "DB-upper", "2024-04-01T00:00:00Z", ["sfo3"], ["env:dev"], 0.5, 25, rid="100"),
    _snap("5", "db-logs", "2024-05-01T12:00:00+02:00", ["fra1"], ["env:prod", "team:data"], 7.25, 160, rid="300"),
]


def _ids(snapshots: t.Iterable[dict]) -> t.List[str]:
    return [s["id"] for s in snapshots]


# -- each filter -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "filters, expected",
    [
        (Filters(), ["1", "2", "3", "4", "5"]),
        (Filters(regions=["fra1"]), ["2", "3", "5"]),
        (Filters(regions=["ams3", "sfo3"]), ["2", "4"]),           # any of the regions
        (Filters(regions=["tor1"]), []),
        (Filters(names=["web-*"]), ["1", "3"]),
        (Filters(names=["db-*"]), ["2", "5"]),                     # globs are case-sensitive
        (Filters(names=["db-*", "DB-*"]), ["2", "4", "5"]),         # any of the globs
        (Filters(names=["web-0?-a"]), ["1", "3"]),
        (Filters(names=["db-logs"]), ["5"]),
        (Filters(name_regex=re.compile("data|logs")), ["2", "5"]),  # search, not match
        (Filters(name_regex=re.compile("^db")), ["2", "5"]),
        (Filters(tags=["env:prod"]), ["1", "2", "5"]),
        (Filters(tags=["env:prod", "team:data"]), ["5"]),            # every tag
        (Filters(tags=["nope"]), []),
        (Filters(resource_id="100"), ["1", "4"]),
        (Filters(resource_id="7724db7c-e098-11e5-b522-000f53304e51"), ["2"]),
        (Filters(created_after=datetime.datetime(2024, 2, 1, tzinfo=UTC)), ["2", "3", "4", "5"]),  # inclusive
        (Filters(created_before=datetime.datetime(2024, 2, 1, tzinfo=UTC)), ["1"]),               # exclusive
        (Filters(created_after=datetime.datetime(2024, 2, 1, tzinfo=UTC),
                 created_before=datetime.datetime(2024, 4, 1, tzinfo=UTC)), ["2", "3"]),
        # 12:00+02:00 is 10:00Z: offsets count.
        (Filters(created_after=datetime.datetime(2024, 5, 1, 10, 0, tzinfo=UTC)), ["5"]),
        (Filters(created_after=datetime.datetime(2024, 5, 1, 10, 0, 1, tzinfo=UTC)), []),
        # Filters combine with AND.
        (Filters(regions=["fra1"], tags=["env:prod"], names=["db-*"]), ["2", "5"]),
        (Filters(regions=["fra1"], resource_id="200", name_regex=re.compile("web")), ["3"]),
    ],
)
def test_filters_keep_exactly(filters, expected):
    assert _ids(filters.select(SNAPS)) == expected


def test_missing_and_null_values_match_no_set_filter():
    odd = {"id": "9", "name": None, "created_at": None, "regions": None, "tags": None}
    assert _ids(Filters().select([odd])) == ["9"]
    assert Filters(regions=["fra1"]).select([odd]) == []
    assert Filters(tags=["x"]).select([odd]) == []
    assert Filters(names=["*"]).select([odd]) == [odd]  # a missing name is the empty name
    assert Filters(resource_id="1").select([odd]) == []


def test_unreadable_date_matches_no_created_before():
    for created_at in ("not a date", None):
        odd = {"id": "9", "name": "x", "created_at": created_at}
        assert Filters(created_before=datetime.datetime(2024, 1, 1, tzinfo=UTC)).select([odd]) == []
        assert Filters(created_after=datetime.datetime(1960, 1, 1, tzinfo=UTC)).select([odd]) == []


# -- sorting and limit ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "sort_by, order, expected",
    [
        (None, "asc", ["1", "2", "3", "4", "5"]),
        (None, "desc", ["1", "2", "3", "4", "5"]),   # no sort_by: the API's order, whatever sort_order says
        ("name", "asc", ["4", "2", "5", "1", "3"]),   # code-point order: upper case first
        ("name", "desc", ["3", "1", "5", "2", "4"]),
        ("created_at", "asc", ["1", "2", "3", "4", "5"]),
        ("created_at", "desc", ["5", "4", "3", "2", "1"]),
        ("size_gigabytes", "asc", ["4", "1", "3", "5", "2"]),   # 1 and 3 tie: API order kept
        ("size_gigabytes", "desc", ["2", "5", "1", "3", "4"]),  # ties keep API order in desc too
        ("min_disk_size", "asc", ["1", "4", "3", "2", "5"]),
        ("min_disk_size", "desc", ["5", "2", "3", "1", "4"]),
    ],
)
def test_sort_is_stable_both_ways(sort_by, order, expected):
    assert _ids(Filters(sort_by=sort_by, sort_order=order).select(SNAPS)) == expected


def test_sort_by_created_at_honours_offsets():
    snaps = [_snap("a", "a", "2024-01-01T00:30:00Z"), _snap("b", "b", "2024-01-01T01:00:00+02:00"),
             _snap("c", "c", "2024-01-01")]
    # b is 2023-12-31T23:00Z, c is 2024-01-01T00:00Z.
    assert _ids(Filters(sort_by="created_at").select(snaps)) == ["b", "c", "a"]


@pytest.mark.parametrize(
    "sort_by, field, missing",
    [("name", "name", None), ("created_at", "created_at", "garbage"), ("size_gigabytes", "size_gigabytes", None),
     ("min_disk_size", "min_disk_size", "25")],
)
def test_missing_values_sort_first_ascending_and_last_descending(sort_by, field, missing):
    snaps = [dict(SNAPS[0]), dict(SNAPS[2]), dict(SNAPS[1]), dict(SNAPS[3])]
    snaps[1][field] = missing
    del snaps[3][field]
    ascending = _ids(Filters(sort_by=sort_by).select(snaps))
    descending = _ids(Filters(sort_by=sort_by, sort_order="desc").select(snaps))
    assert ascending[:2] == ["3", "4"]           # the two without a value, in API order
    assert descending[-2:] == ["3", "4"]         # stable: still in API order
    assert ascending[2:] == descending[:2][::-1]


@pytest.mark.parametrize("limit, expected", [(1, ["5"]), (2, ["5", "4"]), (5, ["5", "4", "3", "2", "1"]),
                                             (50, ["5", "4", "3", "2", "1"])])
def test_limit_counts_after_filtering_and_sorting(limit, expected):
    assert _ids(Filters(sort_by="created_at", sort_order="desc", limit=limit).select(SNAPS)) == expected
    assert _ids(Filters(regions=["fra1"], limit=limit).select(SNAPS)) == ["2", "3", "5"][:limit]


def test_select_does_not_reorder_its_input():
    snaps = list(SNAPS)
    Filters(sort_by="name").select(snaps)
    assert snaps == SNAPS


# -- fields ---------------------------------------------------------------------------------------------

def _shaped(filters: Filters, snapshots: t.List[dict]) -> t.List[dict]:
    """What Query.finish does without grouping: select, then project."""
    return filters.project(filters.select(snapshots))


def test_fields_keep_only_the_named_keys_in_order():
    result = _shaped(Filters(fields=["name", "id"]), SNAPS[:2])
    assert result == [{"name": "web-01-a", "id": "1"}, {"name": "db-data-daily", "id": "2"}]
    assert [list(r) for r in result] == [["name", "id"], ["name", "id"]]


def test_fields_of_a_missing_key_is_none_and_no_fields_is_everything():
    assert _shaped(Filters(fields=["tags"]), [{"id": "1"}]) == [{"tags": None}]
    assert _shaped(Filters(), SNAPS) == SNAPS


def test_apply_filters_sorts_limits_then_projects():
    assert _shaped(Filters(tags=["env:prod"], sort_by="size_gigabytes", sort_order="desc", limit=2,
                           fields=["id", "size_gigabytes"]), SNAPS) == [
        {"id": "2", "size_gigabytes": 10.0}, {"id": "5", "size_gigabytes": 7.25}]


# -- group() -------------------------------------------------------------------------------------------------

def test_group_by_region_puts_a_two_region_snapshot_in_two_groups():
    groups = group(SNAPS, "region")
    assert list(groups) == ["nyc1", "fra1", "ams3", "sfo3"]  # order of first appearance
    assert {k: _ids(v) for k, v in groups.items()} == {
        "nyc1": ["1"], "fra1": ["2", "3", "5"], "ams3": ["2"], "sfo3": ["4"]}


def test_group_by_tag_leaves_untagged_snapshots_out():
    groups = group(SNAPS + [dict(SNAPS[0], id="6", tags=None)], "tag")
    assert {k: _ids(v) for k, v in groups.items()} == {
        "env:prod": ["1", "2", "5"], "team:web": ["1"], "env:dev": ["4"], "team:data": ["5"]}
    assert "3" not in {s["id"] for members in groups.values() for s in members}


def test_group_by_resource_type_and_resource_id():
    assert {k: _ids(v) for k, v in group(SNAPS, "resource_type").items()} == {
        "droplet": ["1", "3", "4", "5"], "volume": ["2"]}
    assert {k: _ids(v) for k, v in group(SNAPS, "resource_id").items()} == {
        "100": ["1", "4"], "7724db7c-e098-11e5-b522-000f53304e51": ["2"], "200": ["3"], "300": ["5"]}
    assert group([{"id": "x"}], "resource_id") == {}


def test_group_counts_a_repeated_region_once():
    snap = _snap("1", "a", "2024-01-01", ["fra1", "fra1"])
    assert group([snap], "region") == {"fra1": [snap]}


# -- parse_instant -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-05-01", datetime.datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01T12:00:00Z", datetime.datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01T12:00:00z", datetime.datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01T12:00:00", datetime.datetime(2024, 5, 1, 12, tzinfo=UTC)),   # naive: UTC
        ("2024-05-01 12:00:00", datetime.datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01T12:00:00.250Z", datetime.datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=UTC)),
        ("2024-05-01T12:00:00+02:00", datetime.datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01T12:00:00-05:30", datetime.datetime(2024, 5, 1, 17, 30, tzinfo=UTC)),
        ("  2024-05-01T12:00:00Z ", datetime.datetime(2024, 5, 1, 12, tzinfo=UTC)),
        (datetime.date(2024, 5, 1), datetime.datetime(2024, 5, 1, tzinfo=UTC)),
        (datetime.datetime(2024, 5, 1, 3), datetime.datetime(2024, 5, 1, 3, tzinfo=UTC)),
    ],
)
def test_parse_instant_dates(value, expected):
    parsed = parse_instant("created_after", value, now=NOW)
    assert parsed == expected
    assert parsed.utcoffset() is not None


@pytest.mark.parametrize(
    "age, delta",
    [
        ("45s", datetime.timedelta(seconds=45)),
        ("5min", datetime.timedelta(minutes=5)),
        ("12h", datetime.timedelta(hours=12)),
        ("30d", datetime.timedelta(days=30)),
        ("2w", datetime.timedelta(weeks=2)),
        ("0d", datetime.timedelta(0)),
        (" 3d ", datetime.timedelta(days=3)),
        ("30D", datetime.timedelta(days=30)),
        ("400d", datetime.timedelta(days=400)),
        ("1d2h3min4s", datetime.timedelta(days=1, hours=2, minutes=3, seconds=4)),
    ],
)
def test_parse_instant_ages_count_back_from_now(age, delta):
    assert parse_instant("created_before", age, now=NOW) == NOW - delta


@pytest.mark.parametrize(
    "age, expected",
    [
        # Months and years are calendar arithmetic, as in keep_within (NOW is 2024-06-15 12:00 UTC).
        ("1mo", datetime.datetime(2024, 5, 15, 12, tzinfo=UTC)),
        ("6mo", datetime.datetime(2023, 12, 15, 12, tzinfo=UTC)),
        ("1y", datetime.datetime(2023, 6, 15, 12, tzinfo=UTC)),
        ("30y", datetime.datetime(1994, 6, 15, 12, tzinfo=UTC)),
        ("1y2mo3d", datetime.datetime(2023, 4, 12, 12, tzinfo=UTC)),
    ],
)
@pytest.mark.parametrize("option", ["created_after", "created_before"])
def test_parse_instant_calendar_ages(option, age, expected):
    assert parse_instant(option, age, now=NOW) == expected


@pytest.mark.parametrize("option", ["created_after", "created_before"])
@pytest.mark.parametrize("age", ["5m", "6m", "1h30m", "2M"])
def test_parse_instant_refuses_the_bare_m_naming_mo_and_min(option, age):
    with pytest.raises(OptionError) as caught:
        parse_instant(option, age, now=NOW)
    assert caught.value.option == option
    assert str(caught.value).startswith(
        "%s: %r uses the unit m, which is ambiguous: write mo for months or min for minutes" % (option, age))


def test_parse_instant_age_without_now_is_relative_to_the_clock():
    before = datetime.datetime.now(UTC)
    parsed = parse_instant("created_before", "1h")
    after = datetime.datetime.now(UTC)
    assert before - datetime.timedelta(hours=1) <= parsed <= after - datetime.timedelta(hours=1)


REFUSED = [
    "", "yesterday", "-5d", "5.5d", "3 d", "2024-13-01", "2024-02-30", "2024-05-01T25:00:00Z", "12:00",
    "1714550400",
    # ISO 8601 forms outside RFC 3339: datetime.fromisoformat takes them on Python 3.11 and not on 3.9.
    "20240501", "2024-05-01T12:00:00+0000", "2024-05-01T120000Z", "2024-05-01T12:00", "2024-05-01T12",
    "2024-W18-3", "2024-122", "2024-05-01T12:00:00,5Z",
    # Out of range or malformed parts.
    "2024-05-01T12:00:00+24:00", "2024-05-01T12:00:00+01:60", "2024-05-01T23:59:60Z", "2024-05-01T12:00:00.Z",
    "2024-05-01T12:00:00ZZ", "0000-01-01", "2024-5-1",
    # Digits of other scripts are not digits here.
    "\u0662\u0660\u0662\u0664-05-01", "2024-05-01T12:00:00.\u0665Z", "\u0663\u0660d",
]

AGE_HELP = ("an age is one or more numbers each followed by a unit: y (years), mo (months), w (weeks), d (days), "
            "h (hours), min (minutes) or s (seconds), such as 30d, 26h, 6mo, 90min or 1y2mo3d")


@pytest.mark.parametrize("value", REFUSED)
def test_parse_instant_refuses_naming_the_option(value):
    with pytest.raises(OptionError) as caught:
        parse_instant("created_before", value, now=NOW)
    assert caught.value.option == "created_before"
    assert str(caught.value) == (
        "created_before: %r is not an RFC 3339 date or date-time (2024-05-01, 2024-05-01T12:00:00Z, "
        "2024-05-01T12:00:00.5+02:00) or an age (%s)" % (value, AGE_HELP))


@pytest.mark.parametrize("value, words", [
    ("5x", "created_before: '5x' is not an age; "),
    ("1d1d", "created_before: '1d1d' gives the unit 'd' twice; "),
])
def test_parse_instant_explains_a_wrong_age(value, words):
    with pytest.raises(OptionError) as caught:
        parse_instant("created_before", value, now=NOW)
    assert str(caught.value).startswith(words), str(caught.value)


@pytest.mark.parametrize(
    "value, expected",
    [
        # Accepted the same way on every Python (fromisoformat refuses the first two on 3.9).
        ("2024-05-01T12:00:00.5Z", datetime.datetime(2024, 5, 1, 12, 0, 0, 500000, tzinfo=UTC)),
        ("2024-05-01T12:00:00.123456789Z", datetime.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)),  # cut
        ("2024-05-01T12:00:00.999999999+00:00", datetime.datetime(2024, 5, 1, 12, 0, 0, 999999, tzinfo=UTC)),
        ("2024-05-01T12:00:00+00:00", datetime.datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01T12:00:00-00:00", datetime.datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01t12:00:00.1z", datetime.datetime(2024, 5, 1, 12, 0, 0, 100000, tzinfo=UTC)),
        ("2024-05-01T00:30:00+23:59", datetime.datetime(2024, 4, 30, 0, 31, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime.datetime(1, 1, 1, tzinfo=UTC)),
        ("9999-12-31T23:59:59.999999Z", datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2024-02-29", datetime.datetime(2024, 2, 29, tzinfo=UTC)),
    ],
)
def test_parse_instant_grammar_is_the_documented_one(value, expected):
    assert parse_instant("created_after", value, now=NOW) == expected
    assert parse_timestamp(value) == expected


HUGE = ["3000y", "1000000d", "3000000w", "99999999999999999999d", "999999999999999999999999s",
        "99999999999999999999999999w", "99999999999999999999mo", "99999999999999999999y"]


@pytest.mark.parametrize("age", HUGE)
def test_an_age_beyond_the_year_1_is_the_earliest_instant(age):
    earliest = datetime.datetime.min.replace(tzinfo=UTC)
    assert parse_instant("created_after", age, now=NOW) == earliest
    assert parse_instant("created_before", age, now=NOW) == earliest


@pytest.mark.parametrize("age", HUGE)
def test_an_age_beyond_the_year_1_lets_everything_after_and_nothing_before(age):
    assert [s["id"] for s in Filters.from_params({"created_after": age}).select(SNAPS)] == [s["id"] for s in SNAPS]
    assert Filters.from_params({"created_before": age}).select(SNAPS) == []


@settings(max_examples=300, deadline=None)
@given(moment=st.datetimes(min_value=datetime.datetime(1, 1, 2), max_value=datetime.datetime(9999, 12, 30),
                           timezones=st.just(UTC)),
       offset_minutes=st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59),
       digits=st.integers(min_value=0, max_value=12))
def test_any_rfc3339_date_time_reads_back_as_written(moment, offset_minutes, digits):
    zone = datetime.timezone(datetime.timedelta(minutes=offset_minutes))
    local = moment.astimezone(zone)
    fraction = ("%06d" % local.microsecond + "0" * 6)[:digits]
    sign = "-" if offset_minutes < 0 else "+"
    written = "%04d-%02d-%02dT%02d:%02d:%02d" % (local.year, local.month, local.day, local.hour, local.minute,
                                                 local.second)  # strftime("%Y") does not pad years before 1000
    text = "%s%s%s%02d:%02d" % (written, "." + fraction if digits else "", sign,
                                abs(offset_minutes) // 60, abs(offset_minutes) % 60)
    expected = local.replace(microsecond=int(fraction[:6].ljust(6, "0")) if digits else 0)
    assert parse_timestamp(text) == expected


def test_parse_timestamp_reads_the_apis_format():
    assert parse_timestamp("2020-07-28T16:47:44Z") == datetime.datetime(2020, 7, 28, 16, 47, 44, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_timestamp("")
