"""``python -m rhcore.worker serve``: the warm worker server an executor starts where its
cluster is (the server itself is :mod:`rhcore.execution.server`)."""

from __future__ import annotations

from rhcore.execution.server import main

if __name__ == "__main__":
    main()
