"""nnapprox.experiment.records: job folders (identity, long names), malformed records, the documented keys."""

import warnings

import pytest
from helpers import ROOT, SMALL, records_under, run_cli, small_sin_cfg

from nnapprox.experiment.job import run_job
from nnapprox.experiment.records import finished, job_dirname, load_records
from nnapprox.experiment.validation import canonical


# a job's identity includes its config hash: different configs never share a folder; tag is identity
def test_different_configs_never_share_a_folder(tmp_path, monkeypatch, capsys):
    conf = tmp_path / "conf" / "experiment"
    conf.mkdir(parents=True)
    for name, steps in (("a", 5), ("b", 9)):
        (conf / f"{name}.yaml").write_text(f"# @package _global_\nstudy: same\ntrainer:\n  max_steps: {steps}\n")
    for name in ("a", "b"):
        proc = run_cli(
            monkeypatch,
            capsys,
            "-m",
            "--config-dir",
            str(tmp_path / "conf"),
            f"experiment={name}",
            f"out_root={tmp_path}",
            *SMALL,
            "model.width=2,3",
        )
        assert proc.returncode == 0, proc.stderr
    recs = records_under(tmp_path / "same")
    assert len(recs) == 4 and sorted(r["trainer.max_steps"] for r in recs) == [5, 5, 9, 9]
    assert len({r["run_dir"] for r in recs}) == 4
    assert (
        run_cli(monkeypatch, capsys, "-m", f"out_root={tmp_path}", "study=tags", "tag=first,second", *SMALL).returncode
        == 0
    )
    tags = sorted(r["tag"] for r in records_under(tmp_path / "tags"))
    assert tags == ["first", "second"]
    assert canonical(small_sin_cfg(tag="x")).hash != canonical(small_sin_cfg(tag="y")).hash


# any malformed record means "recompute, with a warning"
@pytest.mark.parametrize("content", ["[null]", "[1, 2]", "{not json", "[]", '{"a": 1}'])
def test_a_malformed_record_is_recomputed_with_a_warning(tmp_path, content):
    (tmp_path / "record.json").write_text(content)
    with pytest.warns(UserWarning, match="recomputed"):
        assert load_records(tmp_path) is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recs = run_job(small_sin_cfg(trainer={"name": "lbfgs", "max_steps": 5}), tmp_path)
    assert recs[0]["status"] == "ok" and load_records(tmp_path)[0]["status"] == "ok"


# long override lists: a readable prefix and the hash
def test_long_override_lists_fit_in_a_folder_name(tmp_path, monkeypatch, capsys):
    name = job_dirname(",".join(f"target.key{i}=a_long_value_{i}" for i in range(40)), "0123456789abcdef")
    assert len(name.encode()) < 200 and name.endswith("__0123456789") and name.startswith("target.key0=")
    assert job_dirname("target.path=data/x.csv", "0" * 16).startswith("target.path=data%2Fx.csv")
    args = [
        f"trainer.{k}={v}"
        for k, v in (
            ("ftol", 0.0),
            ("gtol", 1e-12),
            ("maxcor", 7),
            ("restarts", 1),
            ("max_steps", 5),
            ("tol", 0.0),
            ("boost", 0),
        )
    ]
    proc = run_cli(
        monkeypatch,
        capsys,
        "-m",
        f"out_root={tmp_path}",
        "study=long",
        *SMALL,
        "model.width=2",
        "model.depth=1",
        "activation.slope=0.01",
        "data.noise=0.0",
        "seed=0",
        "replicas=1",
        *args,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(records_under(tmp_path / "long")) == 1


# docs/records.md describes the keys records have
def test_the_record_docs_list_only_real_keys(tmp_path):
    text = (ROOT / "docs" / "records.md").read_text()
    assert "`experiment`" not in text
    recs = run_job(small_sin_cfg(trainer={"name": "lbfgs", "max_steps": 5}), tmp_path)
    for key in ("config_hash", "params_key", "run_dir", "c_f_infinite", "stop_reason", "grid_mse"):
        assert key in recs[0] and f"`{key}`" in text, key
    assert finished(tmp_path, recs[0]["config_hash"])
