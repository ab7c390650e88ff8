"""The one place the tool's version is written; the store records it in every file."""

__version__ = "0.1.0"
