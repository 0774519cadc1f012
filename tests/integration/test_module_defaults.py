# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_defaults through the action group, the lookup's connection variables, and no token at all."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import TOKEN_ENV, Ansible, PlaybookRun, ids, lookup_error, lookup_value

from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator

RUNTIME = Path(__file__).resolve().parents[2] / "meta" / "runtime.yml"
NO_TOKEN = ("No DigitalOcean API token: set the token option (aliases api_token, oauth_token) or one of the "
            "environment variables " + ", ".join(TOKEN_ENV) + ".")


@pytest.fixture(scope="module")
def defaults_run(module_ansible: Ansible, sim: Simulator) -> PlaybookRun:
    # No token and no API URL in the environment: only the play can give them.
    env = module_ansible.env()
    assert not set(TOKEN_ENV) & set(env) and "DIGITALOCEAN_API_URL" not in env
    run = module_ansible.run("module_defaults.yml", sim=sim, env=env,
                             extra_vars={"sim_url": sim.url, "sim_token": sim.token})
    assert run.rc == 0, run.describe()
    return run


def test_runtime_declares_the_action_group() -> None:
    runtime = yaml.safe_load(RUNTIME.read_text(encoding="utf-8"))
    assert "snapshot_info" in runtime["action_groups"]["all"]


def test_module_defaults_set_token_and_api_url(defaults_run: PlaybookRun, sim: Simulator) -> None:
    result = defaults_run.result("Module with its connection from module_defaults")
    assert result["_status"] == "ok", result.get("msg")
    assert ids(result["snapshots"]) == [s["id"] for s in sim.snapshots if s["resource_type"] == "droplet"]
    requests = defaults_run.requests("Module with its connection from module_defaults")
    assert requests and all(r.authorized and r.status == 200 for r in requests)


def test_lookup_connection_variables(defaults_run: PlaybookRun, sim: Simulator) -> None:
    result = defaults_run.result("Lookup with its connection from digitalocean_token and digitalocean_api_url")
    assert ids(lookup_value(result)) == [s["id"] for s in sim.snapshots if s["resource_type"] == "volume"]


def test_no_token_is_refused_naming_the_option_and_the_variables(defaults_run: PlaybookRun) -> None:
    module = defaults_run.result("Module without a token")
    assert module["_status"] == "failed"
    assert module["msg"] == NO_TOKEN
    assert lookup_error(defaults_run.result("Lookup without a token")) == NO_TOKEN
    for task in ("Module without a token", "Lookup without a token"):
        assert defaults_run.requests(task) == [], task
