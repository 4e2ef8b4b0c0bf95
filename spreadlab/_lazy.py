"""Names a package loads on first access (PEP 562), so that ``import spreadlab`` stays light.

Examples
--------
>>> from spreadlab._lazy import lazy_names
>>> __getattr__, __dir__ = lazy_names("spreadlab.experiments", {"run_points": "._runner"},
...                                   ["run_points"], {})
>>> __getattr__("run_points").__module__
'spreadlab.experiments._runner'
"""
import importlib

__all__ = ["lazy_names"]


def lazy_names(package, lazy, public, namespace):
    """``(__getattr__, __dir__)`` for ``package``: ``lazy`` maps a name to the module (relative
    to ``package``) that defines it; ``public`` is the package's ``__all__`` and ``namespace``
    its ``globals()``."""
    def __getattr__(name):
        if name in lazy:
            return getattr(importlib.import_module(lazy[name], package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(namespace) | set(public))

    return __getattr__, __dir__
