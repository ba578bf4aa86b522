#!/usr/bin/env bash
# Installs the Swift syntax checker the tests use on tools/ane-bench/ane-bench.swift: tree-sitter
# and its Swift grammar (prebuilt native bindings) into .cache/swift-parser, with install scripts
# off (the grammar's tree-sitter-cli would download a binary, which this network refuses; the
# parser does not need it). No Swift toolchain installs on these Linux machines.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.cache/swift-parser"
want="tree-sitter@0.22.4 tree-sitter-swift@0.7.1"
stamp="$dir/.versions"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$dir/node_modules/tree-sitter-swift" ]; then
  exit 0
fi
mkdir -p "$dir"
[ -f "$dir/package.json" ] || echo '{"name":"swift-parser-cache","private":true}' > "$dir/package.json"
# shellcheck disable=SC2086
if ! npm install --silent --ignore-scripts --no-audit --no-fund --prefix "$dir" $want; then
  echo "ensure-swift-parser: could not install $want; the Swift syntax check cannot run" >&2
  [ "${CI:-}" = "true" ] && exit 1
  exit 0
fi
echo "$want" > "$stamp"
