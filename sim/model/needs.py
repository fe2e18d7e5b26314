"""Residents' needs per municipality from the state of the grid and the services (pure).

``need_rates`` gives the visits per resident per hour for each need, given which
services work in each municipality and since when each failed; ``powered_mix``
blends in the residents the grid operator re-powered on transformer houses
(``sim.model.grid_operator``): a share s of a dark municipality has the needs
of a lit home (power, and so a running boiler) and keeps the network's state
(mobile masts, the fixed network, water pressure):
``s x rates(powered) + (1 - s) x rates(dark)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sim.params.population import NEEDS, PopulationParams

K = {name: i for i, name in enumerate(NEEDS)}
#: The grid and the services whose state sets the needs, in the order of ``up``'s columns.
SERVICES = ("grid", "mobile", "fixed_network", "water_pressure", "heating")
#: Columns a home on a transformer-house generator has back: its power, its heating.
HOME_POWERED = (SERVICES.index("grid"), SERVICES.index("heating"))


def need_rates(up: np.ndarray, t: float, first_down: Mapping[str, np.ndarray],
               pp: PopulationParams, per_h: np.ndarray) -> np.ndarray:
    """Visits per resident per hour, [municipality, need], at ``t``.

    ``up``: [municipality, service] states in the order of ``SERVICES``;
    ``first_down``: per service, when it first failed per municipality (inf: never);
    ``per_h``: the visits per resident in need per hour, per need.
    """
    off = ~up[:, 0]
    since_off = t - first_down["grid"]
    r = np.zeros((len(up), len(NEEDS)))
    need = pp.needs
    info = np.where(up[:, 1], 1.0, pp.information_no_phone_factor)
    r[:, K["information"]] = off * info * (since_off >= need["information"].after_h)
    since_water = t - first_down["water_pressure"]
    water_share = np.where(since_water >= pp.kit_h, 1.0, 1.0 - pp.water_stock_share)
    r[:, K["water"]] = ~up[:, 3] * water_share * (since_water >= need["water"].after_h)
    food_after = need["food"].after_h
    food_share = ((1 - pp.emergency_kit_share) * (since_off >= pp.own_food_h + food_after)
                  + pp.emergency_kit_share * (since_off >= pp.kit_h + food_after))
    r[:, K["food"]] = off * food_share
    if pp.winter:
        since_heat = t - first_down["heating"]
        r[:, K["warmth"]] = ~up[:, 4] * (since_heat >= need["warmth"].after_h)
    r[:, K["charging"]] = off * (since_off >= need["charging"].after_h)
    r[:, K["first_aid"]] = off * (since_off >= need["first_aid"].after_h)
    no_phone = ~up[:, 1] & ~up[:, 2]
    r[:, K["emergency"]] = no_phone * (since_off >= need["emergency"].after_h)
    return r * per_h[None, :]


def powered_mix(up: np.ndarray, t: float, first_down: Mapping[str, np.ndarray],
                pp: PopulationParams, per_h: np.ndarray, share: np.ndarray) -> np.ndarray:
    """:func:`need_rates` with ``share`` of each dark municipality's residents re-powered.

    Where no resident is re-powered the result is exactly ``need_rates``'s.
    """
    dark = need_rates(up, t, first_down, pp, per_h)
    share = np.where(up[:, 0], 0.0, share)
    if not share.any():
        return dark
    home = up.copy()
    home[:, HOME_POWERED] = True
    lit = need_rates(home, t, first_down, pp, per_h)
    return np.where(share[:, None] > 0, share[:, None] * lit + (1 - share[:, None]) * dark,
                    dark)
