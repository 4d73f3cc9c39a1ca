"""Signatures of the pickles rhcore stores, so a team can trust a shared store without
trusting everyone who can write to it.

With a key in ``RHCORE_SIGNING_KEY`` (read from the environment at each use, never stored
or sent anywhere), every pickle rhcore writes gets a signature beside it: an HMAC-SHA256
over the Run's name, the file's role (``inputs``, ``result``) and the bytes' SHA-256. A
signature binds the bytes to their Run, so a signed result cannot be passed off as another
Run's. Only a process that holds the same key can make or check one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

import attrs

KEY_VARIABLE = "RHCORE_SIGNING_KEY"
"""The environment variable holding the signing key (any text; keep it out of files)."""
SUFFIX = ".sig"
"""A signature's file: the signed file's name with this suffix (``result.pkl.sig``)."""
_DOMAIN = b"rhcore-signature-v1"


def key() -> bytes | None:
    """The signing key of this process, or None when records are not signed."""
    value = os.environ.get(KEY_VARIABLE)
    return value.encode() if value else None


def _key_id(secret: bytes) -> str:
    """A short name of a key that does not reveal it, to tell keys apart in messages."""
    return hashlib.sha256(b"rhcore-key-id\0" + secret).hexdigest()[:12]


def _mac(secret: bytes, run_name: str, role: str, data: bytes) -> str:
    message = b"\0".join((_DOMAIN, run_name.encode(), role.encode(), hashlib.sha256(data).digest()))
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def sign(run_name: str, role: str, data: bytes) -> bytes | None:
    """The signature file's bytes for ``data`` (the ``role`` file of Run ``run_name``), or
    None when this process has no key."""
    secret = key()
    if secret is None:
        return None
    return json.dumps({"alg": "hmac-sha256", "key_id": _key_id(secret),
                       "mac": _mac(secret, run_name, role, data)}).encode()


@attrs.frozen
class Verdict:
    """What a signature says of the bytes it came with."""

    valid: bool
    """Signed with this process's key, and unchanged since."""
    tampered: bool = False
    """Signed with this process's key, and changed since (or its signature was)."""
    reason: str = ""
    """Why it is not valid, for an error message."""


def check(run_name: str, role: str, data: bytes, signature: bytes | None) -> Verdict:
    """Whether ``signature`` vouches for ``data``, the ``role`` file of Run ``run_name``."""
    secret = key()
    if secret is None:
        return Verdict(False, reason=f"this process has no signing key to check a signature with "
                                     f"({KEY_VARIABLE} is not set)")
    if signature is None:
        return Verdict(False, reason="it is not signed")
    try:
        stored = json.loads(signature)
        mac, key_id = str(stored["mac"]), str(stored.get("key_id", ""))
    except (ValueError, TypeError, KeyError):
        return Verdict(False, tampered=True, reason="its signature file is not one rhcore wrote")
    if hmac.compare_digest(mac, _mac(secret, run_name, role, data)):
        return Verdict(True)
    if key_id != _key_id(secret):
        return Verdict(False, reason=f"it was signed with another key (key id {key_id[:12]!r}; "
                                     f"this process's is {_key_id(secret)!r})")
    return Verdict(False, tampered=True,
                   reason="its signature does not match its bytes: it was changed after it was signed")
