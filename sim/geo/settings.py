"""Settings and sources of the geodata build: per-region figures, layer notes, the table.

Every number the synthetic build (``sim.geo.synthetic``) uses is in
:class:`BuildSettings`, with its source; the per-region figures default to
``geodata/source/safety_regions.csv``, which names a source for each.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from sim.mathutil import apportion
from sim.paths import EMBEDDED_GEOPACKAGE, EMBEDDED_REGION_TABLE, EMBEDDED_SOURCE_TABLE

#: Description stored with each layer of the embedded GeoPackage.
LAYER_METADATA = {
    "municipalities": (
        "REAL boundaries: CBS/PDOK municipalities 2025 (generalised, via cartomap/nl), "
        "simplified as one coverage; CBS open data (CC BY 4.0), attribution: CBS, Kadaster. "
        "Populations of 1 January 2025 (CBS Kerncijfers wijken en buurten 2025)."
    ),
    "demand_points": "SYNTHETIC population centres; residents sum exactly to the CBS population.",
    "fire_stations": (
        "SYNTHETIC locations; counts per safety region, backup-power shares and crews follow "
        "geodata/source/safety_regions.csv (sources per region) and sim/geo/synthetic.py."
    ),
    "support_point_candidates": "SYNTHETIC candidate sites, about 1 per 5,000 residents.",
    "regions": "Safety regions (VR01-VR25), dissolved from the real municipal boundaries.",
}
#: The layers whose features the build places itself (not real locations).
SYNTHETIC_LAYERS = ("demand_points", "fire_stations", "support_point_candidates")


def synthetic_layers(provenance: Mapping[str, str]) -> list[str]:
    """The point layers of a run placed by this build, from the run's layer provenance.

    Synthetic: read from the embedded GeoPackage, or synthesized inside a user's own
    municipalities. A user's own point file is real data.
    """
    return [name for name in SYNTHETIC_LAYERS
            if str(provenance.get(name, "")).startswith("synthesized")
            or from_embedded(str(provenance.get(name, "")))]


def from_embedded(source: str) -> bool:
    """Whether a layer's provenance ("path#layer") is the embedded GeoPackage."""
    path = source.split("#", 1)[0]
    return bool(path) and Path(path).name == EMBEDDED_GEOPACKAGE.name


K = TypeVar("K")
V = TypeVar("V")


def _frozen(d: Mapping[K, V]) -> Mapping[K, V]:
    return MappingProxyType(dict(d))


def _region_column(column: str) -> dict[str, Any]:
    """One column of ``geodata/source/safety_regions.csv`` by region name (blank: left out)."""
    table = _region_table()
    return {str(n): v for n, v in zip(table["name"], table[column], strict=True)
            if not pd.isna(v)}


@functools.cache
def _region_table() -> pd.DataFrame:
    return pd.read_csv(EMBEDDED_REGION_TABLE)


