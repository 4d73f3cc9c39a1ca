"""The repository's distributions and the extras that pull them in agree: every extra of
``rhcore`` names a distribution built here, pinned to this release, ``all`` names every
plugin, each plugin pins the core's minor version, and the wheels session builds each one.
Each ships the license, and claims the Python versions that the test matrix runs it on."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]


def project(path: Path) -> dict:
    return tomllib.loads(path.read_text())["project"]


def plugin_distributions() -> dict[str, Path]:
    found = {}
    for pyproject in ROOT.glob("*/pyproject.toml"):
        found[project(pyproject)["name"]] = pyproject.parent
    for pyproject in ROOT.glob("plugins/*/pyproject.toml"):
        found[project(pyproject)["name"]] = pyproject.parent
    return found


def test_each_extra_names_a_plugin_built_here():
    extras = project(ROOT / "pyproject.toml")["optional-dependencies"]
    plugins = plugin_distributions()
    expected = {"s3": "rh-s3", "ssh": "rh-ssh-cluster", "gs": "rh-gs", "azure": "rh-azure",
                "github": "rh-github", "ray": "rh-ray"}
    release = ".".join(project(ROOT / "pyproject.toml")["version"].split(".")[:2])
    for extra, distribution in expected.items():
        assert extras[extra] == [f"{distribution}=={release}.*"]  # this release's plugin, never another
        assert distribution in plugins
    assert sorted(extras["all"]) == sorted(f"{name}=={release}.*" for name in plugins)


def test_each_plugin_registers_its_entry_point():
    for name, folder in plugin_distributions().items():
        points = project(folder / "pyproject.toml")["entry-points"]["rhcore"]
        assert points, name
        for module in points.values():
            assert (folder / module.split(":")[0].replace(".", "/")).is_dir(), (name, module)


def test_the_wheels_session_builds_every_distribution():
    noxfile = (ROOT / "noxfile.py").read_text()
    listed = re.search(r"DISTRIBUTIONS = \[(.*?)\]", noxfile, re.S).group(1)
    built = {ROOT / p for p in re.findall(r'"([^"]+)"', listed)}
    assert built == {ROOT, *plugin_distributions().values()}


def all_distributions() -> dict[str, Path]:
    return {"rhcore": ROOT, **plugin_distributions()}


def test_each_plugin_pins_the_cores_minor_version():
    release = ".".join(project(ROOT / "pyproject.toml")["version"].split(".")[:2])
    for name, folder in plugin_distributions().items():
        metadata = project(folder / "pyproject.toml")
        assert metadata["version"].startswith(f"{release}."), name
        assert f"rhcore=={release}.*" in metadata["dependencies"], name


def test_each_distribution_ships_the_apache_license():
    for name, folder in all_distributions().items():
        metadata = project(folder / "pyproject.toml")
        assert metadata["license"] == "Apache-2.0", name
        text = (folder / "LICENSE").read_text()
        assert text.lstrip().startswith("Apache License\n                           Version 2.0"), name
        assert "END OF TERMS AND CONDITIONS" in text, name


def test_each_distribution_claims_the_pythons_the_matrix_runs_it_on():
    """A plugin that cannot run on a version says so in requires-python; its classifiers
    and the noxfile's PYTHONS then agree with it."""
    matrix = re.findall(r'"(3\.\d+)"', re.search(r"^PYTHONS = \[(.*?)\]", (ROOT / "noxfile.py").read_text(),
                                                 re.M).group(1))
    assert matrix[0] == "3.10"
    for name, folder in all_distributions().items():
        metadata = project(folder / "pyproject.toml")
        supported = SpecifierSet(metadata["requires-python"])
        claimed = [c.rsplit(" :: ", 1)[1] for c in metadata["classifiers"]
                   if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)]
        assert claimed == [v for v in matrix if supported.contains(f"{v}.0")], name
