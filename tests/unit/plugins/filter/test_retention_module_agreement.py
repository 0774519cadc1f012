# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The retention filter and the snapshot_retention module: the same words, and docs that match the spec.

Controller-side tests (they import ansible.errors and the doc loader), so they live beside the
filter's tests rather than the module's, which run with module_utils only under ansible-test units.
"""

from __future__ import annotations

import typing as t

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.plugins.loader import fragment_loader
from ansible.utils.plugin_docs import get_docstring

from ansible_collections.snapfleet.digitalocean.plugins.doc_fragments.retention import ModuleDocFragment
from ansible_collections.snapfleet.digitalocean.plugins.filter.retention import retention
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import OptionError
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.retention import policy as engine
from ansible_collections.snapfleet.digitalocean.plugins.modules import snapshot_retention
from ansible_collections.snapfleet.digitalocean.tests.simulator import make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import (
    TOKEN,
    clear_connection_env,
    run_module,
)

SNAPSHOTS = make_snapshots(count=12, seed=5, volumes=2, droplets=2)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_connection_env(monkeypatch)


def _run(args: dict) -> dict:
    return run_module(snapshot_retention.main, args)[0]


@pytest.mark.parametrize("options", [{"keep_daily": -2}, {"keep_within_weekly": "2w2w"}, {"timezone": "Nowhere/City"},
                                     {"keep_tags": [[]]}, {"keep_within": "1x"}])
def test_the_module_and_the_filter_use_the_same_words(make_sim: t.Callable, options: dict) -> None:
    sim = make_sim(snapshots=SNAPSHOTS)
    with pytest.raises(AnsibleFilterError) as info:
        retention(SNAPSHOTS, **options)
    with pytest.raises(OptionError) as direct:
        engine.parse_policy(options)
    assert _run({"token": TOKEN, "api_url": sim.url, **options})["msg"] == info.value.message == direct.value.message
    assert sim.requests == []


def test_ansibles_own_words_are_the_same_too(make_sim: t.Callable) -> None:
    sim = make_sim(snapshots=SNAPSHOTS)
    with pytest.raises(AnsibleFilterError) as info:
        retention(SNAPSHOTS, keep_daily="seven")
    assert _run({"token": TOKEN, "api_url": sim.url, "keep_daily": "seven"})["msg"] == info.value.message


def test_the_module_spec_and_its_docs_agree() -> None:
    """Every option of the module's spec is documented with the same type, default, choices and elements."""
    doc = get_docstring(snapshot_retention.__file__, fragment_loader=fragment_loader)[0]
    spec = snapshot_retention.module_spec()
    assert sorted(doc["options"]) == sorted(spec)
    for name, option in spec.items():
        documented = doc["options"][name]
        assert documented.get("type", "str") == option.get("type", "str"), name
        assert documented.get("default") == option.get("default"), name
        assert documented.get("elements") == option.get("elements"), name
        assert list(documented.get("choices") or []) == list(option.get("choices") or []), name


def test_the_fragment_documents_exactly_the_policy_options() -> None:
    options = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert tuple(options) == engine.POLICY_OPTIONS
    for name, option in engine.retention_argument_spec().items():
        assert options[name]["type"] == option["type"], name
        assert options[name].get("default") == option.get("default"), name
        assert list(options[name].get("choices") or []) == list(option.get("choices") or []), name