@dataclass(frozen=True)
class BuildSettings:
    """Every number the synthetic build uses, with its source.

    Per-region figures default to ``geodata/source/safety_regions.csv``, which names
    the source of each; see also ``reference/parameters.md``.
    """

    seed: int = 20250513  # the date of the noodsteunpunten note (seed 002); any fixed integer
    #: Fire stations per safety region where a count was found (21 of 25 regions).
    stations_per_region: Mapping[str, int] = field(default_factory=lambda: _frozen(
        {k: int(v) for k, v in _region_column("fire_stations").items()}))
    #: About 960 fire stations nationally: 962 (EenVandaag, March 2025; high). Regions
    #: without a count share what the others leave, by sqrt(population x area): ESTIMATE.
    stations_total: int = 962
    #: Share of stations with a fixed backup generator per region: Twente "more than
    #: half" (0.55), Brabant-Zuidoost 1 of 37, the others 0.15 so that the national share
    #: stays under 20 % (Trouw inventory of 19 of 25 regions via RD, 20 May 2025; high).
    backup_power_share: Mapping[str, float] = field(default_factory=lambda: _frozen(
        {k: float(v) for k, v in _region_column("backup_power_share").items()}))
    #: Operational firefighters per safety region, (professional, volunteer): CBS
    #: 71482ned, 1 Jan 2019 (the table's last year; high).
    crew_per_region: Mapping[str, tuple[int, int]] = field(default_factory=lambda: _frozen({
        k: (int(v), int(_region_column("crew_volunteer")[k]))
        for k, v in _region_column("crew_professional").items()}))
    #: Municipalities with a professional (24/7) corps: Amsterdam, Den Haag, Rotterdam,
    #: Groningen, Emmen, Apeldoorn, Ede, Almere, Lelystad, Eindhoven, 's-Hertogenbosch,
    #: Dordrecht (regional news and plans, 2015-2025; medium-high); Deventer and Zwolle
    #: (regional news; medium); Arnhem, Nijmegen, Enschede, Utrecht, Tilburg, Breda,
    #: Haarlem, Leiden, Zaanstad, Amersfoort, Zoetermeer, Maastricht, Heerlen, Leeuwarden
    #: and Alkmaar an ESTIMATE (the large cities; NIPV counts 106 professional stations
    #: nationally, end 2022). A region with professionals but none of these gets its most
    #: populous municipality as professional post (ESTIMATE).
    professional_posts: tuple[str, ...] = (
        "GM0363", "GM0518", "GM0599", "GM0014", "GM0114", "GM0200", "GM0228", "GM0034",
        "GM0995", "GM0772", "GM0796", "GM0505", "GM0150", "GM0193", "GM0202", "GM0268",
        "GM0153", "GM0344", "GM0855", "GM0758", "GM0392", "GM0546", "GM0479", "GM0307",
        "GM0637", "GM0935", "GM0917", "GM0080", "GM0361",
    )
    #: ESTIMATE: a professional municipality has one professional station per this many
    #: residents (at least one): Amsterdam 13 (11-12 plus a combined one, Dekkingsplan
    #: 2025-2028), Rotterdam 10, Den Haag 8 (13, AD 2023); about 90 nationally against
    #: NIPV's 106 (end 2022), the rest being day-staffed posts in smaller towns.
    residents_per_professional_station: int = 70_000
    #: ESTIMATE: most residents at one population centre; a larger town is split into
    #: districts (wijken) of about this size (CBS districts of the large cities hold
    #: 10,000-40,000 residents), so distances inside a city mean something.
    max_centre_residents: int = 25_000
    #: ESTIMATE: spacing of those districts on a hexagonal grid around the town centre
    #: (25,000 residents per 3.5 km2, about 7,000 per km2 as in the dense cities).
    district_spacing_m: float = 2_000.0
    #: ESTIMATE: one population centre besides the main town per this many km2.
    km2_per_village: float = 25.0
    max_centres: int = 12
    min_centre_spacing_m: float = 1_500.0
    #: Density rule of thumb: one support point per about 5,000 inhabitants
    #: (crisiskunde.nl, low-medium).
    residents_per_support_point: int = 5_000
    #: ESTIMATE: share of local candidate sites with their own generator (not found; low).
    support_point_backup_share: float = 0.05
    #: ESTIMATE: people a site can hold at once, by type.
    capacity_by_type: Mapping[str, int] = field(
        default_factory=lambda: _frozen(
            {
                "community_centre": 120,
                "village_hall": 80,
                "place_of_worship": 150,
                "sports_hall": 400,
                "school": 250,
            }
        )
    )
    #: Fuel tank in litres by generator size: about 8 h at full load (German fire-service
    #: generator sets: 100 kVA with a 200 L tank, medium) with the full-load use of
    #: ``parameters.md`` (25 kVA 6 L/h, 50 kVA 12 L/h, 100 kVA 24 L/h).
    tank_l_by_kva: Mapping[int, float] = field(
        default_factory=lambda: _frozen({25: 50.0, 50: 100.0, 100: 200.0})
    )

    def __post_init__(self) -> None:
        for region, share in self.backup_power_share.items():
            if not 0.0 <= share <= 1.0:
                raise ValueError(
                    f"backup_power_share[{region!r}] = {share}: must be between 0 and 1"
                )
        for region, n in self.stations_per_region.items():
            if n < 1:
                raise ValueError(f"stations_per_region[{region!r}] = {n}: must be >= 1")


