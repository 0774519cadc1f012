#!/usr/bin/env bash
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Print the absolute path of a real (non-shim) interpreter for Python X.Y, or exit 1.
#
#   tools/find-python.sh 3.11
#
# pyenv shims on PATH may point at a version that is not selected and then fail at run
# time, so every candidate is executed and asked for its own sys.executable: what is
# printed is always the real binary behind a shim.
set -u
want="${1:?usage: find-python.sh X.Y}"

probe() {
    "$1" -c "import sys; assert '%d.%d' % sys.version_info[:2] == '$want'; print(sys.executable)" 2>/dev/null
}

candidates=()
add_versions() {  # $1: a pyenv versions directory; newest patch release first
    local d
    while IFS= read -r d; do
        [ -n "$d" ] && candidates+=("$d/bin/python$want")
    done < <(find "$1" -mindepth 1 -maxdepth 1 -name "$want.*" 2>/dev/null | sort -rV)
}
if command -v pyenv >/dev/null 2>&1; then
    add_versions "$(pyenv root 2>/dev/null)/versions"
fi
add_versions "$HOME/.pyenv/versions"
candidates+=("/usr/bin/python$want" "/usr/local/bin/python$want")
p="$(command -v "python$want" 2>/dev/null)" && candidates+=("$p")

for c in "${candidates[@]}"; do
    [ -x "$c" ] || continue
    if exe="$(probe "$c")" && [ -n "$exe" ]; then
        echo "$exe"
        exit 0
    fi
done
echo "find-python.sh: no working python$want found" >&2
exit 1
