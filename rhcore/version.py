"""The version of rhcore, in the lowest layer so every module can record it."""

__version__ = "0.1.0"
