"""What an MSEL can name: teams, safety regions, municipalities and sites of a run.

``blackout-sim-injects --list <what> <run folder>`` prints these tables, so an
exercise designer finds the code of Zwolle (GM0193) or a station's id without
reading the source tables.
"""

from __future__ import annotations

import pandas as pd

from sim.injects.inject import TEAM_KINDS, TEAM_LABEL
from sim.injects.sources import RunData

#: What can be listed.
LISTS = ("teams", "regions", "municipalities", "sites")


def names_table(run: RunData, what: str) -> pd.DataFrame:
    """One of :data:`LISTS` as a table, sorted by its code."""
    m = pd.DataFrame({"code": list(run.municipality_name),
                      "name": list(run.municipality_name.values())})
    m["region"] = m["code"].map(run.municipality_region)
    if what == "municipalities":
        return m.sort_values("code").reset_index(drop=True)
    if what == "regions":
        g = m.groupby("region", sort=True)
        return pd.DataFrame({"region": list(g.groups),
                             "municipalities": g.size().to_list(),
                             "e.g.": g["name"].first().to_list()})
    if what == "sites":
        rows = [{"id": sid, "name": s["name"], "kind": s["role"],
                 "municipality": s["municipality"],
                 "municipality_name": run.municipality_name.get(s["municipality"], "")}
                for sid, s in run.sites.items()]
        return pd.DataFrame(rows).sort_values("id").reset_index(drop=True)
    if what == "teams":
        region = sorted(set(run.municipality_region.values()))[0]
        code = sorted(run.municipality_name)[0]
        cp = next((i for i, s in sorted(run.sites.items())
                   if s["role"] == "coordination_point"), "")
        nsp = next((i for i, s in sorted(run.sites.items()) if s["role"] == "support_point"),
                   "")
        example = {"": "", "region": region, "municipality": code, "site": ""}
        rows = []
        for kind, target in TEAM_KINDS.items():
            value = {"cp": cp, "nsp": nsp}.get(kind, example[target])
            rows.append({"team": kind, "name": TEAM_LABEL["nl"][kind],
                         "for": target or "(the whole exercise)",
                         "e.g.": f"{kind}:{value}" if value else kind,
                         "list": {"region": "--list regions", "municipality":
                                  "--list municipalities", "site": "--list sites"}.get(target,
                                                                                       "")})
        return pd.DataFrame(rows)
    raise ValueError(f"unknown list {what!r}; one of {LISTS}")
