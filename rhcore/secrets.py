"""Keeping credentials out of everything rhcore writes.

``data_config`` holds a storage library's keyword arguments, some of them secrets
(``key``, ``secret``, ``token``, ``password``, connection strings, private key files,
headers such as ``Authorization``, …), and a secret can also sit inside a value (a
password in ``http://user:PASS@host``). Configs, registry entries and saved clusters store
:func:`redact`-ed copies, and error messages pass through :func:`scrub`, so no secret
reaches disk, a log or a traceback text. A storage plugin names fields of its own that
hold secrets in its ``SystemSpec.secret_fields``; they are treated the same way.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

_SECRET_KEY = re.compile(
    r"(key$|secret|token|passw|passphrase|credential|connection_?string|sas|account_?key"
    r"|private_?key|client_?keys|key_?file|^auth$|authoriz|bearer|session|signature|cookie"
    r"|api_?key|access_?key)",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/@:\s]*:)(?P<password>[^/@\s]+)(?=@)", re.I)
"""The password of a URL's userinfo: ``scheme://user:PASSWORD@host``."""

REDACTED = "***"


def is_secret_key(key: str, declared: Iterable[str] = ()) -> bool:
    """Whether a ``data_config`` entry of this name is treated as a secret: by its name, or
    because the system's plugin ``declared`` it one."""
    return key in declared or bool(_SECRET_KEY.search(str(key)))


def redact(config: Mapping[str, Any] | None, declared: Iterable[str] = ()) -> dict[str, Any]:
    """A copy of ``config`` without its secret entries (by name, or ``declared`` by the
    system's plugin), recursing into nested mappings and lists; a password inside a URL
    becomes ``***``.

    Secret entries are dropped rather than masked: a stored config never pretends to hold
    a credential, and a loader fills them from the environment or its own ``data_config``.
    """
    if not config:
        return {}
    declared = frozenset(declared)
    return {key: _clean(value, declared) for key, value in config.items() if not is_secret_key(key, declared)}


def _clean(value: Any, declared: frozenset[str]) -> Any:
    if isinstance(value, Mapping):
        return redact(value, declared)
    if isinstance(value, (list, tuple)):
        return type(value)(_clean(item, declared) for item in value)
    if isinstance(value, str):
        return _URL_PASSWORD.sub(rf"\g<head>{REDACTED}", value)
    return value


def secret_values(config: Mapping[str, Any] | None, declared: Iterable[str] = ()) -> list[str]:
    """Every secret value in ``config`` (recursively), as text, longest first: the values of
    secret entries, and passwords inside URLs anywhere."""
    declared = frozenset(declared)
    found: list[str] = []

    def walk(value: Any, secret: bool) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(item, secret or is_secret_key(key, declared))
        elif isinstance(value, (list, tuple, set)) and not secret:
            for item in value:
                walk(item, False)
        elif secret and value not in (None, "", b""):
            found.extend(_as_texts(value))
        elif isinstance(value, str):
            found.extend(match.group("password") for match in _URL_PASSWORD.finditer(value))

    walk(config or {}, False)
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


def scrub(text: str, *configs: Mapping[str, Any] | None, declared: Iterable[str] = ()) -> str:
    """``text`` with every secret value of ``configs`` (``declared``: the secret fields a
    system's plugin names) and of the environment, the access-granting parts of signed
    URLs, and passwords inside URLs, replaced by ``***``."""
    values = {value for config in configs for value in secret_values(config, declared)}
    for value in sorted(values.union(environment_secrets()), key=len, reverse=True):
        if len(value) >= 4:
            text = text.replace(value, REDACTED)
    text = _URL_PASSWORD.sub(rf"\g<head>{REDACTED}", text)
    return _SIGNED_URL_PART.sub(rf"\1{REDACTED}", text)
