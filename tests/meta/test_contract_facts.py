# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The contract the project carries is DigitalOcean's, less its prose; it cannot drift from ../shared."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CARRIED = ROOT / "tests" / "contract" / "api" / "snapshots.openapi.yaml"
SHARED = ROOT.parent / "shared" / "api" / "digitalocean-snapshots.openapi.yaml"


def _facts_module():
    spec = importlib.util.spec_from_file_location("contract_facts", ROOT / "tools" / "contract_facts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _carried() -> dict:
    return yaml.safe_load(CARRIED.read_text(encoding="utf-8"))


def test_the_carried_contract_has_the_twelve_operations():
    paths = _carried()["paths"]
    operations = {(path, method): op["operationId"] for path, item in paths.items() for method, op in item.items()}
    assert operations == {
        ("/v2/snapshots", "get"): "snapshots_list",
        ("/v2/snapshots/{snapshot_id}", "get"): "snapshots_get",
        ("/v2/snapshots/{snapshot_id}", "delete"): "snapshots_delete",
        ("/v2/volumes/{volume_id}/snapshots", "get"): "volumeSnapshots_list",
        ("/v2/volumes/{volume_id}/snapshots", "post"): "volumeSnapshots_create",
        ("/v2/droplets/{droplet_id}/snapshots", "get"): "droplets_list_snapshots",
        ("/v2/droplets", "get"): "droplets_list",
        ("/v2/droplets/{droplet_id}/actions", "post"): "dropletActions_post",
        ("/v2/actions/{action_id}", "get"): "actions_get",
        ("/v2/volumes", "get"): "volumes_list",
        ("/v2/tags", "post"): "tags_create",
        ("/v2/tags/{tag_id}/resources", "post"): "tags_assign_resources",
    }


def test_the_carried_contract_holds_no_prose():
    module = _facts_module()
    carried = _carried()
    assert module.facts(carried) == carried


def test_the_carried_contract_has_its_license_notice():
    assert (ROOT / "LICENSES" / "Apache-2.0.txt").is_file()
    assert "Apache License, Version 2.0" in (CARRIED.parent / "NOTICE").read_text(encoding="utf-8")


@pytest.mark.skipif(not SHARED.is_file(), reason="../shared/api is not beside this clone: nothing to compare with")
def test_the_carried_contract_equals_the_shared_one_less_its_prose():
    module = _facts_module()
    shared = yaml.safe_load(SHARED.read_text(encoding="utf-8"))
    assert module.facts(shared) == _carried()
