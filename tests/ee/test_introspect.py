# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's execution-environment metadata, as ansible-builder reads it.

AWX / Automation Platform users build execution environments with ansible-builder, which
collects each collection's Python and system dependencies through
meta/execution-environment.yml. `ansible-builder introspect` is the command it runs for that,
so this test runs it on the work tree and checks exactly what an EE would get.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FROM = '  # from collection snapfleet.digitalocean'

EXPECTED_PYTHON = ['requests>=2.25' + FROM, 'urllib3>=1.26.0' + FROM]
EXPECTED_SYSTEM = [
    'python3 [platform:rpm]' + FROM,
    'ca-certificates [platform:rpm]' + FROM,
    'ca-certificates [platform:dpkg]' + FROM,
]


@pytest.fixture(scope='module')
def collections_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A collections path holding only this work tree, as ansible_collections/snapfleet/digitalocean."""
    base = tmp_path_factory.mktemp('ee')
    link = base / 'ansible_collections' / 'snapfleet' / 'digitalocean'
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT, target_is_directory=True)
    return base


def introspect(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-m', 'ansible_builder', 'introspect', *args],
                          capture_output=True, text=True, check=True)


def test_ee_metadata_points_at_the_dependency_files() -> None:
    meta = yaml.safe_load((ROOT / 'meta' / 'execution-environment.yml').read_text())
    assert meta == {'version': 1, 'dependencies': {'python': 'requirements.txt', 'system': 'bindep.txt'}}


def test_introspect_sanitized_output(collections_dir: Path) -> None:
    proc = introspect('--sanitize', str(collections_dir))
    lines = proc.stdout.splitlines()
    assert lines[0] == f'# Dependency data for {collections_dir}'
    data = yaml.safe_load('\n'.join(lines[1:]))
    assert data == {'python': EXPECTED_PYTHON, 'system': EXPECTED_SYSTEM}


def test_introspect_written_files(collections_dir: Path, tmp_path: Path) -> None:
    """What ansible-builder would hand to pip and bindep inside the EE build."""
    pip_file, bindep_file = tmp_path / 'requirements.txt', tmp_path / 'bindep.txt'
    introspect('--sanitize', str(collections_dir), '--write-pip', str(pip_file), '--write-bindep', str(bindep_file))
    assert pip_file.read_text().splitlines() == EXPECTED_PYTHON
    assert bindep_file.read_text().splitlines() == EXPECTED_SYSTEM


def test_runtime_requirements_stay_runtime_only() -> None:
    """requirements.txt goes into every EE: only what the plugins import at run time."""
    reqs = [line.strip() for line in (ROOT / 'requirements.txt').read_text().splitlines()
            if line.strip() and not line.lstrip().startswith('#')]
    assert reqs == ['requests>=2.25', 'urllib3>=1.26.0']
