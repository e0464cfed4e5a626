"""Text helpers shared by the channels: highlighting, escaping-aware truncation, headers."""

from __future__ import annotations

from html import escape

import pytest

from watchwire.alerts.chat import escape_slack
from watchwire.alerts.email import message_id_for, subject_for
from watchwire.alerts.render import (
    field_segments,
    join_segments,
    join_segments_within,
    one_line,
    snippet_segments,
)

from .conftest import alert_payload


def test_one_line_collapses_every_kind_of_line_break() -> None:
    assert one_line(" a\r\nb\tc\u2028d\x85e\n\n ") == "a b c d e"


def test_snippet_marks_only_matched_words() -> None:
    segments = snippet_segments("«Білорусь» said «sanctions» on «Belarus»", {"sanctions"})
    assert segments == [("«Білорусь» said ", False), ("sanctions", True), (" on «Belarus»", False)]


def test_snippet_without_match_info_marks_every_guillemet_pair() -> None:
    assert snippet_segments("a «b» c", set()) == [("a ", False), ("b", True), (" c", False)]


def test_field_spans_highlight_exactly_and_stale_offsets_are_ignored() -> None:
    alert = {"matches": [
        {"field": "title", "text": "Belarus", "start": 10, "end": 17},
        {"field": "title", "text": "sanctions", "start": 0, "end": 9},  # does not fit: ignored
        {"field": "body", "text": "US", "start": 0, "end": 2},  # another field
    ]}  # fmt: skip
    assert field_segments(alert, "title", "US offers Belarus relief") == [
        ("US offers ", False), ("Belarus", True), (" relief", False),
    ]  # fmt: skip


def test_join_marks_after_escaping() -> None:
    segments = [("a < b ", False), ("<x>", True)]
    assert join_segments(segments, escape, lambda t: f"<mark>{t}</mark>") == (
        "a &lt; b <mark>&lt;x&gt;</mark>"
    )


@pytest.mark.parametrize("limit", range(2, 40))
def test_truncation_never_cuts_an_entity_or_a_mark(limit: int) -> None:
    segments = [("a & b & c ", False), ("sanctions", True), (" & more & more & more", False)]
    out = join_segments_within(segments, escape_slack, lambda t: f"*{t}*", limit)
    assert len(out) <= limit
    body = out.removesuffix("…")
    assert body.count("*") in (0, 2)
    assert body.count("&") == body.count("&amp;")


def test_message_id_is_stable_and_safe() -> None:
    assert message_id_for("01JD 3X<>", "Watchwire <ww@example.org>") == (
        "<watchwire.01JD-3X-@example.org>"
    )
    assert message_id_for("a", "no-at-sign") == "<watchwire.a@watchwire.invalid>"


def test_subject_is_one_line_and_bounded() -> None:
    subject = subject_for(alert_payload(title="A\nvery " + "long " * 100))
    assert "\n" not in subject and len(subject) <= 200 and subject.endswith("…")
