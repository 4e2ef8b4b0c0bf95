"""Doctests of the JAX layer carry the ``jax`` marker and skip, with a reason, without JAX."""
import importlib.util

import pytest

_JAX_MODULES = ("_jax.py", "_jax_fit.py")


def _have(module):
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a None entry in sys.modules
        return False


_HAVE_JAX = _have("jax") and _have("optax")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if str(item.path).endswith(_JAX_MODULES):
            item.add_marker(pytest.mark.jax)
            if not _HAVE_JAX:
                item.add_marker(pytest.mark.skip(
                    reason="JAX layer: install the jax extra (pip install '.[jax]')"))
