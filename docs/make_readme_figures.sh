#!/usr/bin/env bash
# Regenerate the README's coverage pictures (docs/coverage_map.png and
# docs/coverage_curve.png) from the default Oost-5 run. Needs the package
# installed (pip install -e .); writes its run under results/readme/.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf results/readme
python -m sim hydra.run.dir=results/readme/run research.figures=false research.gis=false
blackout-sim-figures results/readme/run --out results/readme/figures 'formats=[png]' dpi=80 \
    gis=false
cp results/readme/figures/coverage_map_72h.png docs/coverage_map.png
cp results/readme/figures/coverage_curve.png docs/coverage_curve.png
echo "docs/coverage_map.png and docs/coverage_curve.png regenerated"
