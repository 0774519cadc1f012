#!/usr/bin/env bash
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Run the gates of `make test`, stage by stage:  tools/stages.sh MAKE STAGE...
#
# A stage is one gate ("sanity") or gates joined by "+" ("unit+unit-py39"), which run side by
# side: each gate's output goes to .cache/logs/GATE.log and is printed whole once the stage is
# done, in the order given. Every gate is timed by tools/gate.sh. The first stage with a failed
# gate stops the run, unless KEEP_GOING is set; the exit code is 1 when any gate failed, and
# the failed gates are listed on the last line.
set -u
make="$1"; shift
mkdir -p .cache/logs
failed=""
for stage in "$@"; do
    IFS=+ read -r -a gates <<< "$stage"
    if [ "${#gates[@]}" -eq 1 ]; then
        bash tools/gate.sh "${gates[0]}" "$make" "${gates[0]}-run" || failed="$failed ${gates[0]}"
    else
        pids=()
        for gate in "${gates[@]}"; do
            bash tools/gate.sh "$gate" "$make" "$gate-run" > ".cache/logs/$gate.log" 2>&1 &
            pids+=("$!")
        done
        for i in "${!gates[@]}"; do
            wait "${pids[$i]}" || failed="$failed ${gates[$i]}"
        done
        for gate in "${gates[@]}"; do
            cat ".cache/logs/$gate.log"
        done
    fi
    if [ -n "$failed" ] && [ -z "${KEEP_GOING:-}" ]; then
        break
    fi
done
if [ -n "$failed" ]; then
    echo "failed gates:$failed"
    exit 1
fi
