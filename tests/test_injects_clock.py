"""The exercise clock and the safety of exported text."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.injects.clock import ExerciseClock, Segment, scenario_label
from sim.injects.safety import escape, neutralise

START = datetime(2026, 3, 12, 9, 0)


def clock() -> ExerciseClock:
    # Play T+2 to T+6 in real time, jump to T+24 and play T+24 to T+36 at 4x speed.
    return ExerciseClock(START, (Segment(2, 6, 1), Segment(24, 36, 4)), break_min=15)


def test_segments_follow_each_other_with_breaks():
    c = clock()
    assert c.segment_starts() == [START, START + timedelta(hours=4, minutes=15)]
    assert c.end() == START + timedelta(hours=7, minutes=15)
    assert c.play_hours() == 7


def test_delivery_times_follow_the_segments_speed():
    c = clock()
    assert c.deliver_at(2.0) == START
    assert c.deliver_at(5.5) == START + timedelta(hours=3.5)
    assert c.deliver_at(24.0) == START + timedelta(hours=4, minutes=15)
    assert c.deliver_at(30.0) == START + timedelta(hours=4, minutes=15 + 90)
    assert c.deliver_at(36.0) == c.end()
    for skipped in (0.5, 6.5, 20.0, 40.0):
        assert c.deliver_at(skipped) is None


def test_skipped_events_are_summarised_at_the_next_segment():
    c = clock()
    assert c.resumption_of(1.0) == 0
    assert c.resumption_of(10.0) == 1
    assert c.resumption_of(40.0) is None


@given(t=st.floats(0, 48))
def test_every_delivery_falls_inside_play(t):
    c = clock()
    at = c.deliver_at(t)
    if at is not None:
        i = c.segment_of(t)
        assert i is not None
        begin = c.segment_starts()[i]
        assert begin <= at <= begin + timedelta(hours=c.segments[i].play_h)


@pytest.mark.parametrize(("segments", "message"), [
    ((), "at least one segment"),
    ((Segment(6, 2),), "must be later than from_h"),
    ((Segment(2, 6, 0),), "speed must be > 0"),
    ((Segment(2, 6), Segment(4, 8)), "must not be before the previous segment"),
])
def test_bad_segments_are_rejected(segments, message):
    with pytest.raises(ValueError, match=message):
        ExerciseClock(START, segments)


def test_scenario_labels():
    assert scenario_label(0) == "T+00:00"
    assert scenario_label(2.5) == "T+02:30"
    assert scenario_label(49.25) == "T+49:15"


def test_hostile_text_is_harmless():
    assert neutralise("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    for start in ("+", "-", "@", "\t", "\r"):
        assert neutralise(start + "1").startswith("'")
    assert neutralise("Zutphen") == "Zutphen" and neutralise(3.5) == 3.5
    assert escape('<script>alert("x")</script>') == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;")
