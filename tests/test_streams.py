"""Named random streams: one seed, independent streams keyed by name."""

from __future__ import annotations

import numpy as np
import pytest

from sim.streams import Streams


def test_same_seed_and_name_give_the_same_numbers():
    assert np.array_equal(Streams(1).get("a").random(5), Streams(1).get("a").random(5))


def test_streams_do_not_depend_on_order_or_on_other_streams():
    s = Streams(3)
    first = s.get("outage").random(4)
    s.get("fuel").random(100)
    assert np.array_equal(Streams(3).get("outage").random(4), first)


def test_different_names_or_seeds_differ():
    assert not np.array_equal(Streams(1).get("a").random(5), Streams(1).get("b").random(5))
    assert not np.array_equal(Streams(1).get("a").random(5), Streams(2).get("a").random(5))


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True])
def test_bad_seeds_are_refused(seed):
    with pytest.raises(ValueError, match="seed"):
        Streams(seed)
