"""A GitHub API server for tests: :mod:`rh_github.fake_github` on 127.0.0.1.

It serves the folders under ``root`` as repositories — ``root/<org>/<repo>/<ref>/…``, one
folder per branch — answering the REST API requests fsspec's GitHub filesystem makes::

    with FakeGitHub.start(root) as github:
        github.publish(run.folder.path, org="acme", repo="models", ref="main", at="runs/train")
        config = github.data_config("acme", "models", "main")
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from rhcore.testing.servers import ServerProcess, http_answers


class FakeGitHub:
    """A running fake GitHub API; use :meth:`start`, and :meth:`stop` it (or use it as a
    context manager)."""

    def __init__(self, server: ServerProcess, root: Path):
        self.server = server
        self.root = root
        self.api_url = server.url

    @classmethod
    def start(cls, root: str | Path) -> FakeGitHub:
        """Serve the repositories under ``root`` on a free port."""
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        server = ServerProcess.launch(
            lambda port: [sys.executable, "-m", "rh_github.fake_github", "--port", str(port),
                          "--root", str(root)],
            ready=lambda port: http_answers(f"http://127.0.0.1:{port}/repos/-/-"),
            name="fake GitHub",
        )
        return cls(server, root)

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> FakeGitHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def publish(self, folder: str | Path, *, org: str, repo: str, ref: str, at: str) -> None:
        """Put the local ``folder`` into branch ``ref`` of ``org/repo`` at path ``at``, as a
        commit and push of it would (what was there before is replaced)."""
        dest = self.root / org / repo / ref / at
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(folder, dest)

    def data_config(self, org: str, repo: str, sha: str | None = None, **extra: Any) -> dict[str, Any]:
        """A ``github`` system ``data_config`` reading ``org/repo`` at ``sha`` from this server."""
        return {"org": org, "repo": repo, **({"sha": sha} if sha else {}),
                "api_url": self.api_url, **extra}
