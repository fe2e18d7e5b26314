"""Fire stations as coordination points: which one per municipality, and budget-cut closures.

Pure functions of the station layer, used by the station policy
(``sim.params.station_policy``) and when outage areas are split off
(``sim.geo.areas``).
"""

from __future__ import annotations

import geopandas as gpd


def close_volunteer_posts(stations: gpd.GeoDataFrame, share: float) -> gpd.GeoDataFrame:
    """Close ``share`` of all stations (budget cuts), taking volunteer posts only.

    Posts without a professional crew close smallest crew first (ties by id); a
    coordination point and the last station of a municipality stay. If there are
    too few such posts, all of them close. The closed posts' crews are lost.
    """
    wanted = round(share * len(stations))
    crew = stations["crew_volunteer"] + stations["crew_professional"]
    order = stations.assign(_crew=crew).sort_values(["_crew", "id"]).index
    left = stations["municipality"].value_counts().to_dict()
    closed: list[object] = []
    for idx in order:
        if len(closed) >= wanted:
            break
        row = stations.loc[idx]
        if row["crew_professional"] > 0 or row["is_coordination_point"]:
            continue
        if left[row["municipality"]] <= 1:
            continue
        left[row["municipality"]] -= 1
        closed.append(idx)
    return stations.drop(index=closed)


def choose_coordination_points(stations: gpd.GeoDataFrame,
                               only: set[str] | None = None) -> gpd.GeoDataFrame:
    """One coordination point per municipality: backup power first, then the largest crew.

    ``only``: choose again just for these municipalities; the others keep theirs.
    """
    if only is not None:
        mine = stations["municipality"].isin(only).to_numpy()
        out = stations.copy()
        out.loc[mine] = choose_coordination_points(stations[mine])
        return out
    out = stations.copy()
    crew = out["crew_professional"] + out["crew_volunteer"]
    ranked = out.assign(_crew=crew).sort_values(
        ["municipality", "has_backup_power", "crew_professional", "_crew", "id"],
        ascending=[True, False, False, False, True],
    )
    out["is_coordination_point"] = False
    out.loc[ranked.groupby("municipality").head(1).index, "is_coordination_point"] = True
    return out
