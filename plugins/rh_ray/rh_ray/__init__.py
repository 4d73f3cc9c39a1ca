"""rhcore's ``ray`` cluster kind: function Runs executed as tasks of a Ray cluster.

``rh.cluster(name="grid", kind="ray", address="127.0.0.1:6379")`` (``address="auto"``
joins the cluster this process runs in). Ray places the work, retries lost nodes when
asked, and accounts for resources; rhcore keeps the Run record, the caching and the logs.
Importing this package does not import Ray: that happens when a Ray cluster is first used.
"""

from __future__ import annotations

from collections.abc import Callable

from rhcore import hookimpl
from rhcore.spec import ExecutorSpec

__version__ = "0.1.0"


def _ray_executor(cluster):
    from rh_ray.executor import RayExecutor

    return RayExecutor(cluster)


@hookimpl
def rhcore_register_executors(register: Callable[[ExecutorSpec], None]) -> None:
    register(ExecutorSpec("ray", _ray_executor, "a Ray cluster: each function Run is a Ray task"))
