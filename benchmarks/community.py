# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""community.digitalocean 1.27.0, fetched at bench time into .cache/bench/ (never committed).

It ships inside the ``ansible`` 12.3.0 package on PyPI. ``pip download`` fetches that
package (no dependencies) into ``.cache/bench/dl``, and only
``ansible_collections/community/digitalocean/`` is extracted from it, into
``.cache/bench/collections``; its MANIFEST.json must say 1.27.0. Once extracted, later
runs need no network. Without network the playbook benchmark reports the row as
unavailable and goes on.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

from ansible_collections.snapfleet.digitalocean.benchmarks.harness import CACHE, PYTHON, child_env, tail

ANSIBLE_VERSION = "12.3.0"
VERSION = "1.27.0"
MEMBER = "ansible_collections/community/digitalocean/"


def installed_version(root: Path) -> str | None:
    """The version in the extracted collection's MANIFEST.json, or None."""
    try:
        manifest = json.loads((root / MEMBER / "MANIFEST.json").read_text(encoding="utf-8"))
        return str(manifest["collection_info"]["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def ensure(cache: Path = CACHE) -> tuple[Path | None, str]:
    """Return (a collections path holding community.digitalocean 1.27.0, "") or (None, why it is unavailable)."""
    root = cache / "collections"
    if installed_version(root) == VERSION:
        return root, ""
    download = cache / "dl"
    archive = _archive(download)
    if archive is None:
        download.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run([PYTHON, "-m", "pip", "download", f"ansible=={ANSIBLE_VERSION}", "--no-deps",
                                   "--disable-pip-version-check", "-d", str(download)],
                                  capture_output=True, text=True, env=child_env(), timeout=600, check=False)
        except subprocess.TimeoutExpired:
            return None, f"pip download ansible=={ANSIBLE_VERSION} timed out"
        archive = _archive(download)
        if done.returncode != 0 or archive is None:
            return None, f"pip download ansible=={ANSIBLE_VERSION} failed: {tail(done.stdout + done.stderr, 2)}"
    staging = cache / "collections.partial"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _extract(archive, staging)
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
        return None, f"could not extract {MEMBER} from {archive.name}: {exc}"
    found = installed_version(staging)
    if found != VERSION:
        return None, f"{archive.name} holds community.digitalocean {found}, not {VERSION}"
    # Swap in whole, so an interrupted run never leaves half a collection behind.
    shutil.rmtree(root, ignore_errors=True)
    staging.rename(root)
    return root, ""


def _archive(download: Path) -> Path | None:
    """The ansible 12.3.0 wheel (or sdist) already downloaded, if any."""
    for pattern in (f"ansible-{ANSIBLE_VERSION}-*.whl", f"ansible-{ANSIBLE_VERSION}.tar.gz"):
        found = sorted(download.glob(pattern))
        if found:
            return found[0]
    return None


def _extract(archive: Path, dest: Path) -> None:
    """Copy the one collection out of the (large) package: faster than unpacking all of it."""
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as wheel:
            for name in wheel.namelist():
                if name.startswith(MEMBER) and not name.endswith("/"):
                    _write(dest / name, wheel.read(name))
        return
    prefix = f"ansible-{ANSIBLE_VERSION}/"
    with tarfile.open(archive) as sdist:
        for member in sdist:
            name = member.name[len(prefix):] if member.name.startswith(prefix) else member.name
            if member.isfile() and name.startswith(MEMBER):
                source = sdist.extractfile(member)
                if source is not None:
                    _write(dest / name, source.read())


def _write(path: Path, data: bytes) -> None:
    # Names come from a package on PyPI; refuse any that would leave the destination.
    if ".." in path.parts:
        raise OSError(f"refusing the archive member {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
