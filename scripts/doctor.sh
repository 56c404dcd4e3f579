#!/usr/bin/env bash
# Runs `amarktai doctor`: prints one line per check, exits non-zero when any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x target/release/amarktai ]; then
  exec target/release/amarktai doctor
fi
exec cargo run --quiet --release -- doctor
