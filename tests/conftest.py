"""Shared fixtures; the helpers themselves live in tests/helpers.py (``from helpers import ...``)."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# Hypothesis profiles (the fuzz tests): `default` keeps `make test` short and is derandomized (the same examples
# every run); `slow` (HYPOTHESIS_PROFILE=slow, or pytest --hypothesis-profile=slow) draws more, new ones each run.
settings.register_profile("default", max_examples=30, deadline=None, derandomize=True)
settings.register_profile("slow", max_examples=400, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

from helpers import run_study  # noqa: E402


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
