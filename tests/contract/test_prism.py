"""The collection against the API's OpenAPI description, served by Stoplight Prism.

The simulator is ours; Prism is not: it answers with the contract's own
examples and checks our requests against the contract (401 without a bearer
token, 422 for out-of-range parameters). `make test` installs Prism from
tools/prism/package-lock.json and sets SNAPFLEET_REQUIRE_PRISM=1, so a missing
Prism fails there instead of skipping.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
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


def test_module_and_lookup_against_the_contract_examples(prism_url, tmp_path):
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    env = dict(os.environ, DIGITALOCEAN_API_URL=prism_url, DIGITALOCEAN_TOKEN="prism-token",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_NOCOLOR="1")
    run = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), str(Path(__file__).with_name("prism.yml"))],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "failed=0" in output
    assert "Traceback" not in output
