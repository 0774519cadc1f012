# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run galaxy-importer on a built collection tarball, as Galaxy would on upload, offline.

    GALAXY_IMPORTER_CONFIG=tools/galaxy-importer.cfg python tools/importer.py .build/ns-name-1.0.0.tar.gz

galaxy-importer exits 0 even when it logs warnings (ansible-lint findings, a missing
changelog, ansible-test ignore files, ...). Galaxy shows those to every user of the
collection, so here any ``WARNING:`` or ``ERROR:`` line fails the gate. The JSON result goes
next to the tarball (importer_result.json).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    tarball = Path(sys.argv[1]).resolve()
    if not os.environ.get('GALAXY_IMPORTER_CONFIG'):
        os.environ['GALAXY_IMPORTER_CONFIG'] = str(Path(__file__).with_name('galaxy-importer.cfg'))
    proc = subprocess.run([sys.executable, '-m', 'galaxy_importer.main', str(tarball)], cwd=tarball.parent,
                          capture_output=True, text=True, check=False)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    problems = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith(('WARNING:', 'ERROR:'))]
    if proc.returncode != 0 or problems or 'Importer processing completed successfully' not in proc.stdout:
        print(f'importer: FAILED (exit {proc.returncode}, {len(problems)} warning/error lines)', file=sys.stderr)
        return 1
    print(f'importer: {tarball.name} imported cleanly')
    return 0


if __name__ == '__main__':
    sys.exit(main())
