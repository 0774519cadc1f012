# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The contract the project carries is DigitalOcean's, less its prose; `make meta` compares it with ../shared's."""

from __future__ import annotations

import copy
import importlib.util
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CARRIED = ROOT / "tests" / "contract" / "api" / "snapshots.openapi.yaml"


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


def _check(tmp_path: Path, source: dict) -> "subprocess.CompletedProcess[str]":
    """``contract_facts.py --check SOURCE CARRIED``, the comparison `make meta` makes with ../shared's copy."""
    path = tmp_path / "source.yaml"
    path.write_text(yaml.safe_dump(source, sort_keys=False), encoding="utf-8")
    return subprocess.run([sys.executable, str(ROOT / "tools" / "contract_facts.py"), "--check", str(path), str(CARRIED)],
                          capture_output=True, text=True, check=False)


def test_check_accepts_a_source_that_differs_only_in_prose(tmp_path):
    source = copy.deepcopy(_carried())
    source["info"]["description"] = "DigitalOcean's words"
    source["paths"]["/v2/tags"]["post"]["summary"] = "Create a tag"
    done = _check(tmp_path, source)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("less its prose")


def test_check_refuses_a_source_whose_facts_differ_and_says_where(tmp_path):
    source = copy.deepcopy(_carried())
    del source["paths"]["/v2/tags"]["post"]
    done = _check(tmp_path, source)
    assert done.returncode == 1
    assert "they differ at paths./v2/tags.post" in done.stderr
    assert "python tools/contract_facts.py" in done.stderr  # how to make it again


def test_the_make_meta_gate_compares_with_the_shared_contract_where_it_exists():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "SHARED_CONTRACT := ../shared/api/digitalocean-snapshots.openapi.yaml" in makefile
    assert "python tools/contract_facts.py --check $(SHARED_CONTRACT) tests/contract/api/snapshots.openapi.yaml" in makefile