def read_source_table(path: Path) -> pd.DataFrame:
    """Read the committed municipality table and check it."""
    table = pd.read_csv(path, dtype={"cbs_code": str})
    # The national table names the safety region's code and name as safety_region(_name).
    table = table.rename(columns={"safety_region": "region_code",
                                  "safety_region_name": "region_name"})
    needed = {
        "region", "region_code", "region_name", "province", "municipality", "cbs_code",
        "population", "population_year", "lat", "lon", "area_km2",
    }
    missing = needed - set(table.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    if table["cbs_code"].duplicated().any():
        raise ValueError(f"{path}: duplicate cbs_code values")
    return table.sort_values(["region", "cbs_code"], kind="stable").reset_index(drop=True)


def stations_per_region(table: pd.DataFrame, s: BuildSettings) -> dict[str, int]:
    """Fire stations per safety region of ``table``.

    The sourced counts; for the regions without one (ESTIMATE) what the national
    total leaves, shared by sqrt(population x area) over all such regions of the
    national table (so a selection does not change it).
    """
    per_region = _national_regions()
    known = {r: int(n) for r, n in s.stations_per_region.items()}
    unknown = [str(r) for r in per_region.index if r not in known]
    out: dict[str, int] = dict(known)
    if unknown:
        left = max(s.stations_total - sum(n for r, n in known.items()
                                          if r in per_region.index), len(unknown))
        weights = np.sqrt(per_region.loc[unknown, "pop"].to_numpy(float)
                          * per_region.loc[unknown, "area"].to_numpy(float))
        out.update({r: int(n) for r, n in zip(unknown, apportion(left, weights), strict=True)})
    missing = sorted(set(table["region"].astype(str)) - set(out))
    if missing:  # a user's own region outside the national table
        raise ValueError(f"BuildSettings.stations_per_region has no value for regions {missing}")
    return {str(r): out[str(r)] for r in sorted(table["region"].unique())}


# --- population centres ------------------------------------------------------------------


@functools.cache
def _national_regions() -> pd.DataFrame:
    """Population and area per safety region of the national table (read once)."""
    national = pd.read_csv(EMBEDDED_SOURCE_TABLE, usecols=["region", "population", "area_km2"])
    return national.groupby("region").agg(pop=("population", "sum"), area=("area_km2", "sum"))


#: Other official spellings of safety-region names (Rijksoverheid's list and the
#: funding table of seed 002 write Zuid-Limburg; CBS writes Limburg-Zuid).
REGION_ALIASES: dict[str, tuple[str, ...]] = {"Limburg-Zuid": ("Zuid-Limburg",)}


def region_key(text: object) -> str:
    """How a region name is looked up: trimmed, case-folded, without accents (Fryslan)."""
    decomposed = unicodedata.normalize("NFKD", str(text).strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@functools.cache
def national_region_names() -> dict[str, str]:
    """Every name of the 25 Dutch safety regions, case-folded, to its short name.

    Codes and short names from ``safety_regions.csv``, full names from the municipal
    table (the CBS names of the safety-region file).
    """
    out = {}
    regions = _region_table()
    for code, name in zip(regions["code"], regions["name"], strict=True):
        out[region_key(code)] = out[region_key(name)] = str(name)
    table = pd.read_csv(EMBEDDED_SOURCE_TABLE, usecols=["region", "safety_region_name"])
    for full, name in zip(table["safety_region_name"], table["region"], strict=True):
        out[region_key(full)] = str(name)
        for alias in REGION_ALIASES.get(str(full), ()):
            out[region_key(alias)] = str(name)
    return out
