"""Parameters of the staff pools, call-up and shifts."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.params.reader import MAX_HOURS, Reader
from sim.params.timedist import TimeDist, read_time_dist


@dataclass(frozen=True)
class Helpers:
    """Spontaneous helpers at open points."""

    per_point_day: float = 0.0
    register_h: float = 0.25
    stay_h: float = 8.0
    per_staff: float = 2.0


@dataclass(frozen=True)
class StaffingParams:
    """Staff pools, call-up and shifts."""

    volunteer_availability_day: float
    volunteer_availability_night: float
    reservist_share: float
    min_staff_per_point: int
    #: People on duty per shift at a local point when the pool allows (>= the minimum).
    staff_per_point: int
    staff_per_coordination_point: int
    shift_hours: float
    professional_availability: float = 0.9
    day_start_hour: int = 7
    day_end_hour: int = 19
    reservists_leave_h: float = 24.0
    #: Fewest on duty for a coordination point to function (<= staff_per_coordination_point).
    min_staff_per_coordination_point: int = 4
    crew_share_for_coordination: float = 0.3
    municipal_staff_per_10k: float = 8.0
    red_cross_per_100k: float = 30.0
    self_mobilisation_h: float | None = None
    min_professionals_per_point: int = 1
    rest_hours: float = 8.0
    #: Longest continuous duty: a shift is extended up to this when no relief keeps the
    #: post at its minimum (a small pool works long shifts rather than leave it empty).
    max_duty_hours: float = 16.0
    #: Share of those not available at the call-up who come later, and after how long.
    later_share: float = 0.0
    later_after: TimeDist = TimeDist("fixed", hours=0.0)
    #: Chance per day that someone present drops out for good (own household, exhaustion).
    leave_per_day: float = 0.0
    spontaneous: Helpers = field(default_factory=Helpers)

    def availability(self, volunteer: bool, local_hour: float) -> float:
        """Chance that a person can come, by kind and local time of day."""
        if not volunteer:
            return self.professional_availability
        day = self.day_start_hour <= local_hour % 24 < self.day_end_hour
        return self.volunteer_availability_day if day else self.volunteer_availability_night


def read_staffing(c: Reader) -> StaffingParams:
    """The ``staffing`` group, with its cross-field rules (minimum <= target, day hours)."""
    k = "staffing"
    day_start = c.integer(f"{k}.day_start_hour", lo=0, hi=23)
    day_end = c.integer(f"{k}.day_end_hour", lo=1, hi=24)
    if day_end <= day_start:
        c.problems.add(f"{k}.day_end_hour", day_end,
                       f"must be later than day_start_hour ({day_start})")
    mobilise = c.get(f"{k}.self_mobilisation_h")
    staff_min = c.integer(f"{k}.min_staff_per_point", lo=1, hi=1000)
    pros = c.integer(f"{k}.min_professionals_per_point", lo=0, hi=1000)
    if pros > staff_min:
        c.problems.add(f"{k}.min_professionals_per_point", pros,
                       f"must not exceed min_staff_per_point ({staff_min})")
    cp_min = c.integer(f"{k}.min_staff_per_coordination_point", lo=1, hi=1000)
    cp_target = c.get(f"{k}.staff_per_coordination_point")
    if isinstance(cp_target, int) and not isinstance(cp_target, bool) and cp_target < cp_min:
        c.problems.add(f"{k}.staff_per_coordination_point", cp_target,
                       f"must be at least min_staff_per_coordination_point ({cp_min})")
    target = c.integer(f"{k}.staff_per_point", lo=1, hi=1000)
    if target < staff_min:
        c.problems.add(f"{k}.staff_per_point", target,
                       f"must be at least min_staff_per_point ({staff_min})")
    return StaffingParams(
        volunteer_availability_day=c.share(f"{k}.volunteer_availability_day"),
        volunteer_availability_night=c.share(f"{k}.volunteer_availability_night"),
        reservist_share=c.share(f"{k}.reservist_share"),
        min_staff_per_point=staff_min,
        staff_per_point=target,
        min_staff_per_coordination_point=cp_min,
        staff_per_coordination_point=c.integer(f"{k}.staff_per_coordination_point", lo=1,
                                               hi=1000),
        shift_hours=c.number(f"{k}.shift_hours", lo=0, hi=24, lo_open=True),
        professional_availability=c.share(f"{k}.professional_availability"),
        day_start_hour=day_start,
        day_end_hour=day_end,
        reservists_leave_h=c.number(f"{k}.reservists_leave_h", lo=0, hi=MAX_HOURS),
        crew_share_for_coordination=c.share(f"{k}.crew_share_for_coordination"),
        municipal_staff_per_10k=c.number(f"{k}.municipal_staff_per_10k", lo=0, hi=10_000),
        red_cross_per_100k=c.number(f"{k}.red_cross_per_100k", lo=0, hi=100_000),
        self_mobilisation_h=None if mobilise in (None, c.ABSENT)
        else c.number(f"{k}.self_mobilisation_h", lo=0, hi=MAX_HOURS),
        min_professionals_per_point=pros,
        rest_hours=c.number(f"{k}.rest_hours", lo=0, hi=48),
        max_duty_hours=c.number_or(f"{k}.max_duty_hours", 16.0, lo=0, hi=48),
        later_share=c.share(f"{k}.later.share"),
        later_after=read_time_dist(c, f"{k}.later.after"),
        leave_per_day=c.share(f"{k}.leave_per_day"),
        spontaneous=Helpers(
            per_point_day=c.number(f"{k}.spontaneous.per_point_day", lo=0, hi=10_000),
            register_h=c.number(f"{k}.spontaneous.register_h", lo=0, hi=8),
            stay_h=c.number(f"{k}.spontaneous.stay_h", lo=0, hi=48),
            per_staff=c.number(f"{k}.spontaneous.per_staff", lo=0, hi=100),
        ),
    )

