"""The command line: ``nnapprox-run`` (the Hydra app, the sweeper glue, callbacks, ``--list``) and
``nnapprox-report``. The only layer that imports Hydra and OmegaConf.
"""
