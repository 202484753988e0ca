"""The config hash of every job of every ``conf/experiment/*.yaml`` grid, as JSON.

    python -m tools.experiment_hashes > hashes.json
    python -m tools.experiment_hashes --compare before.json

Each job is composed as the sweeper composes it (the experiment, then the grid's overrides) and
validated; the output maps ``<experiment> <sorted overrides>`` to its config hash, so two
versions of the code can be compared job by job (``--compare`` prints the differences).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from hydra_plugins.nnapprox_sweeper.sweeper import as_overrides

CONF = Path(__file__).resolve().parent.parent / "conf"


def _validator():
    """``cfg -> hash`` for this checkout (the layout before and after issue 23)."""
    try:
        from nnapprox.cli.compose import validated_hash
        from nnapprox.cli.store import register_configs

        register_configs()
        return validated_hash
    except ImportError:
        from nnapprox.config import canonical
        from nnapprox.run import to_plain

        return lambda cfg: canonical(to_plain(cfg)).hash


def jobs_of(experiment: str) -> list[list[str]]:
    """Every job's overrides of one experiment: the union of its grids, each with ``params``."""
    cfg = compose("config", overrides=[f"experiment={experiment}"], return_hydra_config=True)
    sweeper = OmegaConf.to_container(cfg.hydra.sweeper, resolve=False)
    parser = OverridesParser.create()
    jobs, seen = [], set()
    for grid in sweeper.get("grids") or [{}]:
        conf = as_overrides(sweeper.get("params")) + as_overrides(grid)
        for job in BasicSweeper.split_arguments(parser.parse_overrides(conf), None)[0]:
            key = tuple(sorted(job))
            if key not in seen:
                seen.add(key)
                jobs.append(job)
    return jobs


def all_hashes() -> dict:
    validated_hash = _validator()
    out = {}
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        for path in sorted((CONF / "experiment").glob("*.yaml")):
            exp = path.stem
            for job in jobs_of(exp):
                cfg = compose("config", overrides=[f"experiment={exp}"] + job, return_hydra_config=True)
                out[f"{exp} {' '.join(sorted(job))}"] = validated_hash(cfg)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare", help="a JSON file written by this script: print the jobs whose hash differs")
    args = ap.parse_args(argv)
    now = all_hashes()
    if not args.compare:
        json.dump(now, sys.stdout, indent=1, sort_keys=True)
        print()
        return 0
    before = json.loads(Path(args.compare).read_text())
    changed = sorted(k for k in before.keys() & now.keys() if before[k] != now[k])
    only = sorted(before.keys() ^ now.keys())
    for k in changed:
        print(f"changed: {k}: {before[k]} -> {now[k]}")
    for k in only:
        print(f"only in {'before' if k in before else 'now'}: {k}")
    print(f"{len(now)} jobs; {len(changed)} hashes changed; {len(only)} jobs in one version only")
    return 1 if changed or only else 0


if __name__ == "__main__":
    sys.exit(main())
