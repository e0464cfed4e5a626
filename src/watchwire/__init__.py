"""watchwire: watch news sites, alert once and reliably when keyword rules match."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
