"""The validated parameters of a run (``Params``) and the region they run on (``Scenario``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.geo.load import GeodataSpec, RegionData
from sim.geo.network import NetworkParams
from sim.params.aid import AidParams
from sim.params.cascade import CascadeParams
from sim.params.comms import CommsParams
from sim.params.fuel import FuelParams
from sim.params.outage import OutageParams
from sim.params.population import PopulationParams
from sim.params.power import PowerParams
from sim.params.staffing import StaffingParams
from sim.params.stations import StationParams
from sim.params.support_points import SupportPointParams
from sim.streams import Streams


@dataclass(frozen=True)
class Params:
    """Every model parameter, validated and immutable."""

    name: str
    seed: int
    horizon_h: float
    results_dir: Path
    geodata: GeodataSpec
    network: NetworkParams
    outage: OutageParams
    stations: StationParams
    support_points: SupportPointParams
    staffing: StaffingParams
    population: PopulationParams
    cascade: CascadeParams
    power: PowerParams
    fuel: FuelParams
    comms: CommsParams
    aid: AidParams

    @property
    def streams(self) -> Streams:
        """The run's named random streams."""
        return Streams(self.seed)


@dataclass(frozen=True)
class Scenario:
    """Validated parameters and the region they run on."""

    params: Params
    region: RegionData

    def affected_codes(self) -> tuple[str, ...]:
        """CBS codes of the municipalities that lose power."""
        codes = affected(self.params, self.region)
        return tuple(c for c in self.region.municipalities["code"] if c in codes)


def affected(params: Params, region: RegionData) -> set[str]:
    """CBS codes of the municipalities that lose power, unordered."""
    o = params.outage
    m = region.municipalities
    if not o.affected_regions and not o.affected_municipalities:
        return set(m["code"])
    return set(m.loc[m["region"].isin(o.affected_regions)
                     | m["code"].isin(o.affected_municipalities), "code"])
