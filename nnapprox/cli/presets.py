"""Where the YAML presets (``conf/``) are: the data package ``nnapprox.conf``, in a checkout and in the wheel."""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["CONF_DIR", "choices"]

#: The config folder as an absolute path: the top-level ``conf/`` of a checkout (mapped onto the
#: package ``nnapprox.conf`` by ``pyproject.toml``) or ``site-packages/nnapprox/conf`` of an installed wheel.
CONF_DIR = str(Path(str(files("nnapprox.conf"))).resolve())


def choices(group: str) -> list[str]:
    """The preset names of a config group (``conf/<group>/*.yaml``), sorted."""
    return sorted(p.stem for p in (Path(CONF_DIR) / group).glob("*.yaml"))
