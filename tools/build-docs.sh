#!/usr/bin/env bash
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Build the HTML docsite offline:  bash tools/build-docs.sh   (make docs)
#
# antsibull-docs sphinx-init writes a Sphinx project for the collection as ansible-core finds
# it (ANSIBLE_COLLECTIONS_PATH=.collections, exported by the Makefile); its build.sh renders the
# plugin pages plus docs/docsite (extra-docs.yml, links.yml) to RST, then runs sphinx-build with
# -W. Intersphinx is switched off (no network): conf.py is patched to drop the extension and to
# resolve the few labels of the Ansible docs that generated pages link to (ANSIBLE_LABELS below)
# from a fixed table instead of a downloaded inventory. Any other unresolved reference still
# fails the build.
# Output: docs/build/html/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."

out=docs/build
site="$out/sphinx"
rm -rf "$out"
mkdir -p "$site"
chmod 700 "$site"   # antsibull-docs wants its directories writable by the owner only

antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error \
    --no-add-antsibull-docs-version \
    --project snapfleet.digitalocean --title 'snapfleet.digitalocean' --html-short-title 'snapfleet.digitalocean' \
    --copyright 'snapfleet developers' \
    --dest-dir "$site" snapfleet.digitalocean >/dev/null

python - "$site/conf.py" <<'PY'
import re, sys
path = sys.argv[1]
OFFLINE_REFS = """

# --- offline build (tools/build-docs.sh): no intersphinx -------------------------------------
# Labels of the Ansible docs that antsibull-docs' generated pages refer to, resolved to fixed
# URLs (what intersphinx would do with a downloaded objects.inv). Unknown labels still warn.
ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'
ANSIBLE_LABELS = {
    'ansible_configuration_settings': ('reference_appendices/config.html#ansible-configuration-settings',
                                       'Ansible Configuration Settings'),
    'common_return_values': ('reference_appendices/common_return_values.html#common-return-values',
                             'Return Values'),
    'module_defaults': ('playbook_guide/playbooks_module_defaults.html#module-defaults', 'Module defaults'),
    'playbooks_lookups': ('playbook_guide/playbooks_lookups.html#playbooks-lookups', 'Lookups'),
}


def _offline_ref(app, env, node, contnode):
    from docutils import nodes
    target = node.get('reftarget')
    if node.get('refdomain') != 'std' or node.get('reftype') != 'ref' or target not in ANSIBLE_LABELS:
        return None
    uri, title = ANSIBLE_LABELS[target]
    text = contnode.astext() if node.get('refexplicit') else title
    ref = nodes.reference('', '', internal=False, refuri=ANSIBLE_DOCS + uri)
    ref += nodes.inline(text, text)
    return ref


def setup(app):
    app.connect('missing-reference', _offline_ref)
"""
conf = open(path).read()
conf = conf.replace("'sphinx.ext.intersphinx', ", "")
conf = re.sub(r"intersphinx_mapping = \{.*?\n\}\n", "intersphinx_mapping = {}\n", conf, flags=re.S)
conf += OFFLINE_REFS
open(path, "w").write(conf)
PY
grep -q "sphinx.ext.intersphinx" "$site/conf.py" && { echo "conf.py still enables intersphinx" >&2; exit 1; }

bash "$site/build.sh"
rm -rf "$out/html"
mv "$site/build/html" "$out/html"
echo "docs: $(find "$out/html" -name '*.html' | wc -l) HTML pages in $out/html (open $out/html/index.html)"
