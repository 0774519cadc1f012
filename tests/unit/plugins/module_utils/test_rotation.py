# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The rotation decisions (pure) and the action wait's backoff: due or not, limits, tags, which snapshot is new."""

from __future__ import annotations

import datetime
import random

import pytest

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.creation import poll_waits
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import OptionError
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.ages import parse_age
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.retention import rotation

NOW = datetime.datetime(2026, 12, 2, 3, 0, 0, tzinfo=datetime.timezone.utc)


def snap(sid: str, created_at: str, name: str = "nightly") -> dict:
    return {"id": sid, "name": name, "created_at": created_at}


@pytest.mark.parametrize("created_at, due", [
    ("2026-12-01T04:00:01Z", False),  # 22h59min59s old: younger than 23h
    ("2026-12-01T04:00:00Z", True),   # exactly 23h old: not younger
    ("2026-11-30T03:00:00Z", True),
    ("2026-12-02T03:00:05Z", False),  # ahead of this clock: younger than anything
])
def test_min_age_decides_on_the_newest_snapshot(created_at, due):
    snapshots = [snap("1", "2026-01-01T00:00:00Z"), snap("2", created_at), snap("3", "2026-06-01T00:00:00Z")]
    decision = rotation.decide(snapshots, parse_age("min_age", "23h"), NOW)
    assert decision.due is due
    assert decision.newest["id"] == "2"
    assert decision.reason.startswith("due: " if due else "not due: ")
    assert "min_age 23h" in decision.reason


def test_no_snapshot_or_no_min_age_is_always_due():
    assert rotation.decide([], parse_age("min_age", "1d"), NOW) == (True, "the resource has no snapshot", None)
    decision = rotation.decide([snap("1", "2026-12-02T02:59:59Z")], None, NOW)
    assert decision.due is True and decision.newest["id"] == "1"


def test_an_age_beyond_year_one_means_never_due_while_a_snapshot_exists():
    assert rotation.decide([snap("1", "0001-01-02T00:00:00Z")], parse_age("min_age", "9999y"), NOW).due is False


@pytest.mark.parametrize("count, refused", [(0, False), (24, False), (25, True), (30, True)])
def test_a_volume_holds_at_most_25(count, refused):
    if not refused:
        rotation.check_room("v", count)
        return
    with pytest.raises(rotation.LimitError) as caught:
        rotation.check_room("v", count)
    assert "holds %d snapshots" % count in caught.value.message and "snapshot_retention" in caught.value.message


@pytest.mark.parametrize("tag, ok", [
    ("backup", True), ("env:prod", True), ("a_b-c:1", True), ("x" * 255, True),
    ("x" * 256, False), ("has space", False), ("ünicode", False), ("semi;colon", False), ("", False),
])
def test_tag_names_follow_the_contract(tag, ok):
    if ok:
        assert rotation.check_tags("tags", [tag, tag]) == [tag]
    else:
        with pytest.raises(OptionError):
            rotation.check_tags("tags", [tag])


def test_the_new_snapshot_is_never_an_older_one_of_the_same_name():
    before = {"10", "11"}
    after = [snap("10", "2026-12-01T03:00:00Z"), snap("11", "2026-12-02T02:59:00Z"),
             snap("12", "2026-12-02T03:00:04Z"), snap("13", "2026-12-02T03:00:05Z", name="other")]
    assert [s["id"] for s in rotation.made_by(before, after, "nightly", "2026-12-02T03:00:03Z")] == ["12"]
    assert rotation.made_by(before, after[:2], "nightly", "2026-12-02T03:00:03Z") == []


def test_of_two_new_ones_of_that_name_those_after_the_actions_start_are_kept():
    after = [snap("20", "2026-12-02T02:00:00Z"), snap("21", "2026-12-02T03:00:04Z")]
    assert [s["id"] for s in rotation.made_by(set(), after, "nightly", "2026-12-02T03:00:03Z")] == ["21"]


def test_polling_backs_off_exponentially_with_jitter_up_to_a_cap():
    waits = poll_waits(first=1.0, cap=8.0, rng=random.Random(3))
    steps = [1, 2, 4, 8, 8, 8, 8, 8]
    got = [next(waits) for _step in steps]
    assert all(steps[i] / 2 <= got[i] <= steps[i] for i in range(8))
    assert len(set(got)) == len(got)  # jittered: no two alike
