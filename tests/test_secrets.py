"""Secrets are recognised, dropped from stored configs, and scrubbed from messages."""

from __future__ import annotations

import pytest
from fsspec.implementations.memory import MemoryFileSystem
from hypothesis import given
from hypothesis import strategies as st

from rhcore import hookimpl, plugins
from rhcore.errors import StorageError
from rhcore.folder import Folder
from rhcore.plugins import SystemSpec
from rhcore.secrets import is_secret_key, redact, scrub, secret_values

PASSWORD = "correct-horse-battery-staple"


def test_secret_keys():
    for key in ("key", "secret", "token", "password", "passphrase", "connection_string",
                "account_key", "sas_token", "aws_secret_access_key", "session_token",
                "ssh_private_key", "api_key", "credentials", "client_keys", "key_filename"):
        assert is_secret_key(key), key
    for key in ("endpoint_url", "client_kwargs", "region", "account_name", "org", "repo", "sha",
                "anon", "username", "project"):
        assert not is_secret_key(key), key


@given(st.dictionaries(st.sampled_from(["key", "secret", "endpoint_url", "anon", "token"]),
                       st.text(min_size=4, max_size=20)))
def test_redact_keeps_only_non_secrets(config):
    clean = redact(config)
    assert set(clean) == {k for k in config if not is_secret_key(k)}


def test_scrub_replaces_secret_values():
    message = "auth failed for key AKIAXYZ with secret sekrit-123 at http://host"
    assert scrub(message, {"key": "AKIAXYZ", "secret": "sekrit-123", "endpoint_url": "http://host"}) == (
        "auth failed for key *** with secret *** at http://host"
    )


class LeakyFileSystem(MemoryFileSystem):
    """A backend whose errors quote the credential it was given, as some SDKs do — which no
    real server here does on demand (a backend's RuntimeError, as adlfs raises for a
    refused delete, is tested against Azurite in plugins/rh_azure)."""

    protocol = "leaky"

    def __init__(self, password=None, **kwargs):
        super().__init__(**kwargs)
        self.password = password

    def pipe_file(self, path, value, **kwargs):
        raise OSError(f"login refused for password {self.password!r}")


@hookimpl
def rhcore_register_systems(register):
    register(SystemSpec("leaky", protocols=("leaky",), factory=lambda cfg: LeakyFileSystem(**cfg)))


@pytest.fixture
def leaky():
    import sys

    plugins.register(sys.modules[__name__], "leaky")
    yield
    plugins.unregister("leaky")


def test_storage_errors_name_the_place_and_carry_no_secret(leaky):
    folder = Folder("bucket/run", "leaky", {"password": PASSWORD})
    with pytest.raises(StorageError) as excinfo:
        folder.write_bytes("result.pkl", b"x")
    message = str(excinfo.value)
    assert "leaky:bucket/run/result.pkl" in message.replace("/bucket", "bucket")
    assert PASSWORD not in message and "***" in message
    assert excinfo.value.__cause__ is None and excinfo.value.__suppress_context__


def test_the_parts_of_a_connection_string_are_secrets_on_their_own():
    connection = ("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=S3cr3tKey==;"
                  "BlobEndpoint=https://acct.example/;SharedAccessSignature=sv=2024-01-01&sig=S1gnature%3D")
    config = {"connection_string": connection}
    assert {"S3cr3tKey==", "sv=2024-01-01&sig=S1gnature%3D", "S1gnature%3D"} <= set(secret_values(config))
    text = scrub("refused AccountKey S3cr3tKey== at https://acct.example/c?sig=S1gnature%3D", config)
    assert "S3cr3tKey" not in text and "S1gnature" not in text
    assert "https://acct.example/c" in text  # where it went stays readable


def test_credentials_from_the_environment_are_scrubbed(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI-K7MDENG")
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", "AccountName=a;AccountKey=QUJDREVGR0g=")
    monkeypatch.setenv("SOME_FLAG_TOKEN", "1")  # too short to mask anything
    text = scrub("signed with wJalrXUtnFEMI-K7MDENG, key QUJDREVGR0g=, 1 attempt")
    assert text == "signed with ***, key ***, 1 attempt"


def test_the_access_granting_parts_of_signed_urls_are_scrubbed():
    text = scrub(
        "GET https://acct.blob.example/c/b?sv=2024&se=2030&sig=abc%2Fdef failed; "
        "https://s3.example/b/k?X-Amz-Credential=AKIA%2F2024&X-Amz-Signature=0123abcd&x=1 too; "
        "https://raw.example/o/r/main/f?token=GHSAT0AAA"
    )
    assert "abc%2Fdef" not in text and "0123abcd" not in text and "AKIA" not in text
    assert "GHSAT" not in text
    assert "https://acct.blob.example/c/b?sv=2024&se=2030&sig=***" in text and "&x=1" in text



def test_secrets_under_other_names_and_inside_values_are_found():
    config = {
        "endpoint_url": f"http://alice:{PASSWORD}@127.0.0.1:9000",
        "client_kwargs": {"headers": {"Authorization": f"Bearer {PASSWORD}-b", "Accept": "json"}},
        "SSECustomerKey": f"{PASSWORD}-c", "pkey": f"{PASSWORD}-d", "bearer": f"{PASSWORD}-e",
        "hosts": [f"sftp://bob:{PASSWORD}-f@host"],
    }
    clean = redact(config)
    assert clean == {"endpoint_url": "http://alice:***@127.0.0.1:9000",
                     "client_kwargs": {"headers": {"Accept": "json"}}, "hosts": ["sftp://bob:***@host"]}
    values = secret_values(config)
    for suffix in ("", "-b", "-c", "-d", "-e", "-f"):
        assert any(PASSWORD + suffix in v for v in values), suffix
    said = scrub(f"GET http://alice:{PASSWORD}@127.0.0.1:9000 refused (Bearer {PASSWORD}-b)", config)
    assert PASSWORD not in said and "http://alice:***@127.0.0.1:9000" in said


@hookimpl
def _declaring(register):
    register(SystemSpec("declaring", protocols=("declaring",), secret_fields=("pw",),
                        factory=lambda cfg: LeakyFileSystem(password=cfg.get("pw"))))


class Declaring:
    rhcore_register_systems = staticmethod(_declaring)


def test_a_plugins_declared_secret_fields_are_never_stored_nor_shown(tmp_path):
    plugins.register(Declaring(), name="declaring")
    try:
        folder = Folder("runs/x", "declaring", {"pw": PASSWORD, "region": "here"})
        assert folder.public_config == {"region": "here"}
        with pytest.raises(StorageError) as refused:
            folder.write_bytes("a", b"x")
        assert PASSWORD not in str(refused.value) and "***" in str(refused.value)
    finally:
        plugins.unregister("declaring")
