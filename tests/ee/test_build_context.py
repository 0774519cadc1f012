# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An execution environment for this collection, as ansible-builder makes it, short of the image.

`ansible-builder create` writes a build context (a Containerfile and _build/) from the README's
EE definition; building the image needs a container engine and the base image's registry, which
these machines do not have. So the test runs, on this machine, the two steps of the Containerfile
that depend on this collection: the galaxy stage (``ansible-galaxy collection install -r
_build/requirements.yml``) and the builder stage's introspection (``_build/scripts/introspect.py``,
the script the image runs), and checks that what the image would then pip- and bindep-install is
exactly what the plugins need.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(*command: str, cwd: Path) -> str:
    # As in an image: no collections path of the development tree, no ansible.cfg of the caller.
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_") and key != "PYTHONPATH"}
    config = cwd / "empty-ansible.cfg"
    config.write_text("", encoding="utf-8")
    env["ANSIBLE_CONFIG"] = str(config)
    env["ANSIBLE_HOME"] = str(cwd / ".ansible-home")
    done = subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, "%s\n%s\n%s" % (" ".join(command), done.stdout, done.stderr)
    return done.stdout


def _declared(name: str) -> list[str]:
    """The requirement lines of one of the collection's dependency files, comments left out."""
    lines = [line.split("#", 1)[0].strip() for line in (ROOT / name).read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line]


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory, readme) -> Path:
    """A build context made by ansible-builder from the README's definition, for the built collection."""
    work = tmp_path_factory.mktemp("ee-build")
    _run(str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(work), str(ROOT), cwd=work)
    tarball = next(work.glob("snapfleet-digitalocean-*.tar.gz"))
    [definition] = readme("ee-definition")
    [collection] = definition["dependencies"]["galaxy"]["collections"]
    assert collection == {"name": "snapfleet.digitalocean"}
    # Galaxy is not reachable: the same collection, from the tarball a release uploads.
    definition["dependencies"]["galaxy"]["collections"] = [{"name": str(tarball), "type": "file"}]
    (work / "execution-environment.yml").write_text(yaml.safe_dump(definition), encoding="utf-8")
    _run(str(BIN / "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", "context",
         "--output-filename", "Containerfile", cwd=work)
    return work / "context"


def test_the_containerfile_installs_the_collection_and_its_dependencies(context: Path) -> None:
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    assert "introspect.py introspect --write-bindep=/tmp/src/bindep.txt --write-pip=/tmp/src/requirements.txt" in containerfile
    assert "/output/scripts/assemble" in containerfile and "/output/scripts/install-from-bindep" in containerfile
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core>=2.16 ansible-runner"' in containerfile


def test_the_image_would_install_what_the_plugins_need(context: Path, tmp_path: Path) -> None:
    """The galaxy stage, then the builder stage's introspection, run here as the image runs them."""
    collections = tmp_path / "usr-share-ansible-collections"
    _run(str(BIN / "ansible-galaxy"), "collection", "install", "-r", "_build/requirements.yml",
         "--collections-path", str(collections), cwd=context)
    installed = collections / "ansible_collections" / "snapfleet" / "digitalocean"
    assert (installed / "plugins" / "modules" / "snapshot_info.py").is_file()
    assert (installed / "meta" / "execution-environment.yml").is_file()
    pip_file, bindep_file = tmp_path / "requirements.txt", tmp_path / "bindep.txt"
    _run(sys.executable, str(context / "_build" / "scripts" / "introspect.py"), "introspect",
         "--write-pip", str(pip_file), "--write-bindep", str(bindep_file), str(collections), cwd=tmp_path)
    # exactly the collection's declared runtime dependencies (tests/meta and test_introspect.py
    # keep those equal to what the plugins import and check)
    origin = "  # from collection snapfleet.digitalocean"
    assert pip_file.read_text(encoding="utf-8").splitlines() == [line + origin for line in _declared("requirements.txt")]
    assert bindep_file.read_text(encoding="utf-8").splitlines() == [line + origin for line in _declared("bindep.txt")]
    assert any(line.startswith("requests>=") for line in _declared("requirements.txt"))
