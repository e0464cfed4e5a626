"""The extract package's public surface."""

from __future__ import annotations

import types

import watchwire.extract


def test_all_is_sorted_and_complete() -> None:
    """__all__ lists exactly the public functions, sorted."""
    public = {
        name
        for name, value in vars(watchwire.extract).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    } - {"annotations"}
    assert watchwire.extract.__all__ == sorted(watchwire.extract.__all__)
    assert set(watchwire.extract.__all__) == public
