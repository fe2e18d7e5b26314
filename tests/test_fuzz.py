"""Random valid configs: the model's invariants hold in every run (issue 18).

Hypothesis draws a value for every numeric input of the uncertainty register
(``configs/uncertainty/default.yaml``: 180 keys of every config group, each
within the range the model allows) and for the categorical keys (station and
support-point backup policies, coordination-point choice, activation policy and
trigger, season, the outage duration's distribution), a seed, a short horizon,
and one safety region. Every run must keep the invariants of
``sim.results.invariants``. CI runs ``FUZZ_EXAMPLES`` examples (default 6);
``benchmarks/fuzz_configs.py`` runs 1,000.
"""

from __future__ import annotations

import copy
import functools
import os
from typing import Any

import yaml
from conftest import default_cfg_copy
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sim.params.validate import prepare
from sim.paths import CONFIG_DIR
from sim.results.invariants import violations
from sim.results.run import run
from sim.sensitivity.register import Uncertain, apply, read_register

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
REGIONS = ("IJsselland", "Twente", "VGGM", "VGZ", "VNOG")
SITE_TYPES = ("community_centre", "village_hall", "place_of_worship", "sports_hall", "school")
#: Categorical keys and their options (``sim/params``).
CHOICES: dict[str, tuple[str, ...]] = {
    "stations.backup_power": ("data", "all", "none"),
    "stations.coordination_points": ("data", "prefer_backup"),
    "support_points.backup_power": ("data", "all", "none"),
    "support_points.activation.policy": ("all", "phased", "priority"),
    "support_points.activation.trigger": ("automatic", "order"),
    "population.season": ("auto", "winter", "summer"),
    "outage.duration.distribution": ("fixed", "uniform", "triangular"),
}


@functools.cache
def register() -> tuple[Uncertain, ...]:
    entries = yaml.safe_load((CONFIG_DIR / "uncertainty" / "default.yaml")
                             .read_text(encoding="utf-8"))["inputs"]
    return read_register(entries, default_cfg_copy())


def set_key(cfg: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = cfg
    for part in parents:
        node = node[part]
    node[last] = value


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid config: every register input within its range, categorical keys, a region."""
    inputs = register()
    x = [draw(st.integers(int(u.low), int(u.high)) if u.integer
              else st.floats(u.low, u.high, allow_nan=False)) for u in inputs]
    cfg = apply(default_cfg_copy(), inputs, x)
    for key, options in CHOICES.items():
        set_key(cfg, key, draw(st.sampled_from(options)))
    if cfg["support_points"]["activation"]["policy"] == "phased":
        first = draw(st.floats(0.1, 0.9))
        cfg["support_points"]["activation"]["phases"] = [
            {"share": first, "at_h": draw(st.floats(0, 12))},
            {"share": 1 - first, "at_h": draw(st.floats(12, 48))}]
    if cfg["support_points"]["activation"]["policy"] == "priority":
        cfg["support_points"]["activation"]["priority"] = draw(st.permutations(SITE_TYPES))
    duration = cfg["outage"]["duration"]
    hours = float(duration.get("hours") or 84.0)
    if duration["distribution"] != "fixed":
        duration.update(low=hours * 0.75, high=hours * 1.25,
                        mode=hours if duration["distribution"] == "triangular" else None)
    cfg["region"]["select"]["regions"] = [draw(st.sampled_from(REGIONS))]
    cfg["region"]["select"]["codes"] = []
    cfg["horizon_h"] = float(draw(st.integers(72, 120)))
    cfg["seed"] = draw(st.integers(0, 2**31))
    return copy.deepcopy(cfg)


# No shrinking: with about 190 drawn values it takes minutes and says little; the
# failing config is printed whole.
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          phases=(Phase.explicit, Phase.reuse, Phase.generate),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(configs())
def test_every_valid_config_keeps_the_invariants(cfg):
    result = run(prepare(cfg))
    assert violations(result) == [], {k: cfg[k] for k in ("seed", "horizon_h")}
