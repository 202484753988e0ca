"""Studies as plug-ins over records: adding a study, one runner, one record contract, import hygiene."""

import ast
import json
import os
import subprocess
import sys

import pandas as pd
import yaml
from helpers import ROOT

from nnapprox.cli.catalog import DOC_BEGIN, DOC_END, OPTIONS_DOC, catalog
from nnapprox.experiment import records
from nnapprox.trainers import TRAINERS

TOY_YAML = """\
# @package _global_
# A toy study: sin(3x), tanh widths 2..16 by L-BFGS.
study: toy
plugin: toy_plugin
data:
  N: 200
  N_test: 256
hydra:
  sweeper:
    grids:
      - target: sin
        trainer.max_steps: 40
        model.width: 2,4,8,16
"""

TOY_PLUGIN = '''\
"""A toy plug-in: the generic analysis plus one verdict of its own, by a rule it registers."""
from nnapprox.report import generic
from nnapprox.report.study import Section
from nnapprox.report.verdicts import Rule, Verdict, register_rule

RULE = register_rule(Rule(kind="toy", claim="the widest network fits sin(3x)", theorem="rule: toy",
                          null="best test MSE < 0.1", alternative="best test MSE >= 0.1"))


def analyse(runs, ctx):
    res = generic.analyse(runs, ctx)
    best = float(runs["test_mse"].min())
    res.verdicts.append(Verdict(claim=RULE.claim, theorem=RULE.theorem, group="all",
                                predicted="test MSE < 0.1", measured=f"best test MSE {best:.2g}",
                                outcome="consistent" if best < 0.1 else "contradicts",
                                explanation="" if best < 0.1 else "toy: the fit is poor", kind=RULE.kind))
    res.sections.append(Section("Toy section", f"{len(runs)} runs."))
    return res
'''


def test_adding_a_study_is_one_yaml_one_module_and_the_runner_reports_it(tmp_path):
    (tmp_path / "conf" / "experiment").mkdir(parents=True)
    (tmp_path / "conf" / "experiment" / "toy.yaml").write_text(TOY_YAML)
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "toy_plugin.py").write_text(TOY_PLUGIN)
    env = dict(
        os.environ, PYTHONPATH=f"{tmp_path / 'plugins'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", MPLBACKEND="Agg"
    )
    out = tmp_path / "report"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nnapprox.cli.run",
            "-m",
            "--config-dir",
            str(tmp_path / "conf"),
            "experiment=toy",
            f"out_root={tmp_path / 'runs'}",
            f"report_dir={out}",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((out / "verdicts.json").read_text())
    assert data["study"] == "toy"
    toy = [v for v in data["verdicts"] if v["kind"] == "toy"]
    assert len(toy) == 1 and toy[0]["outcome"] == "consistent"
    text = (out / "REPORT.md").read_text()
    assert "## Toy section" in text and "4 runs." in text and "## Verdicts" in text
    assert len(pd.read_csv(out / "runs.csv")) == 4
    # the same runner, standalone, gives the same verdicts
    again = tmp_path / "again"
    proc = subprocess.run(
        [sys.executable, "-m", "nnapprox.cli.report", str(tmp_path / "runs" / "toy"), "--out", str(again)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads((again / "verdicts.json").read_text()) == data


def test_importing_the_report_and_the_studies_loads_no_trainer_and_no_optimizer():
    code = (
        "import sys, nnapprox.report, nnapprox.studies, pkgutil, importlib\n"
        "for m in pkgutil.iter_modules(nnapprox.studies.__path__): importlib.import_module('nnapprox.studies.' + "
        "m.name)\n"
        "bad = [m for m in sys.modules if m.startswith('nnapprox.trainers') or m == 'scipy.optimize']\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_no_study_module_trains():
    for path in (ROOT / "nnapprox" / "studies").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert "trainers" not in (node.module or ""), f"{path.name} imports the trainers"
                assert not any(a.name == "fit" for a in node.names), f"{path.name} imports fit"
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "fit":
                raise AssertionError(f"{path.name} calls fit")
    assert not list((ROOT / "experiments").rglob("*.py")), "experiments/ holds only READMEs"


def test_every_experiment_has_a_readme_and_a_plugin_or_uses_the_generic_one():
    from nnapprox.studies import GenericPlugin, get_plugin

    for exp in (ROOT / "conf" / "experiment").glob("*.yaml"):
        cfg = yaml.safe_load(exp.read_text())
        study, plugin = cfg.get("study", exp.stem), cfg.get("plugin")
        if exp.stem in ("smoke", "demo"):
            continue
        assert (ROOT / "experiments" / study / "README.md").exists(), study
        assert get_plugin(study, plugin) is not GenericPlugin, f"{study} has no plug-in"


def test_the_hydra_exclude_keys_are_the_record_contracts():
    cfg = yaml.safe_load((ROOT / "conf" / "config.yaml").read_text())
    keys = cfg["hydra"]["job"]["config"]["override_dirname"]["exclude_keys"]
    assert tuple(keys) == records.OVERRIDE_EXCLUDE


def test_every_trainer_option_is_listed_and_the_options_doc_is_current():
    text = catalog()
    for name, spec in TRAINERS.items():
        assert f"trainer={name}" in text
        for o in spec.options:
            if o.config:
                assert f"`trainer.{o.name}`" in text, (name, o.name)
    doc = OPTIONS_DOC.read_text()
    a, b = doc.index(DOC_BEGIN) + len(DOC_BEGIN), doc.index(DOC_END)
    assert doc[a:b].strip() == catalog().strip(), "run: python -m nnapprox.cli.catalog --docs"
    proc = subprocess.run(
        [sys.executable, "-m", "nnapprox.cli.run", "--list"], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert proc.returncode == 0 and "trainer.max_scale" in proc.stdout and "model.bias_init" in proc.stdout
