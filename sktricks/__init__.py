"""Tricks that win tabular machine-learning competitions, behind the scikit-learn API.

Subpackages are imported on demand, so ``import sktricks`` stays cheap and
never imports the optional extras (torch, dask).
"""

from sktricks._version import __version__

__all__ = ["__version__"]
