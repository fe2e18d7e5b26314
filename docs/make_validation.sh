#!/usr/bin/env bash
# Regenerate docs/validation.md and its figures (a few minutes; not run by CI).
set -euo pipefail
cd "$(dirname "$0")/.."
python docs/make_validation.py
