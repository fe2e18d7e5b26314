"""The grid operator's own generators on transformer houses (the Haaksbergen 2005 pattern).

Before the grid is repaired, a grid operator (netbeheerder) can re-power parts of
a municipality by placing mobile generators on its transformer houses: in
Haaksbergen 2005 more than 100 of them carried the about 15,000 residents still
dark after the first day. The grid operator decides this itself, not through the
ROT or the LOCC, and its units are its own (``aid.sources.grid_operator``).

Capacity: ``generators`` units in a regional outage; fewer as more of the
country is dark (the hired units are claimed elsewhere), ``available = generators
x (1 - shrink x dark share of the Dutch population)``, and what is left is spread
over every dark region by the rule below: thin in a national black-out.

Timing: the first units leave ``mobilise_h`` after the outage began, then
``placed_per_h`` units an hour (the crews that bring and connect them); each
reaches its transformer house ``travel_h`` after it leaves.

The priority rule, applied to each unit as it leaves (and again when it comes
free), among the dark municipalities whose grid will still be off when it gets
there and that still have households without a unit:

1. the safety region that has received fewest units so far (regions in turn);
2. within it, the municipality whose grid comes back last (the grid operator
   knows its own repair plan: there a unit gives most hours);
3. then the one with most residents not yet re-powered; then the CBS code.

A municipality takes units until all its households are covered: each unit powers
``households_per_generator`` households of ``population.household_size`` people,
so the **powered share** of its residents is ``min(1, units x households x size /
residents)``. A unit stays until the grid is back there for good (under rotating
supply it keeps its street powered between turns), then drives (``travel_h``) to
the next municipality by the same rule. Stations and support points keep their
own power; the share changes the residents' needs (``sim.model.residents``), and
re-powered residents count as having power, not as residents without power who
need a point in reach (``Flows.repowered``, ``sim.results.indicators.without_power``);
a vulnerable resident's danger ends once their street is re-powered
(``sim.model.vulnerable``, outcome ``repowered``).

Everything is decided up front from the grid schedule (itself decided up front):
:func:`plan_placements` is pure, and the SimPy process only writes the events,
``aid_arrived`` and ``aid_released`` with resource ``transformer_generator`` and
source ``grid_operator`` (detail ``request:resource:region:source:unit``; the
value is the hour since the outage began, and for a release the hours the unit
stood there), and ``repowered`` when a municipality's re-powered residents change.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.params.aid import GridOperatorParams

if TYPE_CHECKING:
    import simpy

    from sim.model.engine import Model
    from sim.model.records import Recorder

TRANSFORMER = "transformer_generator"
SOURCE = "grid_operator"
#: The prefix of the grid operator's unit ids and of its placements' ids.
UNIT_PREFIX, PLACEMENT_PREFIX = "NB-", "N"


@dataclass(frozen=True)
class Placement:
    """One unit on the transformer houses of one municipality, from arrival to release."""

    id: str
    unit: str
    municipality: str
    region: str
    arrived: float
    #: When the grid came back there for good (the unit leaves).
    released: float


@dataclass(frozen=True)
class TransformerPlan:
    """Every placement, and the powered share of each municipality's residents over time."""

    codes: tuple[str, ...]
    placements: tuple[Placement, ...]
    #: Residents one unit re-powers.
    residents_per_unit: float
    #: Change times (-inf first) and, from each, the powered share per municipality.
    times: np.ndarray
    shares: np.ndarray

    def share_at(self, t: float) -> np.ndarray:
        """The powered share of each municipality's residents (in ``codes`` order) at ``t``."""
        i = int(np.searchsorted(self.times, t, side="right")) - 1
        return self.shares[max(i, 0)]


def units_needed(residents: float, residents_per_unit: float) -> int:
    """Units that power all of a municipality's households."""
    return math.ceil(residents / residents_per_unit - 1e-9) if residents > 0 else 0


