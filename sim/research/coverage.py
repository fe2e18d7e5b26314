"""Coverage: which residents have a working point within the distance they accept, and when.

For every demand point (population centre) and every hour: whether a local
support point in a chosen state (operational, or open at all) lies within
walking distance, and within cycling distance; and the residents covered, with
walkers and cyclists in their shares (``population.access``). The same for
functioning coordination points. Distances are straight lines times the
network's detour factor, as in the model. Residents who have power again on
the grid operator's transformer-house generators can be left out per hour
(``counted``: the share of each demand point's residents still counted).

Pairs of demand points and sites within reach are found once with a spatial
index (shapely's STRtree, ``dwithin``); each hour is then one sparse
matrix product, so a national grid of demand points stays fast. States per hour
come from the event log (the last state recorded at or before the hour).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from sim.results.records import latest

#: Point states that count as operational (with power) and as open at all.
OPERATIONAL = frozenset({"open_full"})
OPEN = frozenset({"open_full", "open_reduced"})


def pairs_within(demand: np.ndarray, sites: np.ndarray, km: float,
                 detour: float = 1.0) -> sparse.csr_matrix:
    """Demand points x sites, 1 where the site is within ``km`` (straight line x detour).

    ``demand`` and ``sites`` are arrays of shapely points in metres (EPSG:28992).
    """
    n_d, n_s = len(demand), len(sites)
    if not n_d or not n_s:
        return sparse.csr_matrix((n_d, n_s), dtype=np.int32)
    tree = shapely.STRtree(sites)
    i, j = tree.query(demand, predicate="dwithin", distance=km * 1000.0 / detour)
    # Counts of sites in reach are summed in this type: wide enough for any city centre
    # (an 8-bit count wrapped past 127 sites and showed covered residents as uncovered).
    data = np.ones(len(i), dtype=np.int32)
    return sparse.csr_matrix((data, (i, j)), shape=(n_d, n_s))


def state_at(records: pd.DataFrame, kind: str, ids: Sequence[str], at: np.ndarray,
             initial: float = 1.0, key: str = "site") -> pd.DataFrame:
    """Value of the latest ``kind`` record per id at each time (``initial`` before the first)."""
    return latest(records[records["kind"] == kind], "value", ids, at, float(initial), key)


def detail_at(records: pd.DataFrame, kind: str, ids: Sequence[str], at: np.ndarray,
              initial: str = "") -> pd.DataFrame:
    """``detail`` of the latest ``kind`` record per site at each time (``initial`` before)."""
    return latest(records[records["kind"] == kind], "detail", ids, at, initial, "site")


def source_at(records: pd.DataFrame, ids: Sequence[str], at: np.ndarray) -> pd.DataFrame:
    """Power source (grid/fixed/mobile/none) of each site at each time."""
    return latest(records[records["kind"] == "site_power"], "detail", ids, at, "grid", "site")


def states_at(events: pd.DataFrame, kind: str, sites: Sequence[str],
              hours: np.ndarray) -> np.ndarray:
    """[hour, site]: the ``detail`` of the last ``kind`` record at or before each hour.

    Sites without a record by then hold ``""``.
    """
    return detail_at(events, kind, sites, hours).to_numpy()


@dataclass(frozen=True)
class Coverage:
    """Coverage per hour and demand point."""

    hours: np.ndarray
    demand_points: list[str]
    municipality: np.ndarray
    residents: np.ndarray
    #: [hour, demand point]: a working site within walking / cycling distance.
    walk: np.ndarray
    cycle: np.ndarray
    cycling_share: float
    #: [hour, demand point]: the share of the residents counted (still without power:
    #: not re-powered on the grid operator's transformer-house generators); None: all.
    counted: np.ndarray | None = None

    @property
    def share(self) -> np.ndarray:
        """[hour, demand point]: the share of residents with a site in reach (by travel mode)."""
        return (1 - self.cycling_share) * self.walk + self.cycling_share * self.cycle

    @property
    def counted_residents(self) -> np.ndarray:
        """[hour, demand point]: the residents counted."""
        weight = np.ones(self.walk.shape) if self.counted is None else self.counted
        return weight * self.residents[None, :]

    @property
    def covered(self) -> np.ndarray:
        """[hour, demand point]: residents counted and covered (walkers and cyclists in shares)."""
        return self.share * self.counted_residents

    @property
    def uncovered(self) -> np.ndarray:
        """[hour, demand point]: residents counted without a working site in reach."""
        return self.counted_residents - self.covered

    def at(self, hour: float) -> Coverage:
        """The coverage at one of its hours only."""
        k = int(np.searchsorted(self.hours, hour))
        return replace(self, hours=self.hours[k:k + 1], walk=self.walk[k:k + 1],
                       cycle=self.cycle[k:k + 1],
                       counted=None if self.counted is None else self.counted[k:k + 1])

    def share_while(self, counted: np.ndarray) -> np.ndarray:
        """Per hour: the share covered of the residents ``counted`` ([hour, demand point]).

        NaN where nobody is counted.
        """
        residents = (self.counted_residents * counted).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(residents > 0, (self.covered * counted).sum(axis=1) / residents,
                            np.nan)

    def by(self, groups: np.ndarray | None = None) -> pd.DataFrame:
        """Residents counted, covered and the covered share per hour and group (None: overall)."""
        keys = np.zeros(len(self.residents), dtype=object) if groups is None else groups
        names, index = np.unique(keys.astype(str), return_inverse=True)

        def per_group(rows: np.ndarray) -> np.ndarray:
            return (np.stack([np.bincount(index, weights=row, minlength=len(names))
                              for row in rows]) if len(self.hours) else np.empty((0, 0)))

        frame = pd.DataFrame({
            "hour": np.repeat(self.hours, len(names)),
            "group": np.tile(names, len(self.hours)),
            "residents": per_group(self.counted_residents).reshape(-1),
            "covered": per_group(self.covered).reshape(-1),
        })
        frame["uncovered"] = frame["residents"] - frame["covered"]
        with np.errstate(invalid="ignore", divide="ignore"):
            frame["covered_share"] = frame["covered"] / frame["residents"]
        return frame


def coverage(demand: np.ndarray, demand_ids: Sequence[str], municipality: np.ndarray,
             residents: np.ndarray, sites: np.ndarray, working: np.ndarray,
             hours: np.ndarray, walk_km: float, cycle_km: float, cycling_share: float,
             detour: float = 1.0, counted: np.ndarray | None = None) -> Coverage:
    """Coverage of demand points by sites working at each hour (``working[hour, site]``).

    ``counted``: [hour, demand point], the share of the residents counted (None: all).
    """
    walk_pairs = pairs_within(demand, sites, walk_km, detour)
    cycle_pairs = pairs_within(demand, sites, cycle_km, detour)
    on = sparse.csr_matrix(working.astype(np.int32))
    walk = (on @ walk_pairs.T).toarray() > 0 if len(hours) else np.zeros((0, len(demand)), bool)
    cycle = (on @ cycle_pairs.T).toarray() > 0 if len(hours) else walk
    return Coverage(hours=np.asarray(hours, float), demand_points=list(demand_ids),
                    municipality=np.asarray(municipality), residents=np.asarray(residents, float),
                    walk=walk, cycle=cycle, cycling_share=cycling_share, counted=counted)


def working_points(events: pd.DataFrame, sites: Sequence[str], hours: np.ndarray,
                   states: Collection[str] = OPEN) -> np.ndarray:
    """[hour, site]: local points in one of ``states`` at each hour (from ``point_state``)."""
    return np.isin(states_at(events, "point_state", sites, hours), list(states))


def functional_coordination_points(events: pd.DataFrame, sites: Sequence[str],
                                   hours: np.ndarray) -> np.ndarray:
    """[hour, site]: coordination points functioning at each hour (from ``cp_functional``)."""
    return state_at(events, "cp_functional", sites, hours, initial=0.0).to_numpy() == 1.0
