#!/usr/bin/env bash
# Runs `amarktai doctor`: prints one line per check, exits non-zero when any check fails.
#
# On a deployed host (DEPLOY.md), when the environment file and the installed binary both exist,
# it runs the installed binary as the service user with the service's environment, exactly like
# DEPLOY.md section 4's `as_amarktai` helper (run it as root: the env file is mode 600).
# Otherwise (a source checkout) it runs the repo's build, which reads the repo's `.env`.
#   AMARKTAI_ENV_FILE   default /etc/amarktai/amarktai.env
#   AMARKTAI_BIN        default /usr/local/bin/amarktai
#   AMARKTAI_USER       default amarktai (the systemd unit's User=)
set -euo pipefail
env_file="${AMARKTAI_ENV_FILE:-/etc/amarktai/amarktai.env}"
bin="${AMARKTAI_BIN:-/usr/local/bin/amarktai}"
service_user="${AMARKTAI_USER:-amarktai}"

if [ -f "$env_file" ] && [ -x "$bin" ]; then
  if [ ! -r "$env_file" ]; then
    echo "cannot read $env_file: run this as root (sudo $0)" >&2
    exit 2
  fi
  # As in DEPLOY.md section 4: comments stripped; values must not contain spaces.
  vars=$(grep -v '^[[:space:]]*#' "$env_file" | xargs)
  echo "using $bin with $env_file (as $service_user)"
  cd /  # a stray ./.env must not add settings the service does not have
  if [ "$(id -un)" = "$service_user" ]; then
    # shellcheck disable=SC2086  # one word per VAR=value, as the helper does
    exec env $vars "$bin" doctor
  fi
  # shellcheck disable=SC2086
  exec sudo -u "$service_user" env $vars "$bin" doctor
fi

cd "$(dirname "$0")/.."
if [ -x target/release/amarktai ]; then
  exec target/release/amarktai doctor
fi
exec cargo run --quiet --release -- doctor
