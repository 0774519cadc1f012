#!/usr/bin/env bash
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
