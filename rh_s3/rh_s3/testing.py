"""A real S3 server for tests and benchmarks: moto in server mode on 127.0.0.1.

Needs ``pip install 'rh-s3[testing]'`` (moto with its server). No mocks: the server is a
separate process speaking the S3 HTTP API, started on a free port::

    with MotoServer.start() as server:
        config = server.data_config()            # key/secret/endpoint for s3fs
        server.create_bucket("runs", config)

:meth:`MotoServer.enable_auth` makes the server check signatures and IAM policies, so
wrong credentials and denied writes fail as they would on AWS.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from typing import Any

import botocore.session

from rhcore.testing.servers import ServerProcess, free_port, http_answers

__all__ = ["ALLOW_ALL", "MotoServer", "free_port"]

ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
"""An IAM policy allowing everything."""


class MotoServer:
    """A running ``moto.server`` process; use :meth:`start`, and :meth:`stop` it (or use
    it as a context manager)."""

    def __init__(self, server: ServerProcess):
        self.server = server
        self.endpoint = server.url
        self.credentials: dict[str, str] = {"key": "testing", "secret": "testing"}
        """What :meth:`data_config` signs with: moto's dummy pair until auth is enabled."""

    @classmethod
    def start(cls, *, auth: bool = False) -> MotoServer:
        """Start a server on a free port and wait until it answers ``GET /moto-api/``; with
        ``auth``, checking signatures and IAM policies from the start (:meth:`enable_auth`)."""
        server = cls(ServerProcess.launch(
            lambda port: [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            ready=lambda port: http_answers(f"http://127.0.0.1:{port}/moto-api/"),
            name="moto server",
        ))
        if auth:
            try:
                server.enable_auth()
            except BaseException:
                server.stop()
                raise
        return server

    def stop(self) -> None:
        """Stop the server and wait for it to exit."""
        self.server.stop()

    def __enter__(self) -> MotoServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- talking to it ---------------------------------------------------------------

    def data_config(self, credentials: dict[str, str] | None = None) -> dict[str, Any]:
        """An ``s3`` system ``data_config`` reaching this server (s3fs keyword arguments)."""
        creds = credentials or self.credentials
        return {
            "key": creds["key"],
            "secret": creds["secret"],
            "client_kwargs": {"endpoint_url": self.endpoint},
        }

    def environment(self, credentials: dict[str, str] | None = None) -> dict[str, str]:
        """The same as standard AWS environment variables (for subprocesses)."""
        creds = credentials or self.credentials
        return {
            "AWS_ACCESS_KEY_ID": creds["key"],
            "AWS_SECRET_ACCESS_KEY": creds["secret"],
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def _client(self, service: str, credentials: dict[str, str] | None = None) -> Any:
        creds = credentials or self.credentials
        return botocore.session.get_session().create_client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=creds["key"],
            aws_secret_access_key=creds["secret"],
        )

    def create_user(self, name: str, policy: dict[str, Any] = ALLOW_ALL) -> dict[str, str]:
        """Create IAM user ``name`` with the inline ``policy``; return its new credentials
        as ``{"key": ..., "secret": ...}``. Policies are enforced once auth is enabled."""
        iam = self._client("iam")
        iam.create_user(UserName=name)
        iam.put_user_policy(
            UserName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(policy)
        )
        access = iam.create_access_key(UserName=name)["AccessKey"]
        return {"key": access["AccessKeyId"], "secret": access["SecretAccessKey"]}

    def enable_auth(self) -> dict[str, str]:
        """Create an administrator, then make the server verify every request's signature
        and IAM permissions. Returns the administrator's credentials, which
        :meth:`data_config` uses from then on."""
        admin = self.create_user("rhcore-admin")
        request = urllib.request.Request(
            self.endpoint + "/moto-api/reset-auth",
            data=b"0",
            method="POST",
            headers={"Content-Type": "text/plain"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status != 200:
                raise RuntimeError(f"moto refused to enable auth: {response.status}")
        self.credentials = admin
        return admin

    def create_bucket(self, bucket: str, credentials: dict[str, str] | None = None) -> str:
        """Create ``bucket``; return its name."""
        self._client("s3", credentials).create_bucket(Bucket=bucket)
        return bucket

    def objects(
        self, bucket: str | None = None, credentials: dict[str, str] | None = None
    ) -> dict[str, bytes]:
        """Every object in ``bucket`` (default: in every bucket), as ``{"bucket/key": content}``."""
        s3 = self._client("s3", credentials)
        found: dict[str, bytes] = {}
        names = [bucket] if bucket else [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
        for name in names:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
                for item in page.get("Contents", []):
                    body = s3.get_object(Bucket=name, Key=item["Key"])["Body"].read()
                    found[f"{name}/{item['Key']}"] = body
        return found

    def buckets(self, credentials: dict[str, str] | None = None) -> list[str]:
        """Names of every bucket."""
        return sorted(
            b["Name"] for b in self._client("s3", credentials).list_buckets().get("Buckets", [])
        )
