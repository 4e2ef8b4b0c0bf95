"""The package version, in one place (spreadlab/__init__.py, the CLI and setup.cfg read it)."""

__version__ = "0.1.0"
