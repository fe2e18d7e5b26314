"""Choosing the channel for a message hop."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sim.geo.network import Site as Location
from sim.model.cascade import SERVICES, Cascade
from sim.model.comms import Place, best_channel
from sim.model.timeline import Timeline
from sim.params.comms import CommsParams

PARAMS = CommsParams(phone_h=0.05, c2000_h=0.1, satellite_h=0.25, dares_h=0.5,
                     runner_handover_h=0.1, satellite_at_coordination_points=False,
                     c2000_at_support_points=False, dares_regions=(), sitrep_interval_h=4,
                     meldkamer_municipality="GM0002")
UP, DOWN = Timeline((0.0,), (True,)), Timeline((0.0,), (False,))


def cascade(down: set[str] = frozenset()) -> Cascade:
    return Cascade({(m, s): (DOWN if s in down else UP)
                    for m in ("GM0001", "GM0002") for s in SERVICES})


def place(role: str, municipality: str = "GM0001", region: str = "A") -> Place:
    return Place(f"{role}-1", Location(municipality, 0.0, 0.0), region, role)


CP, SP, ROT = place("coordination_point"), place("support_point"), place("rot", "GM0002")


def hop(sender: Place, c: Cascade, powered: bool = True, params: CommsParams = PARAMS,
        runner: float = 1.0) -> tuple[float, str]:
    return best_channel(3.0, sender, ROT, powered, c, params, runner)


def test_phone_while_the_networks_work():
    assert hop(SP, cascade()) == (0.05, "phone")


def test_fixed_line_needs_power_at_the_sender_mobile_does_not():
    assert hop(SP, cascade({"mobile"}), powered=True) == (0.05, "phone")
    assert hop(SP, cascade({"mobile"}), powered=False)[1] == "runner"
    assert hop(SP, cascade({"fixed_network"}), powered=False) == (0.05, "phone")


def test_c2000_at_fire_stations_but_not_at_local_points_unless_agreed():
    down = cascade({"mobile", "fixed_network"})
    assert hop(CP, down) == (0.1, "c2000")
    assert hop(SP, down)[1] == "runner"
    assert hop(SP, down, params=replace(PARAMS, c2000_at_support_points=True))[1] == "c2000"


def test_satellite_and_dares_when_everything_else_is_down():
    down = cascade({"mobile", "fixed_network", "c2000"})
    assert hop(CP, down) == (pytest.approx(1.1), "runner")
    assert hop(CP, down, params=replace(PARAMS, satellite_at_coordination_points=True)) == (
        0.25, "satellite")
    dares = replace(PARAMS, dares_regions=("A",))
    assert hop(SP, down, params=dares) == (0.5, "dares")
    assert hop(place("support_point", region="B"), down, params=dares)[1] == "runner"


def test_a_runner_wins_when_the_destination_is_close():
    down = cascade({"mobile", "fixed_network", "c2000"})
    dares = replace(PARAMS, dares_regions=("A",))
    assert hop(SP, down, params=dares, runner=0.2) == (pytest.approx(0.3), "runner")


def test_places_outside_the_network_count_as_working():
    outside = Place("meldkamer", Location("GM9999", 0, 0), "A", "meldkamer", modelled=False)
    c = cascade()
    assert best_channel(1.0, CP, outside, True, c, PARAMS, 2.0) == (0.05, "phone")


def test_a_fixed_line_needs_power_at_both_ends():
    station = place("fire_station", "GM0002")
    no_mobile = cascade({"mobile", "c2000"})
    assert best_channel(1.0, SP, station, True, no_mobile, PARAMS, 2.0, True)[1] == "phone"
    assert best_channel(1.0, SP, station, True, no_mobile, PARAMS, 2.0, False)[1] == "runner"
