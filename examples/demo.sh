#!/usr/bin/env bash
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The snapfleet.digitalocean demo: `make demo` builds and installs the collection into
# .demo/collections, then runs this script with ANSIBLE_COLLECTIONS_PATH pointing there.
#
# * No DigitalOcean token in the environment: a simulated DigitalOcean API (300 snapshots)
#   is started on 127.0.0.1 from the work tree, and stopped again whatever happens.
# * A token in the environment (DIGITALOCEAN_ACCESS_TOKEN, DIGITALOCEAN_TOKEN, DO_API_TOKEN,
#   DO_API_KEY, DO_OAUTH_TOKEN or OAUTH_TOKEN): your real account is read. Read only: the
#   collection sends nothing but GET requests.
#
# Then examples/demo.yml lists snapshots with the module and the lookup,
# examples/report.yml writes an HTML report (examples/output/snapshot_report.html, or
# DEMO_REPORT=/some/path.html), and examples/prune.yml shows a retention plan in check mode
# with --diff; against the simulator only, it then deletes a small reviewed plan. Last,
# examples/rotate.yml shows a nightly rotation in check mode with --diff; against the simulator
# only, it then runs for real twice: the first takes the snapshots that are due, the second none.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
examples="$repo/examples"
report="${DEMO_REPORT:-$examples/output/snapshot_report.html}"
case "$report" in /*) ;; *) report="$PWD/$report" ;; esac

# The venv's Python runs the modules: it has requests, and interpreter discovery can pick
# a broken shim on some machines.
if [ -x "$repo/.venv/bin/python" ]; then
    python="$repo/.venv/bin/python"
    playbook="$repo/.venv/bin/ansible-playbook"
else
    python=$(command -v python3)
    playbook=$(command -v ansible-playbook)
fi
# Run directly (not through make): use the work tree as the collection.
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$repo/.collections}"
# Multi-line messages print as text, not as one JSON string full of \n.
export ANSIBLE_CALLBACK_RESULT_FORMAT=yaml
export ANSIBLE_NOCOLOR="${ANSIBLE_NOCOLOR:-1}"

work=$(mktemp -d "${TMPDIR:-/tmp}/snapfleet-demo.XXXXXX")
sim_pid=""
cleanup() {
    if [ -n "$sim_pid" ]; then
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
        echo "Simulator stopped."
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

token_var=""
for name in DIGITALOCEAN_ACCESS_TOKEN DIGITALOCEAN_TOKEN DO_API_TOKEN DO_API_KEY DO_OAUTH_TOKEN OAUTH_TOKEN; do
    if [ -n "${!name:-}" ]; then token_var=$name; break; fi
done

echo "=== snapfleet.digitalocean demo"
echo "Collection: $ANSIBLE_COLLECTIONS_PATH/ansible_collections/snapfleet/digitalocean"
if [ -n "$token_var" ]; then
    echo "A DigitalOcean token is set (\$$token_var): reading your REAL account at ${DIGITALOCEAN_API_URL:-https://api.digitalocean.com}."
    echo "Read only: every playbook runs in check mode or only reads, so the collection sends GET requests and"
    echo "nothing else. Unset the token to use the simulator."
else
    # The simulator ships in tests/, which an installed collection may not have: run it from the work tree.
    if [ ! -e "$repo/.collections/ansible_collections/snapfleet/digitalocean" ]; then
        echo "The simulator needs the development link; run 'make venv' first." >&2
        exit 1
    fi
    echo "No DigitalOcean token in the environment: starting a simulated DigitalOcean API"
    echo "(300 snapshots, seed 7; a sixth of their Droplets and volumes gone, a quarter of the Droplets GPU Droplets)"
    echo "on 127.0.0.1. Set DIGITALOCEAN_TOKEN to read your own account instead."
    PYTHONPATH="$repo/.collections" "$python" -m ansible_collections.snapfleet.digitalocean.tests.simulator \
        --count 300 --seed 7 --orphan-share 0.16 --gpu-share 0.25 --idle-droplets 2 --idle-volumes 1 \
        --token sim-token --port 0 --ready-file "$work/ready" >"$work/simulator.log" 2>&1 &
    sim_pid=$!
    for _ in $(seq 1 300); do
        [ -s "$work/ready" ] && break
        if ! kill -0 "$sim_pid" 2>/dev/null; then
            sim_pid=""
            echo "The simulator did not start:" >&2
            cat "$work/simulator.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    if [ ! -s "$work/ready" ]; then
        echo "The simulator did not report ready within 30 seconds:" >&2
        cat "$work/simulator.log" >&2
        exit 1
    fi
    DIGITALOCEAN_API_URL=$(head -n 1 "$work/ready")
    export DIGITALOCEAN_API_URL
    export DIGITALOCEAN_TOKEN=sim-token
    echo "Simulator listening at $DIGITALOCEAN_API_URL"
fi

printf 'localhost ansible_connection=local ansible_python_interpreter=%s\n' "$python" >"$work/inventory.ini"

echo
echo "=== 1. examples/demo.yml: the snapshot_info module and the snapshots lookup"
"$playbook" -i "$work/inventory.ini" "$examples/demo.yml"

echo "=== 2. examples/report.yml: an HTML report through the lookup"
# As JSON, so that any path (spaces, quotes) arrives intact.
"$python" -c 'import json, sys; print(json.dumps({"report_output": sys.argv[1]}))' "$report" >"$work/report-vars.json"
"$playbook" -i "$work/inventory.ini" "$examples/report.yml" -e "@$work/report-vars.json"

echo "=== 3. examples/prune.yml: a retention plan in check mode with --diff"
if [ -n "$token_var" ]; then
    echo "Your real account: check mode only, nothing is deleted."
    "$playbook" -i "$work/inventory.ini" "$examples/prune.yml" --diff
else
    echo "Then, against the simulator only, a real run of a small reviewed plan."
    "$playbook" -i "$work/inventory.ini" "$examples/prune.yml" --diff -e demo_real_run=true
fi

echo "=== 4. examples/rotate.yml: a nightly rotation of everything tagged backup, in check mode with --diff"
"$playbook" -i "$work/inventory.ini" "$examples/rotate.yml" --check --diff
if [ -n "$token_var" ]; then
    echo "Your real account: check mode only, no snapshot is taken."
else
    echo "=== 4b. Against the simulator: the rotation for real, then again: the second run changes nothing."
    "$playbook" -i "$work/inventory.ini" "$examples/rotate.yml"
    "$playbook" -i "$work/inventory.ini" "$examples/rotate.yml"
fi

echo "=== Done"
echo "HTML report: $report"
echo "Open it in a browser: file://$report"
