"""fsspec's GitHub filesystem behind the ``github`` system, pointed at any GitHub API.

fsspec's ``GithubFileSystem`` keeps its API addresses in class attributes that name
``api.github.com``; :class:`RunGithubFileSystem` sets them per instance from ``api_url``,
so GitHub Enterprise (and a test server) work beside github.com in one process.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests
from fsspec.implementations.github import GithubFileSystem

GITHUB_API = "https://api.github.com"

DEFAULT_TIMEOUT = (5, 60)
"""(connect, read) seconds unless ``data_config`` sets ``timeout``: an unreachable API is
reported within seconds (fsspec waits a minute)."""

TOKEN_USERNAME = "x-access-token"
"""The user name sent with a ``token`` given alone: GitHub checks only the token."""


class RunGithubFileSystem(GithubFileSystem):
    """A repository at a ref, read through the GitHub REST API at ``api_url``.

    ``sha`` is a branch, tag or commit; without it the repository's default branch is
    looked up at ``api_url`` (fsspec would ask api.github.com). Listings are not cached
    unless ``use_listings_cache`` says so: a branch moves, and a long-lived process must
    see what was pushed since.
    """

    def __init__(
        self,
        org: str,
        repo: str,
        sha: str | None = None,
        username: str | None = None,
        token: str | None = None,
        api_url: str = GITHUB_API,
        timeout: float | Sequence[float] | None = None,
        **kwargs: Any,
    ):
        api = api_url.rstrip("/")
        self.url = api + "/repos/{org}/{repo}/git/trees/{sha}"
        self.content_url = api + "/repos/{org}/{repo}/contents/{path}?ref={sha}"
        self.timeout = as_timeout(timeout)
        # GitHub checks only the token; a user name without one (as a registry entry, which
        # never holds the token, gives back) is anonymous access, not an error
        username = (username or TOKEN_USERNAME) if token else None
        auth = {"auth": (username, token)} if username else {}
        if sha is None:
            sha = _default_branch(f"{api}/repos/{org}/{repo}", self.timeout, auth)
        kwargs.setdefault("use_listings_cache", False)
        super().__init__(org, repo, sha=sha, username=username, token=token,
                         timeout=self.timeout, **kwargs)

    def ls(self, path: str, detail: bool = False, sha: str | None = None, _sha: str | None = None,
           **kwargs: Any) -> Any:
        try:
            return super().ls(path, detail=detail, sha=sha, _sha=_sha, **kwargs)
        except FileNotFoundError:
            if self._strip_protocol(path) or _sha not in (None, sha or self.root):
                raise
            # the root tree itself is missing: say which of repository and ref it is
            raise FileNotFoundError(
                f"No branch, tag or commit {sha or self.root!r} in the repository "
                f"{self.org}/{self.repo} (or no such repository)"
            ) from None


def as_timeout(timeout: float | Sequence[float] | None) -> float | tuple[float, float]:
    """``timeout`` as requests takes it: seconds, or a ``(connect, read)`` tuple, also when
    a saved config gives it back from JSON as a list."""
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, (int, float)):
        return timeout
    connect, read = timeout
    return connect, read


def _default_branch(repo_url: str, timeout: Any, auth: dict[str, Any]) -> str:
    response = requests.get(repo_url, timeout=timeout, **auth)
    if response.status_code == 404:
        raise FileNotFoundError(f"No repository at {repo_url}")
    response.raise_for_status()
    return response.json()["default_branch"]


def github_filesystem(data_config: dict[str, Any]) -> RunGithubFileSystem:
    """The filesystem for ``data_config`` (``org``, ``repo``, ``sha``, ``username``,
    ``token``, ``api_url``, ``timeout``)."""
    missing = [key for key in ("org", "repo") if not data_config.get(key)]
    if missing:
        raise ValueError(
            f"The github system needs {' and '.join(missing)} in data_config "
            "(org, repo, and a branch, tag or commit as sha)"
        )
    return RunGithubFileSystem(**data_config)
