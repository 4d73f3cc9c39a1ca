"""A function Run on a host reached over SSH, and its Run copied here over SFTP.

    pip install './[ssh]' ./rh_ssh_cluster           # README.md, Install; the host needs rhcore too
    python examples/ssh_runs.py HOST [--port 22] [--user me] [--key ~/.ssh/id_ed25519]

The host's key must be in ``--known-hosts`` (default ``~/.ssh/known_hosts``). ``nox -s
install`` runs this against an sshd on 127.0.0.1.
"""

import argparse
import getpass

import rhcore as rh

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("host")
parser.add_argument("--port", type=int, default=22)
parser.add_argument("--user", default=getpass.getuser())
parser.add_argument("--key", default="~/.ssh/id_ed25519", help="the private key to log in with")
parser.add_argument("--known-hosts", default="~/.ssh/known_hosts")
parser.add_argument("--python", default="python3", help="the host's Python, with rhcore installed")
parser.add_argument("--logs-dir", help="where the host keeps its Runs (default ~/.rh/logs)")
args = parser.parse_args()

settings = {"logs_dir": args.logs_dir} if args.logs_dir else {}
cpu = rh.cluster(name="ssh-example", ips=[args.host], ssh_port=args.port, python=args.python,
                 ssh_creds={"ssh_user": args.user, "ssh_private_key": args.key,
                            "known_hosts": args.known_hosts},
                 **settings)


def train(rows):
    print(f"training on {len(rows)} rows")
    return sum(rows) / len(rows)


f = rh.function(train).to(cpu)
assert f([1, 2, 3], run_name="train-v1") == 2      # runs on the host, recorded as a Run there
run = cpu.get_run("train-v1")
print(f"Run {run.name!r} on {args.host} is {run.status.value}: {run.stdout()!r}")

local = run.to("here")                             # copied over SFTP into ./rh/train-v1
assert local.result() == 2 and local.stdout() == "training on 3 rows"
print(f"copied to {local.path}")
