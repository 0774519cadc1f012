# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Make plain ``pytest tests/unit`` import the collection the way ansible-test units does.

ansible-test installs Ansible's collection finder before any test module is
imported (its ``ansible_pytest_collections`` plugin). Plain pytest with
``PYTHONPATH=.collections`` would instead import ``ansible_collections`` as a
namespace package, and then ``lookup_loader.get('snapfleet.digitalocean.snapshots')``
fails: the package carries no collection metadata. So, when no finder is
installed yet, install Ansible's own, configured from ANSIBLE_COLLECTIONS_PATH,
here: this file is imported before any test module below tests/unit.
"""

from __future__ import annotations

from ansible.utils.collection_loader import AnsibleCollectionConfig

if AnsibleCollectionConfig.collection_finder is None:  # pragma: no branch - depends on the runner
    try:
        from ansible.plugins.loader import init_plugin_loader
    except ImportError:  # ansible-test's module_utils context has no ansible.plugins, but has its finder
        init_plugin_loader = None  # type: ignore[assignment]
    if init_plugin_loader is not None:
        init_plugin_loader()
