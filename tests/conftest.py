"""Shared fixtures; the helpers themselves live in tests/helpers.py (``from helpers import ...``)."""
from __future__ import annotations

import pytest

from helpers import plain_config, run_study  # noqa: F401  (re-exported for old ``from conftest import``)


@pytest.fixture
def study_runner(tmp_path):
    """``study_runner(study, jobs)`` -> ``(runs, ctx)`` (see :func:`run_study`)."""
    return lambda study, jobs: run_study(tmp_path, study, jobs)
