"""pvsignal — drug-safety science from raw public data.

Layers (imports go one way): sources → store → prepare → analysis → report / cli.
The Python API lives in :mod:`pvsignal.api` and mirrors the ``pvsignal`` command line.
"""

__version__ = "0.1.0"

from pvsignal.errors import PvsignalError  # noqa: E402,F401
