"""Summary of the region a run is set up on: counts read straight from the layers.

What the validated geodata holds (municipalities, residents, fire stations
with and without backup power, coordination points, candidate support
points), in total and per safety region; ``run`` adds the network and the
model's indicators.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.geo.load import RegionData


def region_summary(region: RegionData, affected: tuple[str, ...] = ()) -> dict[str, Any]:
    """Counts per safety region and in total, as plain JSON-ready values."""
    m = region.municipalities
    fs = region.fire_stations
    sp = region.support_point_candidates
    dp = region.demand_points

    def counts(codes: pd.Series | None) -> dict[str, Any]:
        def pick(frame: pd.DataFrame, column: str = "municipality") -> pd.DataFrame:
            return frame if codes is None else frame[frame[column].isin(codes)]

        mm, ff, ss, dd = pick(m, "code"), pick(fs), pick(sp), pick(dp)
        backup = ff["has_backup_power"].astype(bool)
        cp = ff["is_coordination_point"].astype(bool)
        return {
            "municipalities": len(mm),
            "residents": int(mm["population"].sum()),
            "demand_points": len(dd),
            "demand_point_residents": int(dd["residents"].sum()),
            "fire_stations": len(ff),
            "fire_stations_with_backup_power": int(backup.sum()),
            "fire_stations_without_backup_power": int((~backup).sum()),
            "coordination_points": int(cp.sum()),
            "coordination_points_with_backup_power": int((cp & backup).sum()),
            "crew_volunteer": int(ff["crew_volunteer"].sum()),
            "crew_professional": int(ff["crew_professional"].sum()),
            "support_point_candidates": len(ss),
            "support_point_candidates_with_backup_power": int(ss["has_backup_power"].sum()),
            "support_point_capacity": int(ss["capacity"].sum()),
            "support_point_candidates_by_type": {
                str(k): int(v) for k, v in ss["type"].value_counts().sort_index().items()
            },
        }

    by_region = {
        str(name): counts(group["code"]) for name, group in m.groupby("region", sort=True)
    }
    without_cp = sorted(set(m["code"]) - set(fs.loc[fs["is_coordination_point"], "municipality"]))
    return {
        "total": counts(None),
        "by_region": by_region,
        "affected_municipalities": len(affected),
        "affected_residents": int(m.loc[m["code"].isin(affected), "population"].sum()),
        "municipalities_without_coordination_point": without_cp,
    }