def plan_placements(
    codes: Sequence[str], region_of: Mapping[str, str], residents: Mapping[str, float],
    restored_at: Mapping[str, float], p: GridOperatorParams, available: int,
    household_size: float, horizon_h: float,
) -> TransformerPlan:
    """Place ``available`` units by the priority rule (see the module's docstring).

    ``restored_at``: the dark municipalities and when their grid is back for good.
    """
    per_unit = p.households_per_generator * household_size
    need = {c: units_needed(residents[c], per_unit) for c in restored_at}
    assigned: dict[str, int] = defaultdict(int)
    given: dict[str, int] = defaultdict(int)
    # (free at, unit number): the unit leaves its depot or the municipality it powered.
    free = [(p.mobilise_h + k / p.placed_per_h, k) for k in range(available)]
    heapq.heapify(free)
    placements: list[Placement] = []
    while free:
        t, k = heapq.heappop(free)
        at = t + p.travel_h
        if at >= horizon_h:
            break
        open_ = [c for c in restored_at if restored_at[c] > at + 1e-9 and assigned[c] < need[c]]
        if not open_:
            continue  # nothing dark left to serve (none becomes dark later)
        region = min({region_of[c] for c in open_}, key=lambda r: (given[r], r))
        code = min((c for c in open_ if region_of[c] == region),
                   key=lambda c: (-restored_at[c], -(residents[c] - assigned[c] * per_unit), c))
        assigned[code] += 1
        given[region] += 1
        placements.append(Placement(f"{PLACEMENT_PREFIX}{len(placements) + 1:04d}",
                                    f"{UNIT_PREFIX}{k + 1}", code, region, at,
                                    restored_at[code]))
        heapq.heappush(free, (restored_at[code], k))
    return TransformerPlan(tuple(codes), tuple(placements), per_unit,
                           *_share_table(codes, residents, placements, per_unit))


def _share_table(codes: Sequence[str], residents: Mapping[str, float],
                 placements: Sequence[Placement],
                 per_unit: float) -> tuple[np.ndarray, np.ndarray]:
    index = {c: i for i, c in enumerate(codes)}
    times = np.unique(np.array([-np.inf, *(x for pl in placements
                                           for x in (pl.arrived, pl.released))]))
    units = np.zeros((len(times), len(codes)))
    for pl in placements:
        on = (times >= pl.arrived) & (times < pl.released)
        units[on, index[pl.municipality]] += 1
    people = np.array([residents[c] for c in codes], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(people > 0, np.minimum(1.0, units * per_unit / people), 0.0)
    return times, shares


def none_placed(codes: Sequence[str]) -> TransformerPlan:
    """A plan without units (help from outside off, or no grid-operator generators)."""
    return TransformerPlan(tuple(codes), (), 0.0, np.array([-np.inf]),
                           np.zeros((1, len(codes))))


def transformer_plan(model: Model) -> TransformerPlan:
    """The run's plan; its events are written by a process when any unit is placed."""
    m = model.region.municipalities
    codes = [str(c) for c in m["code"]]
    aid = model.params.aid
    available = aid.grid_operator.available(model.aid.dark_share()) if aid.enabled else 0
    if not available:
        return none_placed(codes)
    plan = plan_placements(
        codes, dict(zip(codes, m["region"].astype(str), strict=True)),
        dict(zip(codes, m["population"].astype(float), strict=True)),
        {str(c): t for c, t in model.grid.restored_at.items()}, aid.grid_operator,
        available, model.params.population.household_size, model.params.horizon_h)
    if plan.placements:
        model.env.process(record_plan(model.env, model.rec, plan,
                                      dict(zip(codes, m["population"].astype(float),
                                               strict=True))))
    return plan


def plan_events(plan: TransformerPlan,
                residents: Mapping[str, float]) -> list[tuple[float, int, str, str, float, str]]:
    """(time, order, kind, municipality, value, detail) of every event, in time order."""
    out: list[tuple[float, int, str, str, float, str]] = []
    units: dict[str, int] = defaultdict(int)
    changes: list[tuple[float, int, Placement]] = []
    for pl in plan.placements:
        detail = f"{pl.id}:{TRANSFORMER}:{pl.region}:{SOURCE}:{pl.unit}"
        out.append((pl.released, 0, "aid_released", pl.municipality,
                    pl.released - pl.arrived, detail))
        out.append((pl.arrived, 1, "aid_arrived", pl.municipality, pl.arrived, detail))
        changes += [(pl.released, -1, pl), (pl.arrived, 1, pl)]
    for t, step, pl in sorted(changes, key=lambda c: (c[0], c[1], c[2].id)):
        units[pl.municipality] += step
        people = min(residents[pl.municipality], units[pl.municipality] * plan.residents_per_unit)
        out.append((t, 2, "repowered", pl.municipality, people, pl.region))
    return sorted(out, key=lambda e: (e[0], e[1]))


def record_plan(env: simpy.Environment, rec: Recorder, plan: TransformerPlan,
                residents: Mapping[str, float]) -> Generator[simpy.Event, None, None]:
    """Write the plan's events at their times (up to the horizon)."""
    for t, _, kind, code, value, detail in plan_events(plan, residents):
        if t > env.now:
            yield env.timeout(t - env.now)
        rec.add(env.now, kind, code, "", value=value, detail=detail)
