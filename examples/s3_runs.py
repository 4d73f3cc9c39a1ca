"""Runs on S3: a Run whose folder is on S3 while it runs, a copy of it here, and a registry
on S3 that loads it by name.

    pip install './[s3]' ./rh_s3                     # README.md, Install
    python examples/s3_runs.py my-bucket/rhcore-example

Credentials, the region and the endpoint come from the standard ``AWS_*`` environment, as
for any AWS tool; for an S3-compatible store (MinIO, moto, ...) set ``AWS_ENDPOINT_URL``.
The bucket must exist. ``nox -s install`` runs this against a moto server.
"""

import sys

import rhcore as rh

place = sys.argv[1].strip("/") if len(sys.argv) > 1 else "rhcore-example"
s3 = {}  # s3fs's own keyword arguments; empty: everything from the environment

# 1. A Run on S3 from the start: what the block prints is uploaded while it runs.
with rh.run(name="train", system="s3", path=f"{place}/train", data_config=s3) as r:
    print("epoch 1")
print(f"Run {r.name!r} is {r.status.value}; its folder is s3://{r.path}")

# 2. Load it from there, then copy it here (./rh/train): the copy is a complete Run.
assert rh.run(path=f"{place}/train", system="s3", data_config=s3).stdout() == "epoch 1"
local = r.to("here")
print(f"copied to {local.path}: {local.stdout()!r}")

# 3. A registry on S3: teammates pointing at it load the Run by its name.
rh.configure(registry=f"s3://{place}/registry", data_config=s3)
r.save()
assert rh.run("train").stdout() == "epoch 1"
print(f"saved in s3://{place}/registry and loaded back by name")
