"""The extract package's public surface."""

from __future__ import annotations

import watchwire.extract


def test_all_is_sorted_and_complete() -> None:
    """__all__ lists exactly the public names, sorted."""
    public = sorted(n for n in vars(watchwire.extract) if not n.startswith("_"))
    modules = {
        "annotations",
        "article",
        "charset",
        "content",
        "dates",
        "metadata",
        "nesting",
        "selectors",
    }
    assert watchwire.extract.__all__ == sorted(watchwire.extract.__all__)
    assert set(watchwire.extract.__all__) == set(public) - modules
