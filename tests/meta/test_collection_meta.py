# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Collection metadata that must stay consistent with the code and with the tooling.

Fast checks, no network: run by `make test` (gate "meta").
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def load(rel: str):
    return yaml.safe_load((ROOT / rel).read_text())


def test_no_sanity_ignore_files() -> None:
    """Sanity findings are fixed, never ignored."""
    sanity = ROOT / 'tests' / 'sanity'
    ignores = sorted(p.name for p in sanity.glob('ignore-*.txt')) + sorted(p.name for p in sanity.glob('skip-*.txt'))
    assert ignores == []


def test_runtime_requires_ansible_and_action_group() -> None:
    runtime = load('meta/runtime.yml')
    # the oldest core sanity, units and integration run on (Makefile: .venv-2.16)
    assert runtime['requires_ansible'] == '>=2.16.0'
    pins = {line.split('==')[1] for line in _requirement_lines('requirements-2.16.txt') if line.startswith('ansible-core==')}
    assert [pin.rsplit('.', 1)[0] for pin in pins] == ['2.16']
    modules = sorted(p.stem for p in (ROOT / 'plugins' / 'modules').glob('*.py') if not p.name.startswith('_'))
    # every module of the collection is in group/snapfleet.digitalocean.all, and nothing else is
    assert sorted(runtime['action_groups']['all']) == modules


def test_galaxy_metadata() -> None:
    galaxy = load('galaxy.yml')
    assert (galaxy['namespace'], galaxy['name']) == ('snapfleet', 'digitalocean')
    assert re.fullmatch(r'\d+\.\d+\.\d+', galaxy['version'])
    ignored = set(galaxy['build_ignore'])
    for dev_only in ('.venv', '.venv-*', '.collections', '.cache', '.build', '.ci', '.git', 'Makefile',
                     'tests/output', 'docs/build', '*.tar.gz', 'examples/output', 'benchmarks', 'tools',
                     'requirements-*.txt', 'pyproject.toml'):
        assert dev_only in ignored, dev_only
    # what users need must ship: the licenses, and requirements.txt for execution environments
    for needed in ('COPYING', 'LICENSES', 'requirements.txt', 'bindep.txt', 'meta', 'plugins', 'README.md'):
        assert needed not in ignored, needed
    # rendered documentation, not the sources in the repository
    assert '/tree/' not in galaxy['documentation'] and '/blob/' not in galaxy['documentation']


def test_changelog_knows_the_current_version() -> None:
    version = load('galaxy.yml')['version']
    changelog = load('changelogs/changelog.yaml')
    assert version in {str(v) for v in changelog['releases']}
    assert f'v{version}' in (ROOT / 'CHANGELOG.rst').read_text()


def _requirement_lines(rel: str) -> list[str]:
    lines = []
    for raw in (ROOT / rel).read_text().splitlines():
        line = raw.split('#', 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def test_dev_requirements_are_pinned() -> None:
    for rel, core in (('requirements-dev.txt', '2.19.'), ('requirements-2.16.txt', '2.16.'),
                      ('requirements-2.21.txt', '2.21.'), ('requirements-py39.txt', '2.15.')):
        lines = _requirement_lines(rel)
        assert lines, rel
        unpinned = [line for line in lines if not re.fullmatch(r'[A-Za-z0-9_.\-\[\],]+==[^=\s;]+', line)]
        assert unpinned == [], rel
        assert any(line.startswith('ansible-core==' + core) for line in lines), rel


def test_runtime_requirements_match_the_plugin_docs() -> None:
    """requirements.txt (for EEs) and what ansible-doc shows for every plugin that talks to the API agree.

    The requirements are written once, in the connection doc fragment; ansible-doc merges them in.
    """
    assert _requirement_lines('requirements.txt') == ['requests>=2.25', 'urllib3>=1.26.0']
    wanted = ['requests >= 2.25', 'urllib3 >= 1.26.0']
    modules = sorted('snapfleet.digitalocean.' + p.stem for p in (ROOT / 'plugins' / 'modules').glob('*.py'))
    for kind, names in (('module', modules), ('lookup', ['snapfleet.digitalocean.snapshots'])):
        done = subprocess.run(['ansible-doc', '--json', '-t', kind, *names], capture_output=True, text=True, check=False,
                              env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / '.collections')))
        assert done.returncode == 0, done.stderr
        docs = json.loads(done.stdout)
        assert sorted(docs) == sorted(names)
        for name, doc in docs.items():
            requirements = doc['doc']['requirements']
            assert [r for r in requirements if not r.startswith('python ')] == wanted, name
            # the modules run on the managed node, the lookup on the controller (ansible-core's own Python)
            assert ('python >= 3.9 (on the managed node)' in requirements) == (kind == 'module'), name
