"""Every test runs with its own HOME and working directory, so Runs, the registry and
cluster folders it creates are its own, and with plugins and settings rebuilt."""

from rhcore.testing.fixtures import isolated  # noqa: F401  (autouse)
