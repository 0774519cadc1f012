#!/usr/bin/env bash
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Run one pytest gate:  tools/pytest-gate.sh NAME PATH [pytest args...]
#
# * PATH missing, or holding no test_*.py / *_test.py file yet: say so and succeed (the gate
#   is declared before its tests are written).
# * Otherwise pytest runs, and its exit code counts as is. In particular exit 5 ("no tests
#   collected") FAILS the gate: test files exist, so collecting nothing is a real problem.
# * Results go to .cache/junit/NAME.xml for the closing summary of `make test`.
set -u
name="$1"; path="$2"; shift 2
if [ ! -e "$path" ] || { [ -d "$path" ] && [ -z "$(find "$path" -name 'test_*.py' -o -name '*_test.py' | head -1)" ]; }; then
    echo "[$name] skipped: no tests in $path yet"
    exit 0
fi
mkdir -p .cache/junit
rm -f ".cache/junit/$name.xml"
python -m pytest "$path" --junitxml=".cache/junit/$name.xml" -o junit_family=xunit2 "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "[$name] FAILED: pytest collected no tests from $path although test files exist" >&2
fi
exit "$rc"
