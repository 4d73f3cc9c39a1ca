"""The registry on S3: two processes with different HOMEs share named Runs through it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import rhcore as rh


def peer(code: str, home, env: dict[str, str]) -> dict:
    """Run ``code`` in a new Python process with its own HOME (and working directory);
    return the JSON object it prints last."""
    home.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=home,
        env={**os.environ, **env, "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_processes_share_runs_through_an_s3_registry(s3_bucket, moto, tmp_path):
    registry = f"s3://{s3_bucket}/team"
    endpoint = {"client_kwargs": {"endpoint_url": moto.endpoint}}
    keys_only = {k: v for k, v in moto.environment().items() if k != "AWS_ENDPOINT_URL"}

    # Alice configures the registry in code; her keys come from the environment.
    alice = peer(
        f"""
        import json, rhcore as rh
        rh.configure(registry={registry!r}, data_config={endpoint!r})
        with rh.run(name="prepare", system="s3", path="{s3_bucket}/runs/prepare",
                    data_config={endpoint!r}) as r:
            print("cleaned 10 rows")
        r.save()
        print(json.dumps({{"exists": rh.exists("prepare", resource_type="run")}}))
    """,
        tmp_path / "alice",
        keys_only,
    )
    assert alice == {"exists": True}

    # Bob only sets RHCORE_REGISTRY and the standard AWS variables.
    bob_env = {**moto.environment(), "RHCORE_REGISTRY": registry}
    bob = peer(
        """
        import json, rhcore as rh
        r = rh.run("prepare")
        stored = rh.load("prepare", instantiate=False)
        beside = stored["path"].rsplit("/", 1)[0] + "/evaluate"
        with rh.run(name="evaluate", system="s3", path=beside) as e:
            print("read", r.stdout())
        e.save()
        print(json.dumps({"status": r.status.value, "stdout": r.stdout(), "system": r.folder.system,
                          "path": r.path, "loaded": rh.load("prepare").stdout(), "stored": stored}))
    """,
        tmp_path / "bob",
        bob_env,
    )
    assert bob["status"] == "COMPLETED" and bob["stdout"] == bob["loaded"] == "cleaned 10 rows"
    assert (bob["system"], bob["path"]) == ("s3", f"{s3_bucket}/runs/prepare")
    assert bob["stored"]["data_config"] == endpoint  # where it is, never how to log in

    # Alice, in a new process, sees Bob's Run.
    after = peer(
        f"""
        import json, rhcore as rh
        from rhcore.registry import get_registry
        rh.configure(registry={registry!r}, data_config={endpoint!r})
        # Bob's Run reached S3 through his environment; Alice brings her own endpoint.
        evaluate = rh.run("evaluate", data_config={endpoint!r})
        print(json.dumps({{"names": get_registry().names(), "stdout": evaluate.stdout(),
                          "exists": rh.exists("evaluate", resource_type="run")}}))
    """,
        tmp_path / "alice",
        keys_only,
    )
    assert after == {
        "names": ["evaluate", "prepare"],
        "stdout": "read cleaned 10 rows",
        "exists": True,
    }
    assert not (tmp_path / "alice" / ".rh" / "registry").exists()
    assert not (tmp_path / "bob" / ".rh" / "registry").exists()


def test_a_long_lived_process_sees_names_saved_by_another(s3_bucket, moto, tmp_path, monkeypatch):
    """This process lists the registry, another saves a name, this one sees it at once."""
    registry = f"s3://{s3_bucket}/shared"
    monkeypatch.setenv("RHCORE_REGISTRY", registry)
    for var, value in moto.environment().items():
        monkeypatch.setenv(var, value)
    with rh.run(name="mine", system="s3", path=f"{s3_bucket}/runs/mine") as r:
        pass
    r.save()
    from rhcore.registry import get_registry

    assert get_registry().names() == ["mine"]
    assert not rh.exists("theirs")
    peer(
        f"""
        import json, rhcore as rh
        with rh.run(name="theirs", system="s3", path="{s3_bucket}/runs/theirs") as r:
            print("from another process")
        r.save()
        print("{{}}")
    """,
        tmp_path / "other",
        {"RHCORE_REGISTRY": registry},
    )
    assert get_registry().names() == ["mine", "theirs"]
    assert rh.exists("theirs", resource_type="run")
    assert rh.run("theirs").stdout() == "from another process"
