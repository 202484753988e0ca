"""nnapprox-report (nnapprox.cli.report): a record.json path, unknown fit axes, failed runs' messages, missing jobs,
empty folders."""
from helpers import small_sin_cfg
from nnapprox.cli.report import main as report_main
from nnapprox.experiment.job import run_job


# nnapprox-report: a record.json path, unknown fit axes, failed runs' messages, missing jobs, empty folders
def test_report_rough_edges(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    for w in (2, 3, 4):
        run_job(small_sin_cfg(trainer={"name": "lbfgs", "max_steps": 5}, **{"model.width": w}), sweep / f"w{w}")
    assert report_main([str(sweep / "w2" / "record.json"), "--out", str(tmp_path / "one")]) == 0
    assert report_main([str(sweep), "--fit-range", "foo=1:2", "--out", str(tmp_path / "x")]) == 2
    assert "fit_range axis 'foo'" in capsys.readouterr().err
    failed = tmp_path / "failed"
    run_job(small_sin_cfg(trainer={"name": "adam", "lr": 1e8, "max_steps": 50}), failed / "a")
    (failed / "killed" / ".hydra").mkdir(parents=True)
    assert report_main([str(failed), "--out", str(tmp_path / "f")]) == 0
    text = (tmp_path / "f" / "REPORT.md").read_text()
    assert "## Failed and missing jobs" in text and "**diverged**" in text and "`killed`" in text
    (tmp_path / "empty").mkdir()
    assert report_main([str(tmp_path / "empty")]) == 2 and "no records" in capsys.readouterr().err
