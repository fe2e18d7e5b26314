"""The schema of the ``aid`` group: help from outside the affected area (types only)."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING


@dataclass
class RegionsAidConfig:
    """What each safety region that is not dark spares."""

    generators_per_region: int = MISSING
    trucks_per_region: int = MISSING
    crews_per_region: int = MISSING
    mobilise_h: float = MISSING
    travel_h: float = MISSING


@dataclass
class DefenceAidConfig:
    """Defensie's generators and fuel trucks."""

    generators: int = MISSING
    trucks: int = MISSING
    mobilise_h: float = MISSING
    available_share: float = MISSING
    #: CBS code of the municipality of the base (travel over the network when modelled).
    base: str = MISSING
    travel_h: float = MISSING


@dataclass
class MarketAidConfig:
    """Contracted rental generators and fuel suppliers."""

    generators: int = MISSING
    trucks: int = MISSING
    mobilise_h: float = MISSING
    shrink: float = MISSING
    travel_h: float = MISSING


@dataclass
class RedCrossAidConfig:
    """The Red Cross's relief teams from outside the affected area."""

    teams: int = MISSING
    mobilise_h: float = MISSING
    travel_h: float = MISSING


@dataclass
class GridOperatorAidConfig:
    """The grid operators' own generators on transformer houses (not through the LOCC)."""

    generators: int = MISSING
    households_per_generator: float = MISSING
    mobilise_h: float = MISSING
    placed_per_h: float = MISSING
    travel_h: float = MISSING
    shrink: float = MISSING


@dataclass
class AidSourcesConfig:
    """The pools outside the affected area."""

    regions: RegionsAidConfig = field(default_factory=RegionsAidConfig)
    defence: DefenceAidConfig = field(default_factory=DefenceAidConfig)
    market: MarketAidConfig = field(default_factory=MarketAidConfig)
    red_cross: RedCrossAidConfig = field(default_factory=RedCrossAidConfig)
    grid_operator: GridOperatorAidConfig = field(default_factory=GridOperatorAidConfig)


@dataclass
class AidConfig:
    """Help from outside: the request path to the LOCC and the pools it allocates."""

    enabled: bool = MISSING
    ask_after_h: float = MISSING
    fuel_wait_h: float = MISSING
    fuel_requests_per_truck: int = MISSING
    channel_h: float = MISSING
    round_h: float = MISSING
    crew_size: int = MISSING
    priority: list[str] = MISSING
    sources: AidSourcesConfig = field(default_factory=AidSourcesConfig)
