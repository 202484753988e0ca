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

import contextlib
import logging
import os
import sys
import time

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from nnapprox.cli.compose import explain, to_plain, validated, validated_hash
from nnapprox.cli.status import failed_jobs
from nnapprox.cli.store import register_configs
from nnapprox.experiment.errors import ConfigError
from nnapprox.experiment.job import run_job
from nnapprox.experiment.presets import CONF_DIR
from nnapprox.experiment.records import job_dirname
from nnapprox.experiment.schema import GROUPS
from nnapprox.runner.folders import check_writable

register_configs()
log = logging.getLogger("nnapprox.cli.run")


#: The key under ``hydra.job.env_set`` by which the sweeper passes each job the config hash it validated.
VALIDATED_KEY = "NNAPPROX_VALIDATED_HASH"


def sweep_validated_hash(cfg) -> str | None:
    """The config hash the sweeper validated this job as (None for a single run)."""
    value = OmegaConf.select(cfg, f"hydra.job.env_set.{VALIDATED_KEY}", default=None)
    return str(value) if value else None


def _job_dir(override_dirname, *, _root_):
    """The ``nnapprox_job`` resolver: readable overrides + the config hash (see :func:`job_dirname`); the hash is
    the one the sweeper validated for the job (passed with it), else the one this process validated, never a
    new validation. A worker thus writes into the folder of the sweep's manifest even when a user file changed
    since (the job then fails there, see :func:`app`)."""
    return job_dirname(str(override_dirname), sweep_validated_hash(_root_) or validated_hash(_root_))


if not OmegaConf.has_resolver("nnapprox_job"):
    OmegaConf.register_new_resolver("nnapprox_job", _job_dir)


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
    hc = HydraConfig.get()
    expected = str(hc.job.env_set.get(VALIDATED_KEY) or "") or None
    try:
        run = validated(plain)  # validated once in this process (the sweeper's or this worker's); one line if refused
    except ConfigError:
        if expected is None:
            raise
        run = plain  # the sweep validated it, so a user file changed since: the job records its failure
    if "joblib" in str(hc.launcher.get("_target_", "")):
        os.environ["NNAPPROX_THREADS"] = "1"  # joblib workers: one thread each (BLAS too)
        _exit_with_parent()
    name = hc.job.override_dirname or "(defaults)"
    log.info("job start: %s", name)
    t0 = time.perf_counter()
    try:
        records = run_job(run, hc.runtime.output_dir, resume=plain["resume"], validated_hash=expected)
    except OSError as e:  # (WriteError too) e.g. disk full: this job failed, the sweep goes on
        log.error("job %s failed: its files could not be written: %s", name, str(e).splitlines()[0] if str(e) else e)
        return {"status": ["failed"], "n_records": 0, "job": name}
    statuses = sorted({r.get("status") for r in records})
    log.info(
        "job end: %s: status %s, %d records, %.1f s", name, "/".join(statuses), len(records), time.perf_counter() - t0
    )
    return {"status": statuses, "n_records": len(records), "job": name}


def _compose(args, overrides):
    """The composed config (hydra node included) of parsed command-line ``args`` with ``overrides``."""
    from hydra import compose, initialize_config_dir

    config_dir = os.path.abspath(args.config_path) if args.config_path else CONF_DIR
    overrides = list(overrides)
    if args.config_dir:
        overrides.append(f"hydra.searchpath=[file://{os.path.abspath(args.config_dir)}]")
    with initialize_config_dir(config_dir=config_dir, version_base="1.3"):
        return compose(config_name=args.config_name or "config", overrides=overrides, return_hydra_config=True)


def _one_line(e: Exception) -> str:
    text = str(e) + ("\n" + str(e.__cause__) if e.__cause__ is not None else "")
    lines = [
        ln.strip()
        for ln in text.splitlines()
        if ln.strip() and not ln.strip().startswith(("full_key", "object_type", "reference_type"))
    ]
    return ": ".join(lines[:2]) or type(e).__name__


