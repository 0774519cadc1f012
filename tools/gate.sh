#!/usr/bin/env bash
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Time one gate of `make test`:  tools/gate.sh NAME command [args...]
# Appends "NAME <status> <seconds>" to .cache/gates.txt, read by tools/summary.py.
set -u
name="$1"; shift
mkdir -p .cache
echo "==> [$name] $*"
start=$(date +%s)
"$@"
rc=$?
secs=$(( $(date +%s) - start ))
if [ "$rc" -eq 0 ]; then status=ok; else status="FAILED(rc=$rc)"; fi
echo "$name $status $secs" >> .cache/gates.txt
echo "<== [$name] $status in ${secs}s"
exit "$rc"
