"""What every storage plugin shows its users, as a pytest test class.

A plugin's test module subclasses :class:`SystemPluginContract`, names what it registers,
and provides the ``place`` fixture (a :class:`~rhcore.folder.Folder` on the system, as
for :class:`~rhcore.testing.FilesystemContract`)::

    class TestS3Plugin(SystemPluginContract):
        system = "s3"
        protocols = ("s3", "s3a")
        distribution = "rh-s3"
        version = rh_s3.__version__
        lazy_modules = ("s3fs",)
        capabilities = Capabilities(atomic_write=True, exclusive_create=True)

        @pytest.fixture
        def place(self, s3_bucket, s3_config):
            return Folder(f"{s3_bucket}/plugin", "s3", s3_config)
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from rhcore.folder import Folder
from rhcore.plugins import Capabilities, get_plugins


class SystemPluginContract:
    """A storage plugin is found through its entry point under every protocol it names,
    ``rh plugins`` lists it with its distribution and version, loading plugins does not
    import its storage library (only making a filesystem does: every ``import rhcore``
    would pay for it), and every spelling of a path names one folder."""

    system: str
    protocols: tuple[str, ...]
    distribution: str
    version: str
    lazy_modules: tuple[str, ...] = ()
    """Modules that loading the plugins must leave unimported (the storage library)."""
    capabilities: Capabilities | None = None
    """The capabilities the system must declare, all of them (None: not checked)."""

    @pytest.fixture
    def place(self) -> Folder:  # pragma: no cover - provided by the plugin's subclass
        raise NotImplementedError("provide a `place` fixture returning a Folder on your system")

    def test_registered_through_its_entry_point(self) -> None:
        plugins = get_plugins()
        spec = plugins.system(self.system)
        assert spec.protocols == self.protocols
        assert all(plugins.system(protocol) is spec for protocol in self.protocols)
        info = {i.name: i for i in plugins.info()}[plugins.owner("systems", self.system)]
        assert (info.distribution, info.version) == (self.distribution, self.version)
        if self.capabilities is not None:
            assert spec.capabilities == self.capabilities

    def test_rh_plugins_lists_it(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "rhcore.cli", "plugins"], capture_output=True, text=True, check=True
        )
        rows = [line.replace(",", " ").replace(";", " ").split() for line in done.stdout.splitlines()]
        assert any(
            row[1:3] == [self.distribution, self.version] and self.system in row[row.index("systems:"):]
            for row in rows if "systems:" in row
        ), done.stdout

    def test_loading_plugins_leaves_its_library_unimported(self) -> None:
        code = (
            "import sys; from rhcore.plugins import Capabilities, get_plugins; "
            f"assert {self.system!r} in get_plugins().systems; "
            f"print([m for m in {list(self.lazy_modules)!r} if m in sys.modules])"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert done.stdout.strip() == "[]"

    def test_path_forms_name_the_same_folder(self, place: Folder) -> None:
        forms = [place.path, place.path + "/", *(f"{protocol}://{place.path}" for protocol in self.protocols)]
        capabilities = place.spec.capabilities
        if not (capabilities.posix_paths or capabilities.local_paths):  # object stores: keys
            forms.append("/" + place.path)
        for form in forms:
            assert Folder(form, self.system, place.data_config).path == place.path, form
