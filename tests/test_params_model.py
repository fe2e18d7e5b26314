"""Bad input for the model parameters: impossible distributions, unknown kinds, contradictions."""

from __future__ import annotations

import pytest

from sim.errors import InputError
from sim.params.validate import prepare


def problems(cfg) -> list[str]:
    with pytest.raises(InputError) as exc:
        prepare(cfg)
    return [str(p) for p in exc.value.problems]


def fields(cfg) -> list[str]:
    with pytest.raises(InputError) as exc:
        prepare(cfg)
    return exc.value.fields()


@pytest.mark.parametrize(
    ("path", "value", "field", "allowed"),
    [
        (("cascade", "mobile", "backup"), {"distribution": "uniform", "low": 8, "high": 0.5,
                                           "hours": None, "mode": None},
         "cascade.mobile.backup.low/high", "low < high"),
        (("cascade", "c2000", "backup"), {"distribution": "triangular", "low": 1, "high": 4,
                                          "mode": 9, "hours": None},
         "cascade.c2000.backup.mode", "between low"),
        (("cascade", "heating", "backup"), {"distribution": "normal", "hours": 1, "low": None,
                                            "high": None, "mode": None},
         "cascade.heating.backup.distribution", "one of"),
        (("cascade", "payment", "restore"), {"distribution": "fixed", "hours": -1, "low": None,
                                             "high": None, "mode": None},
         "cascade.payment.restore.hours", ">= 0"),
        (("power", "fixed", "repair"), {"distribution": "uniform", "low": None, "high": 3,
                                        "hours": None, "mode": None},
         "power.fixed.repair.low/high", "needs both low and high"),
        (("cascade", "water_pressure", "fails_share"), 1.5,
         "cascade.water_pressure.fails_share", "<= 1"),
        (("power", "fixed", "start_failure_prob"), -0.1, "power.fixed.start_failure_prob",
         ">= 0"),
        (("fuel", "truck_capacity_l"), 0, "fuel.truck_capacity_l", "> 0"),
        (("power", "mobile", "priority"), ["coordination_point", "hospital"],
         "power.mobile.priority", "site kinds"),
        (("fuel", "priority"), ["care", "water_works", "telecom_mast", "coordination_point",
                                "fire_station", "support_point", "bakery"],
         "fuel.priority", "unknown request kinds"),
        (("fuel", "priority"), ["care", "coordination_point", "fire_station", "support_point"],
         "fuel.priority", "every request kind"),
        (("power", "consumption_l_per_h"), {"50": [12, 9, 6, 3]},
         "power.consumption_l_per_h.50", "increasing"),
        (("comms", "phone_h"), 0, "comms.phone_h", "> 0"),
        (("comms", "dares_regions"), ["Utrecht", "Utrechtse Heuvelrug"], "comms.dares_regions",
         "safety regions"),
        (("comms", "meldkamer_municipality"), "GM9999", "comms.meldkamer_municipality",
         "loaded municipality"),
        (("fuel", "trucks_per_region"), {"VNOG": 3}, "fuel.trucks_per_region", "needs a value"),
        (("fuel", "depot_municipalities"), {"VNOG": "GM0153"},
         "fuel.depot_municipalities.VNOG", "selected municipality in VNOG"),
        (("power", "mobile", "per_region"), {"VNOG": 3, "VGGM": 3, "VGZ": 3, "IJsselland": 3,
                                             "Twente": 3, "Sticht": 1},
         "power.mobile.per_region", "safety regions"),
    ],
)
def test_impossible_model_parameters_are_rejected(default_cfg, path, value, field, allowed):
    node = default_cfg
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    found = problems(default_cfg)
    assert any(p.startswith(field) and allowed in p for p in found), found


def test_zero_trucks_where_generators_need_fuel_is_a_contradiction(default_cfg):
    default_cfg["fuel"]["trucks_per_region"]["Twente"] = 0
    found = problems(default_cfg)
    assert any(p.startswith("fuel.trucks_per_region.Twente = 0") and "at least 1" in p
               for p in found), found


def test_zero_trucks_is_fine_where_nothing_needs_fuel(default_cfg):
    default_cfg["fuel"]["trucks_per_region"]["Twente"] = 0
    default_cfg["outage"]["affected"]["regions"] = ["VGZ"]
    assert prepare(default_cfg).params.fuel.trucks_per_region["Twente"] == 0


def test_rotating_supply_without_waves_is_a_contradiction(default_cfg):
    default_cfg["outage"]["waves"] = []
    default_cfg["outage"]["rotating"]["enabled"] = True
    assert "outage.rotating.enabled" in fields(default_cfg)


def test_a_wave_with_both_a_share_and_a_list_is_rejected(default_cfg):
    default_cfg["outage"]["waves"] = [
        {"share": 0.5, "regions": ["VGZ"], "municipalities": [],
         "after": {"distribution": "fixed", "hours": 0, "low": None, "high": None, "mode": None}}]
    assert "outage.waves.0.share" in fields(default_cfg)


def test_a_bad_horizon_is_reported_once(default_cfg):
    default_cfg["horizon_h"] = 0
    assert fields(default_cfg) == ["horizon_h"]


def test_no_technicians_while_generators_can_break_is_a_contradiction(default_cfg):
    default_cfg["power"]["fixed"]["technicians_per_region"]["VGZ"] = 0
    found = problems(default_cfg)
    assert any(p.startswith("power.fixed.technicians_per_region.VGZ = 0") for p in found)
    default_cfg["power"]["fixed"]["failure_rate_per_h"] = 0
    default_cfg["power"]["fixed"]["start_failure_prob"] = 0
    prepare(default_cfg)


def test_rotating_supply_needs_two_waves(default_cfg):
    default_cfg["outage"]["rotating"]["enabled"] = True
    default_cfg["outage"]["waves"] = [
        {"share": None, "regions": [], "municipalities": [],
         "after": {"distribution": "fixed", "hours": 0, "low": None, "high": None, "mode": None}}]
    assert any("at least two" in p for p in problems(default_cfg))


def test_a_kind_named_twice_in_the_fuel_priority_is_named(default_cfg):
    default_cfg["fuel"]["priority"] = ["care", "care", "water_works", "telecom_mast",
                                       "coordination_point", "fire_station", "support_point"]
    assert any("named twice ['care']" in p for p in problems(default_cfg))
