"""spreadlab: spread divergences for teaching and checking."""
__version__ = "0.1.0"
from .distributions import *  # noqa
