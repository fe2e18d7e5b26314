"""Station policy: which fire stations have backup power and which are coordination points.

Planners sweep these choices ("what if every station had a generator?")
without rebuilding the geodata. Pure functions of the region and a named
random stream.
"""

from __future__ import annotations

import dataclasses
import logging

import geopandas as gpd
import numpy as np

from sim.geo.load import RegionData
from sim.geo.settings import BuildSettings
from sim.geo.stations import choose_coordination_points, close_volunteer_posts
from sim.params.stations import StationParams
from sim.params.support_points import SupportPointParams
from sim.streams import Streams

log = logging.getLogger(__name__)


def equip(layer: gpd.GeoDataFrame, name: str, kva: float, tank_l: float) -> gpd.GeoDataFrame:
    """Sites said to have backup power without a generator size or tank get the defaults.

    A user's file with ``has_backup_power`` but no ``generator_kva`` or ``tank_l``
    column would otherwise leave those sites without power (size and tank 0).
    """
    has = layer["has_backup_power"].to_numpy(bool)
    no_kva = has & (layer["generator_kva"].to_numpy(float) <= 0)
    no_tank = has & (layer["tank_l"].to_numpy(float) <= 0)
    if not (no_kva.any() or no_tank.any()):
        return layer
    out = layer.copy()
    out.loc[no_kva, "generator_kva"] = kva
    out.loc[no_tank, "tank_l"] = tank_l
    log.warning("%s: %d site(s) with backup power have no generator size or tank; they get "
                "the defaults (%g kVA, %g L)", name, int((no_kva | no_tank).sum()), kva, tank_l)
    return out


def _equipped(region: RegionData, name: str, kva: float, tank_l: float) -> RegionData:
    """The region with layer ``name`` equipped (:func:`equip`), noted in the provenance."""
    layer = getattr(region, name)
    out = equip(layer, name, kva, tank_l)
    if out is layer:
        return region
    note = f"sites with backup power but no generator size or tank: {kva:g} kVA, {tank_l:g} L"
    return dataclasses.replace(region, **{name: out},
                               provenance={**region.provenance, f"{name}.generator": note})


def apply_station_policy(
    region: RegionData, policy: StationParams, build: BuildSettings, streams: Streams
) -> RegionData:
    """Return the region with the stations' backup power and coordination points set."""
    if policy.closed_volunteer_posts_share > 0:
        region = dataclasses.replace(region, fire_stations=close_volunteer_posts(
            region.fire_stations, policy.closed_volunteer_posts_share))
    region = _equipped(region, "fire_stations", policy.generator_kva, policy.tank_l)
    backup = "shares" if policy.backup_share is not None else policy.backup_power
    if backup == "data" and policy.coordination_points == "data" and not policy.add_backup:
        return region
    stations = region.fire_stations.copy()
    had = stations["has_backup_power"].to_numpy(bool).copy()
    if backup == "all":
        has = np.ones(len(stations), dtype=bool)
    elif backup == "none":
        has = np.zeros(len(stations), dtype=bool)
    elif backup == "shares":
        rng = streams.get("stations.backup_power")
        has = np.zeros(len(stations), dtype=bool)
        for name, group in stations.groupby("region", sort=True):
            default = build.backup_power_share.get(str(name))
            share = (policy.backup_share if policy.backup_share is not None
                     else policy.backup_power_share.get(str(name), default))
            assert share is not None  # validated
            n = round(float(share) * len(group))
            picked = rng.choice(len(group), size=n, replace=False)
            has[stations.index.get_indexer(group.index[picked])] = True
    else:
        has = had.copy()
    # Stations a package equips (a plan's preset): on top of the policy.
    has |= stations["id"].astype(str).isin(policy.add_backup).to_numpy()
    gained = has & ~had
    stations["has_backup_power"] = has
    stations.loc[gained, "generator_kva"] = policy.generator_kva
    stations.loc[gained, "tank_l"] = policy.tank_l
    stations.loc[~has, "generator_kva"] = 0.0
    stations.loc[~has, "tank_l"] = 0.0
    if policy.coordination_points == "prefer_backup":
        stations = choose_coordination_points(stations)
    return dataclasses.replace(region, fire_stations=stations)


def apply_support_point_backup(region: RegionData, policy: SupportPointParams) -> RegionData:
    """Give every candidate site a generator (all), none, or keep the data."""
    region = _equipped(region, "support_point_candidates", policy.generator_kva, policy.tank_l)
    if policy.backup_power == "data" and not policy.add_generators:
        return region
    sites = region.support_point_candidates.copy()
    had = sites["has_backup_power"].to_numpy(bool)
    has = {"data": had.copy(), "all": np.ones(len(sites), dtype=bool),
           "none": np.zeros(len(sites), dtype=bool)}[policy.backup_power]
    # Sites a package equips (a plan's preset): on top of the setting.
    has |= sites["id"].astype(str).isin(policy.add_generators).to_numpy()
    gained = has & ~had
    sites["has_backup_power"] = has
    sites.loc[gained, "generator_kva"] = policy.generator_kva
    sites.loc[gained, "tank_l"] = policy.tank_l
    sites.loc[~has, "generator_kva"] = 0.0
    sites.loc[~has, "tank_l"] = 0.0
    return dataclasses.replace(region, support_point_candidates=sites)
