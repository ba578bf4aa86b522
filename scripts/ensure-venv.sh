#!/usr/bin/env bash
# Creates (or refreshes) the Python venv used by the external-oracle tests: coremltools, numpy,
# torch (CPU) and safetensors, pinned in tests/conformance/requirements.txt. A stamp file holds
# the requirements' hash so an unchanged venv is reused.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
req="$root/tests/conformance/requirements.txt"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
py=${PYTHON:-python3}
if ! command -v "$py" >/dev/null 2>&1; then
  echo "ensure-venv: $py not found; the coremltools conformance suite cannot run" >&2
  [ "${CI:-}" = "true" ] && exit 1
  exit 0
fi
echo "ensure-venv: creating $venv (coremltools, numpy, torch CPU, safetensors)..."
"$py" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
