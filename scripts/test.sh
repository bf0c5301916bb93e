#!/usr/bin/env bash
# Sets up everything the test suite needs on a fresh machine, then runs it.
# This is the README's test command; .ci/run calls it unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
echo "== installing mlsysim and test dependencies"
$PY -m pip install --quiet --disable-pip-version-check -e ".[test,browser,labs]" build uv

if ! command -v chromium >/dev/null 2>&1; then
    echo "== installing Debian's chromium for the browser tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi

echo "== running the tests"
exec $PY -m pytest "$@"
