"""``nnapprox-run``: the Hydra entry point. One job = one config = one ``record.json``.

    nnapprox-run target=gaussian target.d=4 model.width=64              # one run
    nnapprox-run -m experiment=width_scaling hydra/launcher=joblib      # a study
    nnapprox-run -m model.width=2,4,8 activation=tanh,relu study=mine   # any sweep

Only this module and :mod:`nnapprox.callbacks` import Hydra; the job itself is
:func:`nnapprox.job.run_job`, a plain function. The output directory comes from
``HydraConfig.get().runtime.output_dir`` (no chdir).
"""
import logging
import os
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from .config import Config, register_configs, validate
from .job import run_job

register_configs()
log = logging.getLogger("nnapprox.run")

#: ``conf/`` at the project root (an absolute path, so it works from any working directory).
CONF_DIR = str(Path(__file__).resolve().parent.parent / "conf")


def to_plain(cfg: DictConfig) -> dict:
    """Merge the schema again (a rerun from a saved ``.hydra/config.yaml`` has none) and resolve."""
    task = {k: v for k, v in cfg.items() if k != "hydra"}
    return OmegaConf.to_container(OmegaConf.merge(OmegaConf.structured(Config), task), resolve=True)


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="config")
def app(cfg: DictConfig) -> dict:
    plain = to_plain(cfg)
    validate(plain)  # ConfigError: one line, non-zero exit, nothing run
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
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
