"""What an MSEL is made of: teams in play, the designer's settings and the injects.

Teams (the tracks) are operational (the meldkamer, which dispatches; a CoPI; a
coordination point at a fire station, ``cp``; a local emergency support point,
``nsp``, noodsteunpunt; a municipality's bevolkingszorg, its population-care
team) or policy teams (the GBT, the municipal policy team under the mayor; the
ROT, the regional operational team of a safety region; the RBT, the regional
policy team of its mayors). Single events go to operational teams; policy
teams steer on pictures and decide at their level (``sim.injects.texts.ROUTES``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sim.injects.clock import ExerciseClock

#: Kinds of injects, most important first (the density limit keeps these first).
KIND_ORDER = ("points_status", "grid_out", "grid_forecast", "grid_restored",
              "station_no_power", "mutual_aid", "locc_answer", "mayor_call", "public_order",
              "care_clients_region", "care_clients", "key_holder_late", "media_no_point",
              "emergency_report", "vulnerable_reported", "cp_not_functional", "supplies_out",
              "generator_dry", "point_opened", "c2000_down", "mobile_down",
              "water_pressure_down", "generator_start_failed", "generator_failed", "fuel_low")
#: Injects about a whole safety region (their place is the region, not a site).
REGION_KINDS = ("points_status", "mutual_aid", "locc_answer")
#: Injects that frame the play, not drawn from single events (always kept).
FRAME_KINDS = ("startex", "situation", "endex")
#: Teams that can be in play: kind and what names it (region, municipality, site, nothing).
TEAM_KINDS = {"meldkamer": "", "copi": "", "rot": "region", "rbt": "region",
              "gbt": "municipality", "bevolkingszorg": "municipality",
              "cp": "site", "nsp": "site"}
#: The role of the site that a site team (``cp:``, ``nsp:``) is for.
SITE_ROLES = {"cp": "coordination_point", "nsp": "support_point"}
#: Policy teams: they get pictures and decisions, never single emergencies.
POLICY_TEAMS = ("gbt", "rot", "rbt")
#: Where a single event goes when the operational team it is meant for is not in play.
FALLBACK = {"nsp": ("bevolkingszorg",)}
TEAM_LABEL = {"nl": {"meldkamer": "Meldkamer", "copi": "CoPI", "rot": "ROT", "rbt": "RBT",
                     "gbt": "GBT", "bevolkingszorg": "Bevolkingszorg", "cp": "Coördinatiepunt",
                     "nsp": "Noodsteunpunt"},
              "en": {"meldkamer": "Meldkamer (dispatch)", "copi": "CoPI", "rot": "ROT",
                     "rbt": "RBT", "gbt": "GBT", "bevolkingszorg": "Bevolkingszorg",
                     "cp": "Coordination point", "nsp": "Support point"}}
METHODS = {"nl": {"phone": "telefoon", "lcms": "LCMS", "c2000": "C2000", "dares": "DARES-radio",
                  "runner": "koerier", "in_person": "in persoon", "email": "e-mail"},
           "en": {"phone": "telephone", "lcms": "LCMS", "c2000": "C2000",
                  "dares": "DARES radio", "runner": "runner", "in_person": "in person",
                  "email": "e-mail"}}


@dataclass(frozen=True)
class Team:
    """A team in play: its kind and what it is for (region, municipality or site id)."""

    kind: str
    target: str = ""

    @property
    def key(self) -> str:
        """``kind:target`` as in the settings."""
        return f"{self.kind}:{self.target}" if self.target else self.kind


@dataclass(frozen=True)
class Settings:
    """What the exercise designer chooses (``configs/injects``)."""

    teams: tuple[Team, ...]
    clock: ExerciseClock
    regions: tuple[str, ...] = ()
    municipalities: tuple[str, ...] = ()
    kinds: tuple[str, ...] = KIND_ORDER
    #: Injects per team per exercise hour: at least (filled with pictures), at most.
    min_per_team_hour: int = 1
    max_per_team_hour: int = 6
    #: No team goes longer than this without an inject while the run has events for it.
    max_silence_min: float = 45.0
    #: Similar events for a team within this many minutes of play become one inject.
    merge_min: float = 20.0
    #: At least this many minutes between two injects for the same team.
    spacing_min: float = 5.0
    contingency: bool = True
    contingency_after_min: float = 30.0
    language: str = "nl"
    #: (scenario hour, GRIP level) in force from then on.
    grip: tuple[tuple[float, int], ...] = ((0.0, 1),)
    title: str = "Oefening langdurige stroomuitval"


@dataclass(frozen=True)
class Inject:
    """One inject of the MSEL."""

    id: str
    scenario_h: float
    scenario_time: str
    simulated_at: datetime
    deliver_at: datetime
    track: str
    sender: str
    sender_kind: str  # simulated | player
    to: str
    method: str
    subject: str
    message: str
    expected_action: str
    objective: str
    grip_level: int
    notes: str
    contingency: bool
    status: str
    sources: tuple[str, ...]
    kind: str = field(default="", compare=False)
    team: str = field(default="", compare=False)
    #: The place it is about (a site or municipality name), for merged lists.
    place: str = field(default="", compare=False)
    #: The municipality it is about, by name (to group long merged lists).
    town: str = field(default="", compare=False)
    #: How many of what it reports (emergency reports: the number of reports).
    count: int = field(default=1, compare=False)


def grip_at(settings: Settings, t: float) -> int:
    """The GRIP level in force at scenario hour ``t``."""
    level = settings.grip[0][1] if settings.grip else 1
    for at, lv in settings.grip:
        if at <= t:
            level = lv
    return level
