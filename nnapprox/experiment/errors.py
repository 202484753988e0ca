"""The one exception of a refused configuration."""

from __future__ import annotations

__all__ = ["ConfigError", "config_error"]


class ConfigError(ValueError):
    """A configuration value refused, in one line naming the key, the value and what is allowed.

    The command line shows only this line (:mod:`nnapprox.cli` raises it as Hydra's compact error)."""


def config_error(text: str) -> ConfigError:
    """``ConfigError("Invalid config: <text>")``."""
    return ConfigError(f"Invalid config: {text}")
