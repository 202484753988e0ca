"""Records of 12 small jobs (every trainer, the defaults) run by another commit's code and by this checkout's, compared.

    python -m tools.records_vs_ref [--ref main]

The other commit is exported with ``git archive`` into a temporary folder and run on this venv through
``PYTHONPATH``; every record field must be equal but timings and provenance (wall and training time, git
commit, version, traceback, out_root). Prints the differing records and exits 1 if there are any.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
COMMON = ["data.N=300", "data.N_test=512", "model.width=8"]
JOBS = [
    ["target=gaussian"],  # the CLI default trainer (lbfgs), default steps
    ["target=sin", "trainer=gd"],  # max_steps from the preset before, the declaration now
    ["target=sin", "trainer=momentum", "activation=relu"],  # relu: He + N(0, 0.5^2) biases
    ["target=cosine_ridge", "trainer=adam", "replicas=2"],  # one-pass replicas
    ["target=sin", "trainer=oga", "activation=sigmoid"],
    ["target=gaussian", "trainer=greedy", "activation=sigmoid"],
    ["target=sin", "trainer=random_features", "activation=relu"],
    ["target=ridge_sum", "trainer=lbfgs_path", "model.width=16", "trainer.record_widths=[2,4,8,16]"],
    ["target=sin", "trainer=bfgs", "trainer.max_steps=200", "model.width=4"],
    ["target=sin", "trainer=construct", "trainer.construction=staircase", "activation=sigmoid"],
    ["target=sigmoid_ridge", "target.d=3", "trainer=gradcheck", "activation=tanh"],
    ["target=sawtooth", "trainer=init_probe", "activation=relu", "model.depth=3", "model.width=2"],
]
IGNORE = ("wall_time", "train_time", "git_commit", "versions.nnapprox", "traceback", "out_root")


def run(entry, root, env, cwd):
    for i, job in enumerate(JOBS):
        own = {a.split("=", 1)[0] for a in job}  # a key is given once (the job's value wins over COMMON's)
        args = [
            PY,
            "-m",
            entry,
            f"out_root={root}",
            f"study=j{i}",
            *(a for a in COMMON if a.split("=", 1)[0] not in own),
        ]
        args += job
        p = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
        if p.returncode:
            print(entry, i, p.stderr[-2000:])


def load(root):
    out = {}
    for p in sorted(Path(root).rglob("record.json")):
        for r in json.loads(p.read_text()):
            out[(p.parent.parent.parent.name, r.get("replica"), r.get("n"))] = r
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", default="main", help="the commit to compare with (default: main)")
    args = ap.parse_args(argv)
    base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    base.update(MPLBACKEND="Agg", HYDRA_FULL_ERROR="1")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ref = tmp / "ref"
        ref.mkdir()
        archive = subprocess.run(["git", "archive", args.ref], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(ref)], input=archive, check=True)
        entry = "nnapprox.cli.run" if (ref / "nnapprox" / "cli" / "run.py").exists() else "nnapprox.run"
        run(entry, tmp / "a", dict(base, PYTHONPATH=str(ref)), tmp)
        run("nnapprox.cli.run", tmp / "b", base, tmp)
        a, b = load(tmp / "a"), load(tmp / "b")
    print(len(JOBS), "jobs;", len(a), f"records ({args.ref}),", len(b), "records (this checkout)")
    if a.keys() != b.keys():
        print("different records:", sorted(a.keys() ^ b.keys()))
        return 1
    diff = 0
    for k in a:
        ra, rb = a[k], b[k]
        keys = (ra.keys() | rb.keys()) - set(IGNORE)
        bad = [
            x
            for x in sorted(keys)
            if not (x.startswith("extra.") and "time" in x)  # measured seconds
            and ra.get(x) != rb.get(x)
            and not (ra.get(x) != ra.get(x) and rb.get(x) != rb.get(x))
        ]
        if bad:
            diff += 1
            print(k, [(x, ra.get(x), rb.get(x)) for x in bad][:6])
    print("records differing:", diff, "| statuses:", sorted({r["status"] for r in b.values()}))
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
