"""The five geodata layers the model runs on, with their required and optional columns.

Every layer, embedded or supplied by the user, is checked against these
schemas after its columns are renamed by the user's mapping. Optional columns
are filled with their default when absent; derived columns (the municipality
and safety region of a point) are filled by a spatial join.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: The Dutch national grid (Amersfoort / RD New); every layer is held in it.
RD_NEW = "EPSG:28992"
#: Bounds of EPSG:28992 coordinates over the Netherlands (its area of use, in metres, rounded out).
RD_NEW_BOUNDS = (-8_000.0, 289_000.0, 300_000.0, 630_000.0)

ColumnType = Literal["str", "int", "float", "bool"]
GeometryKind = Literal["polygon", "point"]


@dataclass(frozen=True)
class LayerSchema:
    """What a layer must hold after its columns are mapped."""

    name: str
    geometry: GeometryKind
    id_column: str
    required: dict[str, ColumnType]
    optional: dict[str, tuple[ColumnType, object]] = field(default_factory=dict)
    #: Columns filled from the municipality a point falls in when absent.
    derived: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        """All columns of the validated layer, in order (geometry last)."""
        return [*self.required, *self.derived, *self.optional]


MUNICIPALITIES = LayerSchema(
    name="municipalities",
    geometry="polygon",
    id_column="code",
    required={
        "code": "str",
        "name": "str",
        "region": "str",
        "population": "int",
        "population_year": "int",
    },
)

REGIONS = LayerSchema(
    name="regions",
    geometry="polygon",
    id_column="name",
    required={"name": "str"},
    optional={"code": ("str", ""), "full_name": ("str", "")},
)

DEMAND_POINTS = LayerSchema(
    name="demand_points",
    geometry="point",
    id_column="id",
    required={"id": "str", "name": "str", "residents": "int"},
    optional={"kind": ("str", "centre")},
    derived=("municipality", "region"),
)

FIRE_STATIONS = LayerSchema(
    name="fire_stations",
    geometry="point",
    id_column="id",
    required={"id": "str", "name": "str", "has_backup_power": "bool"},
    optional={
        "generator_kva": ("float", 0.0),
        "tank_l": ("float", 0.0),
        "crew_volunteer": ("int", 0),
        "crew_professional": ("int", 0),
        "is_coordination_point": ("bool", False),
    },
    derived=("municipality", "region"),
)

SUPPORT_POINT_CANDIDATES = LayerSchema(
    name="support_point_candidates",
    geometry="point",
    id_column="id",
    required={"id": "str", "name": "str", "type": "str", "capacity": "int"},
    optional={
        "has_backup_power": ("bool", False),
        "generator_kva": ("float", 0.0),
        "tank_l": ("float", 0.0),
    },
    derived=("municipality", "region"),
)

SCHEMAS: dict[str, LayerSchema] = {
    s.name: s
    for s in (MUNICIPALITIES, DEMAND_POINTS, FIRE_STATIONS, SUPPORT_POINT_CANDIDATES, REGIONS)
}
LAYER_NAMES: tuple[str, ...] = tuple(SCHEMAS)

#: Kinds of candidate support point site, with their Dutch label.
SUPPORT_POINT_TYPES: dict[str, str] = {
    "community_centre": "Buurthuis",
    "village_hall": "Dorpshuis",
    "place_of_worship": "Kerk/moskee",
    "sports_hall": "Sporthal",
    "school": "School",
}

#: The point layers, joined to the municipality they lie in.
POINT_LAYERS: tuple[LayerSchema, ...] = (DEMAND_POINTS, FIRE_STATIONS, SUPPORT_POINT_CANDIDATES)
