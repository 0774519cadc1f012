# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection against the API's OpenAPI description, served by Stoplight Prism.

The simulator is ours; Prism is not: it answers with the contract's own
examples and checks our requests against the contract (401 without a bearer
token, 422 for out-of-range parameters). `make test` installs Prism from
tools/prism/package-lock.json and sets SNAPFLEET_REQUIRE_PRISM=1, so a missing
Prism fails there instead of skipping.

The playbook runs isolated as the integration tests' runs are (tests/integration/conftest.py):
nothing of the caller's Ansible or DigitalOcean settings reaches it (a DIGITALOCEAN_ACCESS_TOKEN
would outrank the token set here, an ANSIBLE_CONFIG would apply), and the test proves it by
running under a caller environment set to break such a run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ansible_collections.snapfleet.digitalocean.tests.simulator as simulator_package

ROOT = Path(__file__).resolve().parents[2]
# The directory holding ansible_collections/ as this test imported it (.collections, or an install).
COLLECTIONS_DIR = Path(simulator_package.__file__).parents[5]
#: A caller environment that breaks a run that is not isolated from it.
HOSTILE_CALLER = {
    "DIGITALOCEAN_ACCESS_TOKEN": "caller-token-must-not-be-used",
    "DIGITALOCEAN_TIMEOUT": "not-a-number",
    "DO_API_TOKEN": "caller-token-must-not-be-used",
    "SNAPFLEET_DIGITALOCEAN_CACHE_CONNECTION": "/nonexistent/caller/cache",
    "ANSIBLE_STRATEGY": "no_such_strategy",
}
SPEC = ROOT / "tests" / "contract" / "api" / "snapshots.openapi.yaml"
PRISM = ROOT / "tools" / "prism" / "node_modules" / ".bin" / "prism"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def prism_url():
    missing = [str(p) for p in (PRISM, SPEC) if not p.exists()]
    if missing:
        if os.environ.get("SNAPFLEET_REQUIRE_PRISM") == "1":
            pytest.fail("needed for the contract test but missing: %s" % ", ".join(missing))
        pytest.skip("Prism or the contract is not installed here: %s (make test installs Prism)" % ", ".join(missing))
    port = _free_port()
    proc = subprocess.Popen(
        [str(PRISM), "mock", "--host", "127.0.0.1", "--port", str(port), str(SPEC)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("Prism exited: %s" % proc.stdout.read().decode(errors="replace"))
                time.sleep(0.2)
        else:
            pytest.fail("Prism did not start listening within 60 s")
        yield "http://127.0.0.1:%d" % port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def isolated_env(tmp_path: Path, **extra: str) -> dict:
    """The caller's environment less every Ansible, DigitalOcean and collection setting, plus ``extra``."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ANSIBLE_", "DIGITALOCEAN_", "DO_", "SNAPFLEET_")) and key != "OAUTH_TOKEN"}
    config = tmp_path / "ansible.cfg"
    config.write_text("", encoding="utf-8")  # keeps /etc/ansible/ansible.cfg and ./ansible.cfg out
    (tmp_path / "home").mkdir(exist_ok=True)
    env.update(
        HOME=str(tmp_path / "home"),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        PYTHONPATH=str(COLLECTIONS_DIR),
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_DIR),
        ANSIBLE_CONFIG=str(config),
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_NOCOLOR="1",
        SNAPFLEET_DIGITALOCEAN_CACHE_CONNECTION=str(tmp_path / "lookup-cache"),
    )
    env.update(extra)
    return env


def test_module_and_lookup_against_the_contract_examples(prism_url, tmp_path, monkeypatch):
    for key, value in HOSTILE_CALLER.items():
        monkeypatch.setenv(key, value)
    hostile_config = tmp_path / "caller-ansible.cfg"
    hostile_config.write_text("[defaults]\nstrategy = no_such_strategy\n", encoding="utf-8")
    monkeypatch.setenv("ANSIBLE_CONFIG", str(hostile_config))
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    env = isolated_env(tmp_path, DIGITALOCEAN_API_URL=prism_url, DIGITALOCEAN_TOKEN="prism-token")
    run = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
         str(Path(__file__).with_name("prism.yml"))],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "failed=0" in output
    assert "Traceback" not in output


def test_create_and_tag_requests_match_the_contract(prism_url):
    """Every create request, as the client sends it, is one Prism accepts (it validates requests).

    Tagging is reached through the module only once an action completes, which Prism's never do:
    so the api layer is called here directly. A request Prism refuses shows that it checks.
    """
    from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api import creation
    from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import Client
    from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import APIError

    with Client("prism-token", prism_url, retries=0) as client:
        made = creation.create_volume_snapshot(client, "82a48a18-873f-11e6-96bf-000f53315a41", "nightly", ["backup"])
        assert isinstance(made["id"], str) and made["resource_type"] == "volume"
        action = creation.start_droplet_snapshot(client, "3164444", "nightly")
        assert action["status"] == "in-progress" and isinstance(action["id"], int)
        assert creation.get_action(client, action["id"])["status"] == "in-progress"
        creation.tag_resources(client, ["backup", "env:prod"], [("6372321", "image")])
        creation.tag_resources(client, ["backup"], [("fbe805e8-866b-11e6-96bf-000f53315a41", "volume_snapshot")])
        with pytest.raises(APIError) as refused:
            creation.tag_resources(client, ["backup"], [("6372321", "snapshot")])  # no such resource_type
        assert refused.value.status == 422


def test_source_listings_match_the_contract(prism_url):
    """GET /v2/droplets (default and type=gpus) and GET /v2/volumes, as the client sends them, are requests Prism
    accepts, and the contract's example answers parse: the orphaned filter and coverage read them."""
    from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import Client
    from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.paths import DROPLETS
    from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.sources import (
        list_sources,
        parse_droplets_body,
        snapshots_and_sources,
    )
    from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import APIError
    from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.orphans import filter_listing

    with Client("prism-token", prism_url, retries=0) as client:
        sources = list_sources(client, ["droplet", "volume"])
        assert [s["id"] for s in sources["droplet"]] == ["3164444", "3164459", "3164412"]
        assert sources["droplet"][0] == {"id": "3164444", "name": "example.com", "resource_type": "droplet",
                                         "region": "nyc3", "tags": ["web", "env:prod"]}
        volumes = {"506f78a4-e098-11e5-ad9f-000f53306ae1", "506f78a4-e098-11e5-ad9f-000f53305eb2"}
        assert {s["id"] for s in sources["volume"]} == volumes
        _snapshots, of_volumes = snapshots_and_sources(client, "volume")  # Prism answers its example whatever is asked
        assert list(of_volumes) == ["volume"]
        # The examples' snapshots name resources no example lists: both orphans.
        listing = client.list("/v2/snapshots")
        assert [s["id"] for s in filter_listing(client, listing, True).snapshots] == [
            "6372321", "fbe805e8-866b-11e6-96bf-000f53315a41"]
        with pytest.raises(APIError) as refused:
            client.list(DROPLETS, {"type": "all"}, parse=parse_droplets_body)  # not in the enum
        assert refused.value.status == 422
