"""Keeping credentials out of everything rhcore writes.

``data_config`` holds a storage library's keyword arguments, some of them secrets
(``key``, ``secret``, ``token``, ``password``, connection strings, private key files,
…). Configs, registry entries and saved clusters store :func:`redact`-ed copies, and error
messages pass through :func:`scrub`, so no secret reaches disk, a log or a traceback text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

_SECRET_KEY = re.compile(
    r"(^key$|secret|token|passw|passphrase|credential|connection_?string|sas|account_?key"
    r"|private_?key|client_?keys|key_?file|^auth$|session|signature|cookie|api_?key|access_?key)",
    re.IGNORECASE,
)

REDACTED = "***"


def is_secret_key(key: str) -> bool:
    """Whether a ``data_config`` entry of this name is treated as a secret."""
    return bool(_SECRET_KEY.search(str(key)))


def redact(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of ``config`` without its secret entries, recursing into nested mappings.

    Secret entries are dropped rather than masked: a stored config never pretends to hold
    a credential, and a loader fills them from the environment or its own ``data_config``.
    """
    if not config:
        return {}
    clean: dict[str, Any] = {}
    for key, value in config.items():
        if is_secret_key(key):
            continue
        if isinstance(value, Mapping):
            value = redact(value)
        clean[key] = value
    return clean


def secret_values(config: Mapping[str, Any] | None) -> list[str]:
    """Every secret value in ``config`` (recursively), as text, longest first."""
    found: list[str] = []

    def walk(mapping: Mapping[str, Any]) -> None:
        for key, value in mapping.items():
            if isinstance(value, Mapping):
                walk(value)
            elif is_secret_key(key) and value not in (None, "", b""):
                found.extend(_as_texts(value))

    walk(config or {})
    return sorted(set(found), key=len, reverse=True)


def _as_texts(value: Any) -> Iterable[str]:
    if isinstance(value, (list, tuple, set)):
        for item in value:
            yield from _as_texts(item)
    elif isinstance(value, bytes):
        yield value.decode("utf-8", "replace")
    else:
        text = str(value)
        yield text
        yield from _embedded(text)


_CONNECTION_PART = re.compile(r"(?:^|;)\s*(?:AccountKey|SharedAccessSignature|Password)=([^;]+)", re.I)
_QUERY_PART = re.compile(r"(?:^|[&?;])(?:sig|token|password)=([^&;]+)", re.I)


def _embedded(text: str) -> Iterable[str]:
    """The secret parts of a connection string or a query (``AccountKey=…;``, ``sig=…``),
    which an error message may quote on their own."""
    for pattern in (_CONNECTION_PART, _QUERY_PART):
        for match in pattern.finditer(text):
            if match.group(1) != text:
                yield match.group(1)


_SIGNED_URL_PART = re.compile(
    r"([?&](?:sig|signature|token|access_token|x-amz-signature|x-amz-credential"
    r"|x-amz-security-token|x-goog-signature|x-goog-credential)=)[^&#\s'\"]+",
    re.IGNORECASE,
)
"""The query parts of a presigned or SAS URL that grant access (``…?sig=…``,
``X-Amz-Signature=…``, a download URL's ``token=…``)."""

MIN_ENVIRONMENT_SECRET = 8
"""Shorter values of secret-named environment variables (``1``, ``true``) are not masked."""


def environment_secrets() -> list[str]:
    """The values of environment variables named like secrets (``AWS_SECRET_ACCESS_KEY``,
    ``AZURE_STORAGE_CONNECTION_STRING``, ``GITHUB_TOKEN``, …): storage libraries read their
    credentials there, and may quote them in an error."""
    return secret_values({
        name: value for name, value in os.environ.items()
        if len(value) >= MIN_ENVIRONMENT_SECRET and is_secret_key(name)
    })


def scrub(text: str, *configs: Mapping[str, Any] | None) -> str:
    """``text`` with every secret value of ``configs`` and of the environment, and the
    access-granting parts of signed URLs, replaced by ``***``."""
    values = {value for config in configs for value in secret_values(config)}
    for value in sorted(values.union(environment_secrets()), key=len, reverse=True):
        if len(value) >= 4:
            text = text.replace(value, REDACTED)
    return _SIGNED_URL_PART.sub(rf"\1{REDACTED}", text)
