"""The package's version, in the lowest layer (records carry it; the top package re-exports it)."""

__version__ = "0.1.0"
