"""Compatibility shim: the notebooks' helpers moved into the package.

The worked examples are :mod:`spreadlab.course`, the exercise checker :mod:`spreadlab.exercises`;
notebooks 01-06 and 08 import them from there, so a student edition copied anywhere runs without
this file. It stays for notebooks not yet rewritten (07) and for old copies.
"""

from spreadlab.course import *  # noqa: F401,F403
from spreadlab.course import __all__ as _course_all
from spreadlab.exercises import EXERCISES, check  # noqa: F401

__all__ = [*_course_all, "EXERCISES", "check"]
