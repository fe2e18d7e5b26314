"""Parameters of the local support points and their activation chain."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.params.reader import MAX_HOURS, Reader
from sim.params.timedist import TimeDist, read_time_dist

POLICIES = ("all", "phased", "priority")
TRIGGERS = ("automatic", "order")


@dataclass(frozen=True)
class Phase:
    """An activation phase."""

    share: float
    at_h: float


@dataclass(frozen=True)
class SupportPointParams:
    """Local support points and their activation chain."""

    operational_deadline_h: float
    policy: str = "all"
    phases: tuple[Phase, ...] = ()
    #: priority policy: site types or ids, most wanted first; unlisted sites stay closed.
    priority: tuple[str, ...] = ()
    #: priority policy: at most this many points per municipality (None: all listed).
    per_municipality: int | None = None
    #: priority policy: hours between the activation of successive points of a municipality.
    step_h: float = 0.0
    trigger: str = "order"
    auto_trigger_h: float = 0.5
    decision: TimeDist = TimeDist("fixed", hours=6.0)
    key_holder: TimeDist = TimeDist("fixed", hours=0.5)
    setup: TimeDist = TimeDist("fixed", hours=2.0)
    supplies_loading_h: float = 1.0
    nafase_h: float = 24.0
    backup_power: str = "data"
    generator_kva: float = 25.0
    #: Hours at full load the tank of a site that gains a generator holds, and its litres
    #: (derived from the power settings' consumption; ``sim.params.validate``).
    autonomy_h: float = 8.0
    tank_l: float = 0.0
    #: Candidate site ids that gain a generator on top of the backup_power setting.
    add_generators: tuple[str, ...] = ()
    supplies: Supplies = field(default_factory=lambda: Supplies())


@dataclass(frozen=True)
class Supplies:
    """Goods at local points and the regional stock behind them."""

    water_l: float = 6000.0
    food_rations: float = 2000.0
    blankets: float = 200.0
    reorder_share: float = 0.5
    regional_water_l_per_1000: float = 3000.0
    regional_food_rations_per_1000: float = 1000.0
    regional_blankets_per_1000: float = 50.0
    close_when_out: bool = True


def read_support_points(c: Reader) -> SupportPointParams:
    """The ``support_points`` group: activation policy and trigger, chain times, supplies."""
    k = "support_points"
    policy = c.choice(f"{k}.activation.policy", POLICIES)
    phases: list[Phase] = []
    raw = c.get(f"{k}.activation.phases")
    if isinstance(raw, list | tuple):
        for i, _ in enumerate(raw):
            key = f"{k}.activation.phases.{i}"
            phases.append(Phase(share=c.number(f"{key}.share", lo=0, hi=1, lo_open=True),
                                at_h=c.number(f"{key}.at_h", lo=0, hi=MAX_HOURS)))
    if policy == "phased":
        total = sum(p.share for p in phases)
        if not phases or abs(total - 1.0) > 1e-6:
            c.problems.add(f"{k}.activation.phases", [(p.share, p.at_h) for p in phases],
                           "a phased policy needs phases whose shares add up to 1")
    elif phases:
        c.problems.add(f"{k}.activation.phases", len(phases),
                       "phases are only used by the phased policy; set phases: []")
    priority = c.get(f"{k}.activation.priority")
    priority = tuple(str(x) for x in priority) if isinstance(priority, list | tuple) else ()
    if policy == "priority" and not priority:
        c.problems.add(f"{k}.activation.priority", list(priority),
                       "the priority policy needs a list of site types or site ids, e.g. "
                       "[community_centre, sports_hall]")
    per_m = c.get(f"{k}.activation.per_municipality")
    per_municipality = None if per_m in (None, c.ABSENT) else c.integer(
        f"{k}.activation.per_municipality", lo=1, hi=10_000)
    step = c.get(f"{k}.activation.step_h")
    step_h = 0.0 if step in (None, c.ABSENT) else c.number(f"{k}.activation.step_h", lo=0,
                                                            hi=MAX_HOURS)
    return SupportPointParams(
        priority=priority,
        per_municipality=per_municipality,
        step_h=step_h,
        operational_deadline_h=c.number(f"{k}.operational_deadline_h", lo=0, hi=MAX_HOURS,
                                        lo_open=True),
        policy=policy,
        phases=tuple(phases),
        trigger=c.choice(f"{k}.activation.trigger", TRIGGERS),
        auto_trigger_h=c.number(f"{k}.activation.auto_trigger_h", lo=0, hi=MAX_HOURS),
        decision=read_time_dist(c, f"{k}.activation.decision"),
        key_holder=read_time_dist(c, f"{k}.key_holder"),
        setup=read_time_dist(c, f"{k}.setup"),
        supplies_loading_h=c.number(f"{k}.supplies_loading_h", lo=0, hi=48),
        nafase_h=c.number(f"{k}.nafase_h", lo=0, hi=MAX_HOURS),
        backup_power=c.choice(f"{k}.backup_power", ("data", "all", "none")),
        add_generators=c.codes(f"{k}.add_generators"),
        generator_kva=c.number(f"{k}.generator_kva", lo=0, hi=5000, lo_open=True),
        autonomy_h=c.number(f"{k}.autonomy_h", lo=0, hi=MAX_HOURS, lo_open=True),
        supplies=Supplies(
            water_l=c.number(f"{k}.supplies.water_l", lo=0, hi=1e7),
            food_rations=c.number(f"{k}.supplies.food_rations", lo=0, hi=1e7),
            blankets=c.number(f"{k}.supplies.blankets", lo=0, hi=1e6),
            reorder_share=c.share(f"{k}.supplies.reorder_share"),
            regional_water_l_per_1000=c.number(f"{k}.supplies.regional_water_l_per_1000",
                                               lo=0, hi=1e6),
            regional_food_rations_per_1000=c.number(
                f"{k}.supplies.regional_food_rations_per_1000", lo=0, hi=1e6),
            regional_blankets_per_1000=c.number(f"{k}.supplies.regional_blankets_per_1000",
                                                lo=0, hi=1e6),
            close_when_out=c.flag(f"{k}.supplies.close_when_out"),
        ),
    )
