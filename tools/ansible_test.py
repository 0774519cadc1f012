# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run ansible-test against a copy of this work tree, offline-safe.

    python tools/ansible_test.py --venv .venv -- sanity
    python tools/ansible_test.py --venv .venv-2.21 -- units --python 3.12
    python tools/ansible_test.py --venv .venv-2.16 -- integration --python 3.10

Why this exists:

* ansible-test only works when the collection lives at a path ending in
  ``ansible_collections/<namespace>/<name>/``. The repo root is the collection root, so the
  tracked and untracked-but-not-ignored files are copied to
  ``~/.cache/snapfleet-ansible-test/<repo-hash>/<venv>/ansible_collections/snapfleet/digitalocean``
  (outside the work tree: a second copy inside it would be picked up by ruff, pytest and
  ansible-lint). Venvs, caches, build output and tests/output never get there.
* ansible-test bootstraps pip into each sanity venv with a get-pip script downloaded from a
  host our machines cannot reach. It looks for ``~/.ansible/test/cache/get_pip_<ver>.py`` first,
  so we seed that file with a stand-in that runs pip from the pinned pip wheel (fetched from
  PyPI once and cached beside it). The stand-in accepts get-pip's command line.
* Multi-version sanity tests (compile, import) look for ``python3.X`` on PATH; pyenv shims
  there may fail at run time, so a directory of links to the real interpreters (found by
  tools/find-python.sh) is put first on PATH and the shims are taken off it. Versions that do not exist on the machine are
  skipped by ansible-test itself.
* ansible-test units results (junit XML), and those the integration targets write to
  ``tests/output/junit/``, are copied to ``.cache/junit/`` for the summary.
* The copy is self-contained: nothing outside the repository is linked in (the API contract
  the tests use is carried in tests/contract/api/).
* Two runs with different venvs may run side by side (``make sanity`` runs both cores at
  once): each has its own tree and its own directory of interpreter links, and the shared
  get-pip seed is written under a lock, atomically. ansible-test's own sanity venvs under
  ``~/.ansible/test/venv`` are shared, so a side-by-side run primes them first, one core after
  the other (``sanity --prime-venvs``).
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NAMESPACE, NAME = 'snapfleet', 'digitalocean'

# never copied to the ansible-test tree (most are git-ignored as well)
EXCLUDE_TOP = {'.git', '.collections', '.cache', '.build', '.demo', '.pytest_cache', '.ruff_cache',
               '.hypothesis', '.mypy_cache', 'dist', 'build'}
EXCLUDE_PREFIX = ('.venv', 'tests/output/', 'docs/build/', 'docs/_build/', 'examples/output/')
EXCLUDE_PARTS = {'__pycache__', '.pytest_cache', '.hypothesis'}

PYTHON_VERSIONS = ('3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14')

GET_PIP_STANDIN = '''\
"""Local stand-in for get-pip.py (pip {version}), written by tools/ansible_test.py.

ansible-test runs it as ``python get_pip_X.py [pip install options] pip==X [--no-setuptools] [--no-wheel]``.
Like the real get-pip.py it runs pip from a bundled copy (here the pinned wheel cached beside
this file) and installs the requested packages, preferring that local wheel.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WHEEL = os.path.join(HERE, {wheel!r})


def main():
    args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
    packages = [a for a in args if not a.startswith('-')]
    extra = ['--find-links', HERE]
    if packages and all(p.lower().startswith('pip==') for p in packages):
        extra.append('--no-index')  # everything wanted is the local wheel: no network at all
    sys.path.insert(0, WHEEL)
    from pip._internal.cli.main import main as pip_main
    sys.exit(pip_main(['install', '--upgrade', '--force-reinstall'] + extra + args))


if __name__ == '__main__':
    main()
'''


def log(msg: str) -> None:
    print(f'[ansible_test.py] {msg}', flush=True)


def cache_base() -> Path:
    root = Path(os.environ.get('XDG_CACHE_HOME') or Path.home() / '.cache')
    key = hashlib.sha1(str(REPO).encode()).hexdigest()[:10]
    return root / 'snapfleet-ansible-test' / key


def excluded(rel: str) -> bool:
    parts = rel.split('/')
    if parts[0] in EXCLUDE_TOP or any(p in EXCLUDE_PARTS for p in parts):
        return True
    return rel.startswith(EXCLUDE_PREFIX) or rel.endswith(('.pyc', '.tar.gz'))


def list_files() -> list[str]:
    """Tracked plus untracked-but-not-ignored files that exist in the work tree."""
    try:
        out = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                             cwd=REPO, check=True, capture_output=True).stdout.decode()
        files = [f for f in out.split('\0') if f]
    except (OSError, subprocess.CalledProcessError):
        files = [str(p.relative_to(REPO)) for p in REPO.rglob('*') if p.is_file() or p.is_symlink()]
    return sorted(f for f in set(files) if not excluded(f) and os.path.lexists(REPO / f))


