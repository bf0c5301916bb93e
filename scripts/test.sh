#!/usr/bin/env bash
# Sets up everything the test suite needs on a fresh machine, then runs it twice: in CPython
# (everything, the browser tests included) and inside Pyodide under Node.js (tests/ except
# tests/browser/, from the runtime the site serves). Either failing fails this script.
# This is the README's test command; .ci/run calls it unchanged. Arguments go to CPython's pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
echo "== installing mlsysim and test dependencies"
$PY -m pip install --quiet --disable-pip-version-check -e ".[test,browser,labs]" build uv "vl-convert-python==1.9.0.post1"

if ! command -v chromium >/dev/null 2>&1; then
    echo "== installing Debian's chromium for the browser tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi

# One build of the site for both runs: the browser tests serve it, and its runtime folder
# (Pyodide, the pinned wheels, the mlsysim wheel of this checkout) is what the Pyodide run uses.
site_parent=$(mktemp -d "${TMPDIR:-/tmp}/mlsysim-site.XXXXXX")
trap 'rm -rf "$site_parent"' EXIT
export MLSYSIM_SITE_DIR="$site_parent/_site"
echo "== building the site into $MLSYSIM_SITE_DIR"
$PY build_wasm.py --out "$MLSYSIM_SITE_DIR"

echo "== mlsysim validate --check: the public measurements within each category's committed error ceiling"
$PY -m mlsysim validate --check >/dev/null

echo "== running the tests in CPython"
$PY -m pytest "$@"

echo "== running tests/ (except tests/browser/) inside Pyodide, from the site's runtime"
$PY scripts/pyodide_tests.py --runtime "$MLSYSIM_SITE_DIR"
