# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The retention filter: found by its FQCN, the engine's plan, and its refusals in the engine's words."""

from __future__ import annotations

import typing as t

import pytest
from ansible.errors import AnsibleFilterError
from ansible.plugins.loader import filter_loader

from ansible_collections.snapfleet.digitalocean.plugins.filter import retention as filter_plugin
from ansible_collections.snapfleet.digitalocean.plugins.filter.retention import retention
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import OptionError
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.retention import policy as engine

SNAPS = [
    {"id": "1", "created_at": "2024-05-01T08:00:00Z", "resource_id": "vol-a", "tags": [], "regions": ["fra1"]},
    {"id": "2", "created_at": "2024-05-02T08:00:00Z", "resource_id": "vol-a", "tags": ["keep"], "regions": ["fra1"]},
    {"id": "3", "created_at": "2024-05-03T08:00:00Z", "resource_id": "vol-a", "tags": None, "regions": ["fra1"]},
    {"id": "4", "created_at": "2024-05-03T09:00:00Z", "resource_id": "vol-b", "tags": [], "regions": ["ams3"]},
]


def test_found_by_fqcn() -> None:
    plugin = filter_loader.get("snapfleet.digitalocean.retention")
    assert plugin is not None
    assert plugin.j2_function(SNAPS, keep_last=1)["reasons"] == {"4": ["last snapshot"], "3": ["last snapshot"]}


def test_returns_the_engines_plan() -> None:
    out = retention(SNAPS, keep_last=1, keep_tags=[["keep"]])
    assert [s["id"] for s in out["keep"]] == ["4", "3", "2"]
    assert [s["id"] for s in out["prune"]] == ["1"]
    assert out["reasons"] == {"4": ["last snapshot"], "3": ["last snapshot"], "2": ["has tags [keep]"]}
    assert out["groups"] == {"vol-a": {"keep": ["3", "2"], "prune": ["1"]}, "vol-b": {"keep": ["4"], "prune": []}}
    assert out["undated"] == []
    assert out == engine.plan_retention(SNAPS, {"keep_last": 1, "keep_tags": [["keep"]]}).to_dict()


def test_options_are_converted_like_the_module_does() -> None:
    # Jinja gives strings from variables; the argument spec converts them as AnsibleModule would.
    out = retention(SNAPS, keep_last="1", allow_empty_group="no", group_by="none", keep_tags=["keep"])
    assert [s["id"] for s in out["keep"]] == ["4", "2"]


def test_a_registered_snapshot_info_result_is_taken_as_its_snapshots() -> None:
    assert retention({"snapshots": SNAPS, "changed": False}, keep_last=1) == retention(SNAPS, keep_last=1)


def test_none_means_not_set() -> None:
    assert retention(SNAPS, keep_last=None, keep_daily=1, timezone=None)["reasons"]["4"] == ["daily snapshot"]


@pytest.mark.parametrize("options", [
    {"keep_daily": -2}, {"keep_within": "7x"}, {"keep_within_daily": "1d1d"}, {"timezone": "Mars/Olympus_Mons"},
    {"keep_tags": [[]]},
])
def test_refusals_use_the_engines_words(options: dict) -> None:
    with pytest.raises(OptionError) as expected:
        engine.parse_policy(options)
    with pytest.raises(AnsibleFilterError) as info:
        retention(SNAPS, **options)
    assert info.value.message == expected.value.message


def test_type_and_choice_refusals_use_ansibles_words() -> None:
    with pytest.raises(AnsibleFilterError, match=r"argument 'keep_daily' is of type .* unable to convert to int"):
        retention(SNAPS, keep_daily="seven")
    with pytest.raises(AnsibleFilterError, match=r"value of group_by must be one of: resource_id, resource_type, region, none, got: host"):
        retention(SNAPS, group_by="host")
    with pytest.raises(AnsibleFilterError, match=r"^Unsupported parameters for \(snapfleet.digitalocean.retention\) filter: "
                                                 r"keep_dayly"):
        retention(SNAPS, keep_dayly=7)


@pytest.mark.parametrize("value, words", [
    ("abc", "expects a list of snapshot dictionaries"),
    ({"a": 1}, "expects a list of snapshot dictionaries"),
    (None, "expects a list of snapshot dictionaries"),
    (["1"], "every item must be a snapshot dictionary, got str"),
])
def test_bad_input(value: t.Any, words: str) -> None:
    with pytest.raises(AnsibleFilterError, match=words):
        retention(value, keep_last=1)


def test_the_policy_is_checked_before_the_input() -> None:
    with pytest.raises(AnsibleFilterError, match="keep_daily: must be 0 or more"):
        retention("not a list", keep_daily=-5)


@pytest.mark.parametrize("policy", [{}, {"keep_within": ""}, {"keep_daily": 0, "keep_within": "0d"}])
def test_an_empty_policy_warns_and_prunes_nothing(monkeypatch: pytest.MonkeyPatch, policy: dict) -> None:
    from ansible.utils.display import Display  # pylint: disable=import-outside-toplevel

    warned: t.List[str] = []
    monkeypatch.setattr(Display, "warning", lambda _self, text, *args, **kwargs: warned.append(text))
    out = retention(SNAPS, **policy)
    assert out["prune"] == [] and len(out["keep"]) == len(SNAPS)
    assert warned == ["snapfleet.digitalocean.retention: " + engine.EMPTY_POLICY_WARNING]
    warned.clear()
    retention(SNAPS, keep_last=1)
    assert warned == []


def test_an_unexpected_error_is_a_filter_error_that_names_the_filter(monkeypatch):
    """The last-resort handler: a bug deep inside is an AnsibleFilterError with a message, never another exception."""
    def broken(*_args: t.Any, **_kwargs: t.Any) -> t.Any:
        raise OverflowError("date value out of range")

    monkeypatch.setattr(filter_plugin, "apply_policy", broken)
    with pytest.raises(AnsibleFilterError) as caught:
        retention([], keep_last=1)
    assert str(caught.value).startswith("snapfleet.digitalocean.retention filter failed unexpectedly (OverflowError: "
                                        "date value out of range)")