def build_tree(venv_name: str) -> Path:
    base = cache_base() / venv_name.lstrip('.')
    tree = base / 'ansible_collections' / NAMESPACE / NAME
    if base.exists():
        shutil.rmtree(base)
    tree.mkdir(parents=True)
    files = list_files()
    for rel in files:
        src, dst = REPO / rel, tree / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), dst)
        elif src.is_file():
            shutil.copy2(src, dst)
    log(f'copied {len(files)} files to {tree}')
    return tree


def pip_versions(venv_python: str) -> set[str]:
    """The pip versions ansible-test bootstraps into its venvs (parsed from its own source)."""
    code = 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))'
    pkg = Path(subprocess.run([venv_python, '-c', code], check=True, capture_output=True, text=True).stdout.strip())
    source = (pkg / '_internal' / 'python_requirements.py').read_text()
    start = source.index('def get_venv_packages')
    body = source[start:source.index('\ndef ', start + 1)]
    versions = set(re.findall(r"pip\s*[=:]\s*'([0-9][0-9.]*)'", body))
    if not versions:
        raise SystemExit(f'cannot find the pip version in {pkg}/_internal/python_requirements.py')
    return versions


def seed_get_pip(venv_python: str) -> None:
    cache = Path.home() / '.ansible' / 'test' / 'cache'
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / '.snapfleet-seed.lock', 'w', encoding='utf-8') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another core's run may be seeding the same files
        for version in sorted(pip_versions(venv_python)):
            # pip 20.3.4 (for Python 2.7) is a py2.py3 wheel: the name is found, not assumed
            wheels = sorted(cache.glob(f'pip-{version}-*.whl'))
            if not wheels:
                log(f'fetching pip {version} from the package index')
                subprocess.run([venv_python, '-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:',
                                '--dest', str(cache), f'pip=={version}'], check=True)
                wheels = sorted(cache.glob(f'pip-{version}-*.whl'))
            if not wheels:
                raise SystemExit(f'pip download left no pip-{version} wheel in {cache}')
            wheel = wheels[0].name
            script = cache / f"get_pip_{version.replace('.', '_')}.py"
            content = GET_PIP_STANDIN.format(version=version, wheel=wheel)
            if not script.exists() or script.read_text() != content:
                partial = script.with_name(script.name + '.partial')
                partial.write_text(content)
                partial.replace(script)  # never half a script for a run that reads it now
                log(f'seeded {script}')


def python_links(venv_name: str) -> Path:
    links = cache_base() / ('pythons-' + venv_name.lstrip('.'))
    links.mkdir(parents=True, exist_ok=True)
    finder = REPO / 'tools' / 'find-python.sh'
    for version in PYTHON_VERSIONS:
        link = links / f'python{version}'
        found = subprocess.run(["bash", str(finder), version], capture_output=True, text=True, check=False)
        if link.is_symlink() or link.exists():
            link.unlink()
        if found.returncode == 0 and found.stdout.strip():
            link.symlink_to(found.stdout.strip())
    return links


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--venv', required=True, help='venv that has the ansible-core to test with')
    parser.add_argument('args', nargs=argparse.REMAINDER, help='ansible-test arguments (after --)')
    opts = parser.parse_args()
    args = opts.args[1:] if opts.args[:1] == ['--'] else opts.args
    if not args:
        parser.error('no ansible-test command given')

    venv = (REPO / opts.venv).resolve() if not os.path.isabs(opts.venv) else Path(opts.venv)
    venv_python = str(venv / 'bin' / 'python')
    ansible_test = venv / 'bin' / 'ansible-test'
    if not ansible_test.exists():
        raise SystemExit(f'{ansible_test} not found: run make venv / make venv-2.21 first')

    seed_get_pip(venv_python)
    tree = build_tree(venv.name)
    links = python_links(venv.name)

    env = dict(os.environ)
    # the copied tree must be the only collection ansible-test sees
    for var in ('PYTHONPATH', 'ANSIBLE_COLLECTIONS_PATH', 'ANSIBLE_COLLECTIONS_PATHS', 'VIRTUAL_ENV', 'PYTHONHOME'):
        env.pop(var, None)
    # pyenv shims go too: ansible-test would find python3.6 there (sanity --prime-venvs tries every
    # Python the core supports) and fail at run time; the links are the interpreters there are.
    env['PATH'] = os.pathsep.join([str(links), str(venv / 'bin')] + [
        p for p in env.get('PATH', '').split(os.pathsep)
        if p and not p.startswith(str(REPO)) and not p.rstrip('/').endswith('/shims')])

    cmd = [str(ansible_test)] + args
    log(f'running in {tree}: {" ".join(cmd[1:])}')
    rc = subprocess.run(cmd, cwd=tree, env=env, check=False).returncode

    junit = tree / 'tests' / 'output' / 'junit'
    if args[0] in ('units', 'integration') and junit.is_dir():
        dest = REPO / '.cache' / 'junit'
        dest.mkdir(parents=True, exist_ok=True)
        for xml in junit.glob('*.xml'):
            shutil.copy2(xml, dest / f'ansible-test-{venv.name.lstrip(".")}-{xml.name}')
    return rc


if __name__ == '__main__':
    sys.exit(main())
