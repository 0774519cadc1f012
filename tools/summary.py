# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Closing summary of `make test`: gate timings, then test counts from the junit XML files.

The very last line is the plain ``summary: N passed, N failed, N skipped`` line that CI reads.
Counts add up every pytest run of this `make test` (meta, unit, unit-py39, contract, ee,
bench-smoke), the ansible-test units runs and the ansible-test integration targets. A gate that
failed counts as one failure more (sanity, lint, docs, ... have no test counts of their own), so
"0 failed" always means every gate passed. Skipped tests are listed with their reasons. A failed
count > 0 makes this script exit 1.
"""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

CACHE = Path(__file__).resolve().parent.parent / '.cache'


def counts(xml: Path) -> tuple[int, int, int, int]:
    """(tests, failures + errors, skipped) of one junit file."""
    root = ET.parse(xml).getroot()
    suites = [root] if root.tag == 'testsuite' else root.findall('testsuite')
    tests = failed = skipped = 0
    for s in suites:
        tests += int(s.get('tests', 0))
        failed += int(s.get('failures', 0)) + int(s.get('errors', 0))
        skipped += int(s.get('skipped', 0))
    return tests, failed, skipped, tests - failed - skipped


def skip_reasons() -> dict[str, int]:
    """How many tests were skipped for each reason, over every junit file."""
    reasons: dict[str, int] = {}
    for xml in sorted((CACHE / 'junit').glob('*.xml')):
        for skipped in ET.parse(xml).getroot().iter('skipped'):
            reason = (skipped.get('message') or skipped.text or '?').strip().splitlines()[0][:150]
            reasons[reason] = reasons.get(reason, 0) + 1
    return reasons


def main() -> int:
    gates = CACHE / 'gates.txt'
    failed_gates = []
    if gates.exists():
        print('\n== gates (seconds) ==')
        total = 0
        for line in gates.read_text().splitlines():
            name, status, secs = line.split()
            total += int(secs)
            if status != 'ok':
                failed_gates.append(name)
            print(f'  {name:<16} {status:<10} {secs:>5}')
        # gates side by side overlap: the sum is more than the wall time `make test` prints
        print(f'  {"sum":<16} {"":<10} {total:>5}')
    passed = failed = skipped = 0
    print('\n== tests ==')
    for xml in sorted((CACHE / 'junit').glob('*.xml')):
        t, f, s, p = counts(xml)
        print(f'  {xml.stem:<40} {p} passed, {f} failed, {s} skipped')
        passed, failed, skipped = passed + p, failed + f, skipped + s
    reasons = skip_reasons()
    if reasons:
        print('\n== skipped ==')
        for reason, number in sorted(reasons.items()):
            print(f'  {number:>4}  {reason}')
    if failed_gates:
        print('\nfailed gates: ' + ' '.join(failed_gates))
    failed += len(failed_gates)
    line = f'summary: {passed} passed, {failed} failed, {skipped} skipped'
    print(line)
    (CACHE / 'summary.txt').write_text(line + '\n')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
