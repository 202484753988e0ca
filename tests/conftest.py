"""Shared fixtures; the helpers themselves live in tests/helpers.py (``from helpers import ...``)."""
from __future__ import annotations

import pytest

from helpers import plain_config, run_study  # noqa: F401  (re-exported for old ``from conftest import``)


@pytest.fixture
def study_runner(tmp_path):
    """``study_runner(study, jobs)`` -> ``(runs, ctx)`` (see :func:`run_study`)."""
    return lambda study, jobs: run_study(tmp_path, study, jobs)


@pytest.fixture(autouse=True, scope="session")
def _c_f_cache(tmp_path_factory):
    """The C_f estimates' disk cache of the tests (and of their subprocesses) in a temporary folder, not ~/.cache."""
    import os

    if "NNAPPROX_CACHE_DIR" not in os.environ:
        os.environ["NNAPPROX_CACHE_DIR"] = str(tmp_path_factory.mktemp("nnapprox-cache"))
    yield


# Hypothesis (the fuzz tests): a modest example count in `make test`; `pytest --hypothesis-profile=slow` runs more.
from hypothesis import settings as _hyp_settings  # noqa: E402

_hyp_settings.register_profile("default", max_examples=50, deadline=None)
_hyp_settings.register_profile("slow", max_examples=1000, deadline=None)
_hyp_settings.load_profile("default")
