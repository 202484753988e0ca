"""``nnapprox-run``: the Hydra entry point. One job = one config = one job folder of records.

    nnapprox-run target=gaussian target.d=4 model.width=64              # one run
    nnapprox-run -m experiment=width_scaling hydra/launcher=joblib      # a study
    nnapprox-run -m model.width=2,4,8 activation=tanh,relu study=mine   # any sweep

Only this module, :mod:`nnapprox.cli.callbacks` and the sweeper import Hydra; the job itself is
:func:`nnapprox.experiment.job.run_job`, a plain function. A job's folder is named by
:func:`nnapprox.experiment.records.job_dirname` (the readable overrides plus the config hash), through the
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

from nnapprox.experiment.validation import Config, ConfigError, canonical, register_configs
from nnapprox.experiment.job import run_job
from nnapprox.experiment.records import job_dirname
from nnapprox.cli.presets import CONF_DIR

register_configs()
log = logging.getLogger("nnapprox.cli.run")

#: The config groups (a group set to null is refused: it would leave the run without one).
GROUPS = ("target", "model", "activation", "data", "trainer")


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
    from nnapprox.experiment.validation import check_closed

    try:
        check_closed(OmegaConf.to_container(OmegaConf.create(task), resolve=False))
        merged = OmegaConf.merge(OmegaConf.structured(Config), task)
        return OmegaConf.to_container(merged, resolve=True)
    except ConfigError:
        raise
    except OmegaConfBaseException as e:
        msg = str(e).splitlines()[0]
        key = getattr(e, "full_key", None)
        raise ConfigError(f"Invalid config: {key + ': ' if key else ''}{msg}") from None


def _job_dir(override_dirname, *, _root_):
    """The ``nnapprox_job`` resolver: readable overrides + the config hash (see :func:`job_dirname`)."""
    return job_dirname(str(override_dirname), canonical(to_plain(_root_)).hash)


if not OmegaConf.has_resolver("nnapprox_job"):
    OmegaConf.register_new_resolver("nnapprox_job", _job_dir)


#: Jobs of this process whose record says ``failed`` (the exit status of ``nnapprox-run`` is 1 if any).
FAILED = []


def check_writable(folder) -> str | None:
    """Create ``folder`` and a probe file in it; the one-line error, or None when it is writable."""
    from pathlib import Path

    from nnapprox.base.io import WriteError, write_text_atomic

    probe = Path(folder) / ".nnapprox-write-probe"
    try:
        write_text_atomic(probe, "ok\n")
        probe.unlink()
    except (WriteError, OSError) as e:
        return f"out_root: the output folder is not writable ({e}); choose another out_root"
    return None


_WATCHDOG = []


def _exit_with_parent() -> None:
    """In a joblib worker: end the process when the launching process is gone (even after SIGKILL).

    Loky's workers would otherwise linger; a daemon thread polls the parent's pid every 2 s.
    """
    import threading

    if _WATCHDOG:
        return
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(2.0)
            if os.getppid() != parent:
                os._exit(1)

    _WATCHDOG.append(threading.Thread(target=watch, name="nnapprox-parent-watchdog", daemon=True))
    _WATCHDOG[0].start()


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="config")
def app(cfg: DictConfig) -> dict:
    plain = to_plain(cfg)
    canonical(plain)  # ConfigError: one line, non-zero exit, nothing run
    hc = HydraConfig.get()
    if "joblib" in str(hc.launcher.get("_target_", "")):
        os.environ["NNAPPROX_THREADS"] = "1"  # joblib workers: one thread each (BLAS too)
        _exit_with_parent()
    name = hc.job.override_dirname or "(defaults)"
    log.info("job start: %s", name)
    t0 = time.perf_counter()
    records = run_job(plain, hc.runtime.output_dir, resume=plain["resume"])
    statuses = sorted({r.get("status") for r in records})
    log.info("job end: %s: status %s, %d records, %.1f s", name, "/".join(statuses), len(records),
             time.perf_counter() - t0)
    if "failed" in statuses and str(hc.mode) == "RunMode.RUN":  # a sweep's jobs are counted by the sweeper
        FAILED.append(name)
    return {"status": statuses, "n_records": len(records), "job": name}


def precheck(argv) -> str | None:
    """Compose and check a single run's config before Hydra makes its folder.

    Hydra creates a run's folder (``.hydra/``, ``run.log``) before the task function starts and
    only warns when a callback raises, so a refused single run would leave a folder behind. This
    check composes the same config first; it returns the one-line error, or None (a sweep is
    checked job by job by the sweeper; ``--help``, ``--cfg`` and the like run as usual).
    """
    from hydra import compose, initialize_config_dir
    from hydra._internal.utils import get_args_parser
    from hydra.errors import HydraException

    args, _ = get_args_parser().parse_known_args(list(argv))
    for o in args.overrides:  # a group set to null: Hydra's own error would be a traceback, in sweeps too
        key, _, value = o.lstrip("+~").partition("=")
        if key in GROUPS and any(v.strip().lower() in ("null", "none", "") for v in value.split(",")):
            return f"Invalid config: {key}={value}: the group {key!r} needs an option (see nnapprox-run --list)"
    if (args.multirun or args.help or args.hydra_help or args.cfg or args.info or args.shell_completion
            or args.experimental_rerun):
        return None
    config_dir = os.path.abspath(args.config_path) if args.config_path else CONF_DIR
    overrides = list(args.overrides)

    if args.config_dir:
        overrides.append(f"hydra.searchpath=[file://{os.path.abspath(args.config_dir)}]")
    try:
        with initialize_config_dir(config_dir=config_dir, version_base="1.3"):
            cfg = compose(config_name=args.config_name or "config", overrides=overrides, return_hydra_config=True)
        canonical(to_plain(cfg), check_memory=True)
        run_dir = OmegaConf.select(cfg, "hydra.run.dir", throw_on_resolution_failure=False)
        if run_dir is not None:
            parent = os.path.dirname(os.path.abspath(str(run_dir)))
            problem = check_writable(parent)
            if problem:
                return problem
    except ConfigError as e:
        return str(e)
    except (HydraException, ValueError, OmegaConfBaseException) as e:
        text = str(e) + ("\n" + str(e.__cause__) if e.__cause__ is not None else "")
        lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith(
            ("full_key", "object_type", "reference_type"))]
        return ": ".join(lines[:2]) or type(e).__name__
    return None


def main() -> None:
    """Console-script entry point (``nnapprox-run``; ``--list`` prints every option)."""
    argv = sys.argv[1:]
    if "--list" in argv:
        from nnapprox.cli.catalog import main as list_main

        sys.exit(list_main([]))
    problem = precheck(argv)
    if problem:
        print(f"Error: {problem}", file=sys.stderr)
        sys.exit(1)
    app()
    if FAILED:
        print(f"Error: {len(FAILED)} job(s) failed (their record.json says why; the report lists them): "
              + ", ".join(FAILED[:5]) + (" ..." if len(FAILED) > 5 else ""), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
