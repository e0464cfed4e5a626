"""URL resolution shared by every discovery module."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from watchwire.discover.common import UrlResolver, resolve_url

_PATHS = st.text(alphabet="/.ab?#=% -_:@", max_size=20)
_BASES = st.sampled_from(
    [
        "https://news.example.org/world/x?y=1",
        "http://news.example.org:8080/",
        "https://user:pw@news.example.org/a/",
        "https://news.example.org",
    ]
)


@settings(max_examples=300, deadline=None)
@given(base=_BASES, tail=_PATHS)
def test_resolver_shortcut_agrees_with_urljoin(base: str, tail: str) -> None:
    """The root-relative shortcut returns exactly what the urllib path would."""
    href = "/" + tail
    assert UrlResolver(base)(href) == resolve_url(base, href)


def test_fragments_dropped_and_only_http_kept() -> None:
    """Fragments go; mailto, javascript and data URLs are not links."""
    base = "https://news.example.org/world"
    assert resolve_url(base, "a/b#top") == "https://news.example.org/a/b"
    assert resolve_url(base, "#top") is None
    assert resolve_url(base, "mailto:desk@example.org") is None
    assert resolve_url(base, "javascript:void(0)") is None
    assert resolve_url(base, "http://[::1") is None
