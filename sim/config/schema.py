"""The schema of the whole run configuration, as Hydra's ConfigStore registers it.

The schemas give types only: parameter values (``MISSING`` here) live in one
place, the YAML files of ``configs/``, each with its source. An unknown key or
a value of the wrong type fails when Hydra composes the config; ranges and
cross-field rules are checked by :func:`sim.params.validate.prepare`. This
package imports no Hydra: ``sim.cli.main`` registers the schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING

from sim.config.aid import AidConfig
from sim.config.groups import (
    CascadeConfig,
    CommsConfig,
    FuelConfig,
    OutageConfig,
    PowerConfig,
    RegionConfig,
    StaffingConfig,
    StationsConfig,
    SupportPointsConfig,
)
from sim.config.outputs import InjectsConfig, ResearchConfig, TablesConfig
from sim.config.population import PopulationConfig


@dataclass
class Config:
    """The whole run configuration."""

    #: Scenario name; names the run folder.
    name: str = MISSING
    seed: int = MISSING
    #: Simulated hours from the start of the outage.
    horizon_h: float = MISSING
    #: Where runs and sweeps are written.
    results_dir: str = MISSING
    region: RegionConfig = field(default_factory=RegionConfig)
    outage: OutageConfig = field(default_factory=OutageConfig)
    stations: StationsConfig = field(default_factory=StationsConfig)
    support_points: SupportPointsConfig = field(default_factory=SupportPointsConfig)
    staffing: StaffingConfig = field(default_factory=StaffingConfig)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    cascade: CascadeConfig = field(default_factory=CascadeConfig)
    power: PowerConfig = field(default_factory=PowerConfig)
    fuel: FuelConfig = field(default_factory=FuelConfig)
    comms: CommsConfig = field(default_factory=CommsConfig)
    aid: AidConfig = field(default_factory=AidConfig)
    injects: InjectsConfig = field(default_factory=InjectsConfig)
    research: ResearchConfig = field(default_factory=ResearchConfig)
    tables: TablesConfig = field(default_factory=TablesConfig)
