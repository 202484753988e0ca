"""``nnapprox-run``: the Hydra entry point. One job = one config = one job folder of records.

    nnapprox-run target=gaussian target.d=4 model.width=64              # one run
    nnapprox-run -m experiment=width_scaling hydra/launcher=joblib      # a study
    nnapprox-run -m model.width=2,4,8 activation=tanh,relu study=mine   # any sweep

Only this module, :mod:`nnapprox.callbacks` and the sweeper import Hydra; the job itself is
:func:`nnapprox.job.run_job`, a plain function. A job's folder is named by
:func:`nnapprox.records.job_dirname` (the readable overrides plus the config hash), through the
``nnapprox_job`` resolver that ``conf/config.yaml`` uses in ``hydra.run.dir`` and
``hydra.sweep.subdir``.
"""
import logging
import os
import sys
import time

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .config import Config, ConfigError, canonical, register_configs
from .job import run_job
from .records import job_dirname

register_configs()
log = logging.getLogger("nnapprox.run")

#: ``conf/`` at the project root (an absolute path, so it works from any working directory).
CONF_DIR = str((__import__("pathlib").Path(__file__).resolve().parent.parent / "conf"))


def to_plain(cfg: DictConfig) -> dict:
    """The task part of a composed config as a plain dict, the schema merged again (a rerun from a
    saved ``.hydra/config.yaml`` has none) and interpolations resolved.

    Raises
    ------
    ConfigError
        For a value the schema refuses (a wrong type, ``trainer=null``), in one line.
    """
    task = {k: v for k, v in cfg.items() if k != "hydra"}
    for group in ("target", "model", "activation", "data", "trainer"):
        if group in task and task[group] is None:
            raise ConfigError(f"Invalid config: {group}=null: the group {group!r} needs an option "
                              f"(e.g. {group}=<name>)")
    try:
        merged = OmegaConf.merge(OmegaConf.structured(Config), task)
        return OmegaConf.to_container(merged, resolve=True)
    except OmegaConfBaseException as e:
        msg = str(e).splitlines()[0]
        key = getattr(e, "full_key", None)
        raise ConfigError(f"Invalid config: {key + ': ' if key else ''}{msg}") from None


def _job_dir(override_dirname, *, _root_):
    """The ``nnapprox_job`` resolver: readable overrides + the config hash (see :func:`job_dirname`)."""
    return job_dirname(str(override_dirname), canonical(to_plain(_root_)).hash)


if not OmegaConf.has_resolver("nnapprox_job"):
    OmegaConf.register_new_resolver("nnapprox_job", _job_dir)


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="config")
def app(cfg: DictConfig) -> dict:
    plain = to_plain(cfg)
    canonical(plain)  # ConfigError: one line, non-zero exit, nothing run
    hc = HydraConfig.get()
    if "joblib" in str(hc.launcher.get("_target_", "")):
        os.environ["NNAPPROX_THREADS"] = "1"  # joblib workers: one thread each (BLAS too)
    name = hc.job.override_dirname or "(defaults)"
    log.info("job start: %s", name)
    t0 = time.perf_counter()
    records = run_job(plain, hc.runtime.output_dir, resume=plain["resume"])
    statuses = sorted({r.get("status") for r in records})
    log.info("job end: %s: status %s, %d records, %.1f s", name, "/".join(statuses), len(records),
             time.perf_counter() - t0)
    return {"status": statuses, "n_records": len(records)}


def main() -> None:
    """Console-script entry point (``nnapprox-run``; ``--list`` prints every option)."""
    if "--list" in sys.argv[1:]:
        from .catalog import main as list_main

        sys.exit(list_main())
    app()


if __name__ == "__main__":
    main()
