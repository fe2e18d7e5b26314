"""The one validation step: a plain config mapping in, a frozen typed ``Scenario`` out.

:func:`prepare` checks every key, type and range, loads and checks the
geodata, applies the station policy and returns the parameters with the
region they run on. Every problem found is collected and raised together as
one :class:`~sim.errors.InputError` that names the field, the value and what
is allowed, before anything is written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.config import schema
from sim.errors import InputError, Problems
from sim.geo.areas import AreaSpec, split_areas
from sim.geo.load import RegionData, load_region
from sim.params.aid import read_aid
from sim.params.cascade import read_cascade
from sim.params.comms import read_comms
from sim.params.fuel import read_fuel
from sim.params.outage import read_outage
from sim.params.population import read_population
from sim.params.power import read_power
from sim.params.reader import MAX_HOURS, NAME, Reader, check_keys
from sim.params.region import read_geodata_spec, read_network
from sim.params.regions import DEFAULT, with_region_names
from sim.params.scenario import Params, Scenario, affected
from sim.params.staffing import read_staffing
from sim.params.station_policy import apply_station_policy, apply_support_point_backup
from sim.params.stations import read_stations
from sim.params.support_points import read_support_points


def prepare(cfg: Mapping[str, Any]) -> Scenario:
    """Validate a config (a plain nested mapping) and load its region; raise every problem."""
    problems = Problems()
    check_keys(cfg, schema.Config, "", problems)
    c = Reader(cfg, problems)

    name = c.text("name", pattern=NAME, allowed="letters, digits, '_', '.', '-'")
    seed = c.integer("seed", lo=0, hi=2**63 - 1)
    horizon = c.number("horizon_h", lo=0, hi=MAX_HOURS, lo_open=True)
    results_dir = c.text("results_dir")

    network = read_network(c)
    geodata = read_geodata_spec(c)
    outage = read_outage(c)
    stations = read_stations(c)
    support = read_support_points(c)
    horizon_ok = 0 < horizon <= MAX_HOURS  # a bad horizon is reported on its own
    if horizon_ok and support.operational_deadline_h > horizon:
        problems.add("support_points.operational_deadline_h", support.operational_deadline_h,
                     f"must not exceed horizon_h ({horizon:g}): the deadline must fall in the run")
    staffing = read_staffing(c)
    population = read_population(c, outage.start)
    power = read_power(c)
    # Autonomy is given in hours at full load; the litres follow from the consumption
    # (not where the table itself was rejected: that problem is reported on its own).
    if power.consumption and not problems.about("power.consumption_l_per_h"):
        stations = dataclasses.replace(stations, tank_l=stations.autonomy_h
                                       * power.litres_per_hour(stations.generator_kva, 1.0))
        support = dataclasses.replace(support, tank_l=support.autonomy_h
                                      * power.litres_per_hour(support.generator_kva, 1.0))
    params = Params(
        name=name, seed=seed, horizon_h=horizon, results_dir=Path(results_dir),
        geodata=geodata, network=network, outage=outage, stations=stations,
        support_points=support, staffing=staffing, population=population,
        cascade=read_cascade(c), power=power, fuel=read_fuel(c), comms=read_comms(c),
        aid=read_aid(c),
    )

    region: RegionData | None = None
    if not any(p.field.startswith("region.") for p in problems.items):
        try:
            region = load_region(geodata)
        except InputError as exc:
            problems.extend(exc.problems)
    if region is not None and outage.areas:
        region = split_areas(region, [AreaSpec(a.code, a.name, a.demand_points, a.wkt)
                                      for a in outage.areas], problems)
    if region is not None:
        given = params
        params = with_region_names(params, region, problems)
        check_against_region(params, region, problems, given)
    problems.raise_if_any()
    assert region is not None
    region = apply_station_policy(region, params.stations, geodata.synthesis, params.streams)
    region = apply_support_point_backup(region, support)
    return Scenario(params=params, region=region)


def check_fuel_supply(params: Params, region: RegionData, problems: Problems) -> None:
    """Zero trucks where something needs fuel is a contradiction."""
    hit = affected(params, region)
    fs = region.fire_stations
    sp = region.support_point_candidates
    outside = any(d.requests_per_day_per_100k > 0 for d in params.fuel.outside_demand.values())
    backup_everywhere = params.stations.backup_power == "all"
    if problems.about("fuel.trucks_per_region") or problems.about("power.mobile.per_region"):
        return  # a rejected value (read as 0) would only bring follow-on problems
    for name in sorted(set(region.municipalities["region"])):
        codes = set(region.municipalities.loc[region.municipalities["region"] == name, "code"])
        if not codes & hit or params.fuel.trucks_per_region.get(name, 1) > 0:
            continue
        generators = (
            backup_everywhere
            or bool(fs.loc[fs["municipality"].isin(codes), "has_backup_power"].any())
            or bool(sp.loc[sp["municipality"].isin(codes), "has_backup_power"].any())
            or params.power.mobile_per_region.get(name, 0) > 0
        )
        if generators or outside:
            what = "generators there" if generators else "outside fuel demand"
            problems.add(f"fuel.trucks_per_region.{name}", 0,
                         f"the region has {what} that need fuel during the outage; "
                         "allowed: at least 1 truck (or no generators and no outside demand)")


def check_against_region(params: Params, region: RegionData, problems: Problems,
                         given: Params | None = None) -> None:
    """Rules that need the loaded region: names of regions and municipalities.

    ``given``: the parameters as read, before the per-region defaults were filled in
    (their ``default`` values are checked even where every region has its own).
    """
    regions = set(region.municipalities["region"])
    codes = set(region.municipalities["code"])
    sp = region.support_point_candidates
    known = set(sp["type"].astype(str)) | set(sp["id"].astype(str))
    bad = [x for x in params.support_points.priority if x not in known]
    if bad:
        problems.add("support_points.activation.priority", bad,
                     f"each entry must be a site type ({sorted(set(sp['type'].astype(str)))}) "
                     "or a candidate site id")
    for key, ids, layer in (
            ("stations.add_backup", params.stations.add_backup, region.fire_stations),
            ("support_points.add_generators", params.support_points.add_generators, sp)):
        bad = sorted(set(ids) - set(layer["id"].astype(str)))
        if bad:
            problems.add(key, bad[:10], f"must be ids of sites in the selected region "
                         f"({len(bad)} unknown; e.g. {', '.join(map(str, layer['id'][:2]))})")
    region_of = dict(zip(region.municipalities["code"], region.municipalities["region"],
                         strict=True))
    bad = sorted(set(params.outage.affected_regions) - regions)
    if bad:
        problems.add("outage.affected.regions", bad, f"must be among the selected regions "
                     f"{sorted(regions)}")
    bad = sorted(set(params.outage.affected_municipalities) - codes)
    if bad:
        problems.add("outage.affected.municipalities", bad[:10],
                     "must be CBS codes of selected municipalities")
    for i, wave in enumerate(params.outage.waves):
        bad = sorted(set(wave.regions) - regions)
        if bad:
            problems.add(f"outage.waves.{i}.regions", bad,
                         f"must be among the selected regions {sorted(regions)}")
        bad = sorted(set(wave.municipalities) - codes)
        if bad:
            problems.add(f"outage.waves.{i}.municipalities", bad[:10],
                         "must be CBS codes of selected municipalities")
    all_regions = set(params.geodata.synthesis.backup_power_share) | regions
    bad = sorted(set(params.stations.backup_power_share) - all_regions)
    if bad:
        problems.add("stations.backup_power_share", bad,
                     f"keys must be safety regions, one of {sorted(all_regions)}")
    for key, per_region in (
        ("power.fixed.technicians_per_region", params.power.technicians_per_region),
        ("power.mobile.per_region", params.power.mobile_per_region),
        ("fuel.trucks_per_region", params.fuel.trucks_per_region),
    ):
        unknown = sorted(set(per_region) - all_regions)
        if unknown:
            problems.add(key, unknown, f"keys must be safety regions, one of {sorted(all_regions)}")
        missing = sorted(regions - set(per_region))
        if missing:
            problems.add(key, dict(per_region), f"needs a value for the regions {missing}")
    bad = sorted(set(params.comms.dares_regions) - all_regions)
    if bad:
        problems.add("comms.dares_regions", bad, f"must be safety regions, one of "
                     f"{sorted(all_regions)}")
    context = region.context_municipalities
    known = set((context if context is not None else region.municipalities)["code"])
    one = params.comms.meldkamer_municipality
    if one is not None and one not in known:
        problems.add("comms.meldkamer_municipality", one,
                     "must be the CBS code of a loaded municipality (selected or not), or null")
    if one is None:
        missing = sorted(regions - set(params.comms.meldkamers))
        if missing:
            problems.add("comms.meldkamers", dict(params.comms.meldkamers),
                         f"needs a meldkamer for the regions {missing} (or a default)")
        default = (given or params).comms.meldkamers.get(DEFAULT)
        if default is not None and default not in known:
            problems.add(f"comms.meldkamers.{DEFAULT}", default,
                         "must be the CBS code of a loaded municipality (selected or not)")
        for name, code in sorted(params.comms.meldkamers.items()):
            if name in regions and code not in known and code != default:
                problems.add(f"comms.meldkamers.{name}", code,
                             "must be the CBS code of a loaded municipality (selected or not)")
    check_fuel_supply(params, region, problems)
    breakdowns = (params.power.failure_rate_per_h > 0 or params.power.start_failure_prob > 0
                  ) and not problems.about("power.fixed.technicians_per_region")
    for name in sorted(regions):
        if breakdowns and params.power.technicians_per_region.get(name, 1) == 0:
            problems.add(f"power.fixed.technicians_per_region.{name}", 0,
                         "generators can break down (failure rates > 0) but nobody could "
                         "repair them; allowed: at least 1 technician, or set both "
                         "power.fixed failure rates to 0")
    depot_default = (given or params).fuel.depot_municipalities.get(DEFAULT)
    if depot_default is not None and depot_default not in codes:
        problems.add(f"fuel.depot_municipalities.{DEFAULT}", depot_default,
                     "must be the CBS code of a selected municipality")
    for name, code in params.fuel.depot_municipalities.items():
        key = f"fuel.depot_municipalities.{name}"
        if code == depot_default and depot_default not in codes:
            continue  # reported once, as the default
        if name not in all_regions:
            problems.add(key, code, f"the key must be a safety region: {sorted(all_regions)}")
        elif name in regions and (code not in codes or region_of.get(code) != name):
            problems.add(key, code, f"must be the CBS code of a selected municipality in {name}")
    if params.stations.backup_power == "shares":
        missing = sorted(regions - set(params.stations.backup_power_share)
                         - set(params.geodata.synthesis.backup_power_share))
        if missing:
            problems.add("stations.backup_power_share", dict(params.stations.backup_power_share),
                         f"needs a share for regions {missing} when backup_power=shares")