def _first_job(args) -> list[str]:
    """A sweep's first job's overrides (each sweep replaced by its first value)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    first = []
    for o in OverridesParser.create().parse_overrides(list(args.overrides)):
        if o.is_sweep_override():
            value = next(iter(o.sweep_string_iterator()))
            first.append(f"{'+' if o.is_add() else ''}{o.get_key_element()}={value}")
        else:
            first.append(o.input_line)
    return first


def per_job(argv) -> list[str]:
    """A sweep's command line with its plain ``trainer.*`` and ``target.*`` overrides applied per job.

    Hydra composes a sweep's master config with the command line's non-sweep overrides before any
    job, on the default trainer and target; their schemas may lack the key (``-m trainer=gd,adam
    trainer.lr=0.01`` on L-BFGS's). ``trainer.lr=choice(0.01)`` is a one-value sweep: each job gets
    ``trainer.lr=0.01`` on its own trainer, exactly as written (same job folders and hashes).
    """
    from hydra._internal.utils import get_args_parser
    from hydra.core.override_parser.overrides_parser import OverridesParser

    args, _ = get_args_parser().parse_known_args(list(argv))
    if not args.multirun or not args.overrides:
        return list(argv)
    try:
        parsed = OverridesParser.create().parse_overrides(list(args.overrides))
    except Exception:  # noqa: BLE001 - Hydra reports a malformed override itself
        return list(argv)
    wrap = {
        o.input_line
        for o in parsed
        if not o.is_sweep_override()
        and not o.is_add()
        and not o.is_delete()
        and not o.is_force_add()
        and o.key_or_group.partition(".")[0] in ("trainer", "target")
        and "." in o.key_or_group
        and o.package is None
    }
    out = []
    for a in argv:
        key, _, value = a.partition("=")
        out.append(f"{key}=choice({value})" if a in wrap and value != "" else a)
    return out


def given_twice(overrides) -> str | None:
    """The one-line error for a key set twice on the command line (Hydra would use the last value while the
    job folder's name lists both), or None."""
    seen = {}
    for o in overrides:
        key, sep, _ = o.partition("=")
        if not sep or o.startswith("~"):
            continue
        key = key.lstrip("+").strip()
        if key in seen:
            return f"Invalid config: {key} is given twice ({seen[key]} and {o}); give it once (a sweep: {key}=a,b)"
        seen[key] = o
    return None


def precheck(argv) -> tuple[str | None, str | None]:
    """Compose and check a single run's config (a sweep's first job) before Hydra makes its folder.

    Hydra creates a run's folder (``.hydra/``, ``run.log``) before the task function starts and
    only warns when a callback raises, so a refused single run would leave a folder behind. This
    check composes the same config first (and validates it, once for the process). A sweep's
    first job is only composed (the sweeper validates every job), so that an override its
    trainer's or target's schema lacks is refused in one line here, not by Hydra's traceback.

    Returns
    -------
    problem : str or None
        The one-line error (``--help``, ``--cfg`` and the like run as usual).
    run_dir : str or None
        A single run's job folder, where its record will say whether it failed.
    """
    from hydra._internal.utils import get_args_parser
    from hydra.errors import HydraException

    args, _ = get_args_parser().parse_known_args(list(argv))
    twice = given_twice(args.overrides)
    if twice:
        return twice, None
    for o in args.overrides:  # a group set to null: Hydra's own error would be a traceback, in sweeps too
        key, _, value = o.lstrip("+~").partition("=")
        if key in GROUPS and any(v.strip().lower() in ("null", "none", "") for v in value.split(",")):
            return (f"Invalid config: {key}={value}: the group {key!r} needs an option (see nnapprox-run --list)", None)
    if args.help or args.hydra_help or args.cfg or args.info or args.shell_completion or args.experimental_rerun:
        return None, None
    overrides = _first_job(args) if args.multirun else list(args.overrides)
    try:
        try:
            cfg = _compose(args, overrides)
        except HydraException as e:
            better = explain(e, overrides, lambda ov: _compose(args, ov))
            if better is not None:
                return str(better), None
            raise
        if args.multirun:
            return None, None
        validated(to_plain(cfg), check_memory=True)
        run_dir = OmegaConf.select(cfg, "hydra.run.dir", throw_on_resolution_failure=False)
        if run_dir is not None:
            problem = check_writable(os.path.dirname(os.path.abspath(str(run_dir))))
            if problem:
                return problem, None
        return None, None if run_dir is None else str(run_dir)
    except ConfigError as e:
        return str(e), None
    except (HydraException, ValueError, OmegaConfBaseException) as e:
        return _one_line(e), None


def sweep_dir(argv) -> str | None:
    """The sweep folder of a ``-m`` command line (its first job's ``hydra.sweep.dir``), or None."""
    from hydra._internal.utils import get_args_parser

    args, _ = get_args_parser().parse_known_args(list(argv))
    if not args.multirun:
        return None
    try:
        return str(OmegaConf.select(_compose(args, _first_job(args)), "hydra.sweep.dir"))
    except Exception:  # the sweep itself reported its problem
        return None


@contextlib.contextmanager
def _early_logging():
    """``nnapprox.*`` INFO lines on stderr, in Hydra's format, until Hydra configures logging itself."""
    logger = logging.getLogger("nnapprox")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"))
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def main() -> None:
    """Console-script entry point (``nnapprox-run``; ``--list`` prints every option).

    The exit status is 1 when a job failed: read from the job's record (a single run) or from the
    records of the sweep manifest's jobs (a sweep), whatever the launcher.
    """
    argv = sys.argv[1:]
    if "--list" in argv:
        from nnapprox.cli.catalog import main as list_main

        sys.exit(list_main([]))
    from nnapprox.cli.callbacks import REPORT_FAILURES

    REPORT_FAILURES.clear()
    logging.raiseExceptions = False  # a log file on a full disk: the line is lost, not the sweep (no traceback)
    with _early_logging():  # Hydra sets up logging later: say what is slow (a C_f estimate) while checking
        problem, run_dir = precheck(argv)
    if problem:
        print(f"Error: {problem}", file=sys.stderr)
        sys.exit(1)
    argv = per_job(argv)
    sys.argv[1:] = argv
    app()
    folder = run_dir or sweep_dir(argv)
    if folder is None:
        return
    failed = failed_jobs(folder, sweep=run_dir is None)
    if failed:
        print(
            f"Error: {len(failed)} job(s) failed (their record.json says why; the report lists them): "
            + ", ".join(failed[:5])
            + (" ..." if len(failed) > 5 else ""),
            file=sys.stderr,
        )
    if REPORT_FAILURES:
        print(f"Error: {REPORT_FAILURES[-1]}", file=sys.stderr)
    if failed or REPORT_FAILURES:
        sys.exit(1)


if __name__ == "__main__":
    main()
