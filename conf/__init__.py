"""The YAML presets of nnapprox-run (Hydra config groups), shipped in the wheel as the data package
``nnapprox.conf``."""
