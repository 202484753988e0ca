"""Hydra plugin: nnapprox's sweeper (see :mod:`hydra_plugins.nnapprox_sweeper.sweeper`)."""
