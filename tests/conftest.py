import os

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng():
    """A fresh, seeded generator per test: no global random state, no order dependence."""
    return np.random.default_rng(20201)


def pytest_configure(config):
    """Without pytest-timeout (the ``test`` extra has it) its marker is still a known one."""
    config.addinivalue_line("markers", "timeout(seconds): per-test time limit (pytest-timeout)")
