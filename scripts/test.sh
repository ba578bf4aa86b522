#!/usr/bin/env bash
# The test command (npm test): generated files are fresh, everything type-checks, the Python
# oracle venv exists, then every vitest suite runs (unit, property, golden, conformance).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== codegen freshness"
npm run --silent codegen:check
echo "== typecheck"
npx tsc -p tsconfig.tests.json --noEmit
echo "== python venv for the external oracles"
bash scripts/ensure-venv.sh
echo "== swift parser for the on-device harness's syntax check"
bash scripts/ensure-swift-parser.sh
echo "== chromium for the report page's browser test"
bash scripts/ensure-chromium.sh
echo "== vitest"
npx vitest run "$@"
