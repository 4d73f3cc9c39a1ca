"""The version of rhcore, in the lowest layer so every module can record it; and how to
install this release and its plugins, for the hints in error messages.

Until rhcore is on an index, it is installed from a checkout of its repository
(README.md, Install), and a hint that says ``pip install 'rhcore[s3]'`` would fail. So a
hint names the checkout this rhcore was installed from when its install record says
(PEP 610's ``direct_url.json``, written by ``pip install .`` and ``pip install -e .``), and
otherwise gives both forms: from the index, and from a checkout.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shlex
import urllib.parse

__version__ = "0.1.0"

PLUGIN_FOLDERS: dict[str, str] = {
    "rh-s3": "rh_s3",
    "rh-ssh-cluster": "rh_ssh_cluster",
    "rh-gs": "plugins/rh_gs",
    "rh-azure": "plugins/rh_azure",
    "rh-github": "plugins/rh_github",
    "rh-ray": "plugins/rh_ray",
}
"""Each plugin distribution of this repository -> its folder in a checkout."""

WHEEL = f"rhcore-{__version__}-py3-none-any.whl"
"""The file name of this release's wheel."""


def checkout() -> str | None:
    """The folder of the checkout this rhcore was installed from, or None: installed from
    an index or a wheel, or not installed at all (run from its source folder)."""
    try:
        text = importlib.metadata.distribution("rhcore").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        return None
    try:
        record = json.loads(text or "")
    except ValueError:
        return None
    url = urllib.parse.urlsplit(str(record.get("url", "")))
    if "dir_info" not in record or url.scheme != "file" or url.netloc not in ("", "localhost"):
        return None
    folder = urllib.parse.unquote(url.path)
    return folder if os.path.isfile(os.path.join(folder, "pyproject.toml")) else None


def plugin_install_hint(distribution: str, extra: str) -> str:
    """A command that installs the plugin ``distribution`` (the extra ``extra`` of rhcore)
    of this release here."""
    folder = PLUGIN_FOLDERS.get(distribution)
    root = checkout()
    if folder and root and os.path.isfile(os.path.join(root, folder, "pyproject.toml")):
        return f"pip install {shlex.quote(os.path.join(root, folder))}"
    hint = f"pip install 'rhcore[{extra}]=={__version__}'"
    if folder:
        hint += f" (from a checkout of rhcore's repository, at its top: pip install ./{folder})"
    return hint


def extra_install_hint(extra: str) -> str:
    """A command that installs what rhcore's extra ``extra`` adds, for an extra of packages
    from the index (``testing``): read from rhcore's metadata, it works however rhcore came."""
    try:
        requires = importlib.metadata.requires("rhcore") or []
    except importlib.metadata.PackageNotFoundError:
        requires = []
    wanted = []
    for requirement in requires:
        spec, _, marker = requirement.partition(";")
        if marker.replace("'", '"').split() == ["extra", "==", f'"{extra}"']:
            wanted.append(shlex.quote(spec.strip().replace(" ", "")))
    return f"pip install {' '.join(wanted)}" if wanted else f"pip install 'rhcore[{extra}]=={__version__}'"


def remote_install_hint(python: str) -> str:
    """Commands that install this release of rhcore for ``python`` on another host."""
    python = shlex.quote(python)
    root = checkout()
    source = shlex.quote(root) if root else "."
    where = "from the checkout it came from here" if root else "in a checkout of rhcore"
    wheel = (f"build its wheel {where}: `pip wheel --no-deps -w wheelhouse {source}`, copy "
             f"wheelhouse/{WHEEL} to the host and run `{python} -m pip install {WHEEL}` there")
    if root:
        return wheel
    return f"run `{python} -m pip install rhcore=={__version__}` there, or {wheel}"
