# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make test` runs every gate once, stage by stage (tools/stages.sh), and a failure is never lost."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _variable(name: str) -> list[str]:
    text = (ROOT / 'Makefile').read_text()
    found = re.search(r'^%s := ((?:.*\\\n)*.*)$' % name, text, re.M)
    assert found, name
    return found.group(1).replace('\\\n', ' ').split()


def test_make_test_runs_every_gate_exactly_once() -> None:
    """GATES is STAGES' gates, each once, and each has its GATE-run target (the work stages.sh runs)."""
    text = (ROOT / 'Makefile').read_text()
    assert re.search(r'^GATES := \$\(subst \+, ,\$\(STAGES\)\)$', text, re.M)
    in_stages = [gate for stage in _variable('STAGES') for gate in stage.split('+')]
    assert len(set(in_stages)) == len(in_stages)
    missing = [gate for gate in in_stages if not re.search(r'^%s-run:' % re.escape(gate), text, re.M)]
    assert missing == []


@pytest.fixture(name='fake_make')
def fixture_fake_make(tmp_path: Path) -> Path:
    """A work dir whose "make" succeeds for GATE-run unless GATE starts with "bad", and logs what ran."""
    (tmp_path / 'tools').mkdir()
    for name in ('stages.sh', 'gate.sh'):
        (tmp_path / 'tools' / name).write_text((ROOT / 'tools' / name).read_text())
    fake = tmp_path / 'fake-make'
    fake.write_text('#!/bin/bash\necho "ran $1" >> ran.txt\necho "output of $1"\n[[ "$1" != bad* ]]\n')
    fake.chmod(0o755)
    return tmp_path


def _stages(work: Path, *stages: str, keep_going: bool = False) -> subprocess.CompletedProcess[str]:
    env = {'PATH': '/usr/bin:/bin', 'KEEP_GOING': '1' if keep_going else ''}
    return subprocess.run(['bash', 'tools/stages.sh', str(work / 'fake-make'), *stages], cwd=work, env=env,
                          capture_output=True, text=True, check=False)


def test_side_by_side_gates_all_run_and_print_their_output_in_order(fake_make: Path) -> None:
    done = _stages(fake_make, 'one', 'two+three', 'four')
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted((fake_make / 'ran.txt').read_text().split('\n')[:-1]) == [
        'ran four-run', 'ran one-run', 'ran three-run', 'ran two-run']
    out = done.stdout
    assert out.index('output of two-run') < out.index('output of three-run') < out.index('output of four-run')
    timed = [line.split()[:2] for line in (fake_make / '.cache' / 'gates.txt').read_text().splitlines()]
    assert sorted(timed) == [['four', 'ok'], ['one', 'ok'], ['three', 'ok'], ['two', 'ok']]


def test_a_failed_gate_beside_others_stops_after_its_stage(fake_make: Path) -> None:
    done = _stages(fake_make, 'one', 'two+bad-gate', 'four')
    assert done.returncode == 1
    assert done.stdout.rstrip().splitlines()[-1] == 'failed gates: bad-gate'
    ran = (fake_make / 'ran.txt').read_text()
    assert 'ran two-run' in ran and 'ran four-run' not in ran  # its stage finished, the next never started
    assert 'bad-gate FAILED(rc=1)' in (fake_make / '.cache' / 'gates.txt').read_text()


def test_keep_going_runs_every_stage_and_lists_every_failure(fake_make: Path) -> None:
    done = _stages(fake_make, 'bad-one', 'two+bad-three', 'four', keep_going=True)
    assert done.returncode == 1
    assert done.stdout.rstrip().splitlines()[-1] == 'failed gates: bad-one bad-three'
    assert 'ran four-run' in (fake_make / 'ran.txt').read_text()
