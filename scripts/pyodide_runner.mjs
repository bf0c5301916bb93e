// Runs pytest inside Pyodide under Node.js. Called by scripts/pyodide_tests.py, which checks
// every wheel's sha256 first; this file only boots the runtime and hands pytest its arguments.
//
//   node scripts/pyodide_runner.mjs CONFIG.json
//
// CONFIG: {runtime: folder with pyodide.mjs and pyodide-lock.json (the site's),
//          packages: names to load from that lock (sha256-checked by Pyodide),
//          wheels: absolute paths of further wheels (the test tools),
//          repo: this checkout, mounted at /repo and made the working directory,
//          pytest_args: [...], env: {NAME: value} to set inside Pyodide}
// Exit status: pytest's own (0 all passed, 1 failures, 2 interrupted, ...), or 3 if Pyodide
// itself could not be set up.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const runtime = config.runtime.replace(/\/*$/, "/");

let py;
try {
  const { loadPyodide } = await import(pathToFileURL(runtime + "pyodide.mjs").href);
  const t0 = performance.now();
  py = await loadPyodide({ indexURL: runtime, lockFileURL: runtime + "pyodide-lock.json" });
  // Raw writes, so pytest's progress dots appear as they happen, not a line at a time.
  const out = { write: (buf) => { process.stdout.write(buf); return buf.length; } };
  const err = { write: (buf) => { process.stderr.write(buf); return buf.length; } };
  py.setStdout(out);
  py.setStderr(err);
  await py.loadPackage(config.packages, { messageCallback: () => {} });
  await py.loadPackage(config.wheels, { messageCallback: () => {} });
  py.mountNodeFS("/repo", config.repo);
  const t1 = performance.now();
  const loaded = Object.keys(py.loadedPackages).sort();
  console.log(`== Pyodide ${py.version}: runtime and ${loaded.length} packages loaded in ` +
              `${((t1 - t0) / 1000).toFixed(1)} s: ${loaded.join(", ")}`);
} catch (e) {
  console.error("could not set up Pyodide: " + String((e && e.message) || e).slice(-3000));
  process.exit(3);
}

py.globals.set("PYTEST_ARGS", py.toPy(config.pytest_args));
py.globals.set("HOST_ENV", py.toPy(config.env || {}));
let status;
try {
  status = py.runPython(`
import os, sys
# Paths as in CPython (the checkout is the working directory), but nothing written into it:
# no bytecode caches (here), no pytest cache (-p no:cacheprovider), no hypothesis database
# (tests/conftest.py's profile); tmp_path is in Pyodide's in-memory /tmp.
sys.dont_write_bytecode = True
os.chdir("/repo")
os.environ.update(HOST_ENV)  # Pyodide has its own environment; these few are passed through
import mlsysim, pytest
# The engine under test is the site's wheel, never the checkout's core/ (which is mounted too).
if "/site-packages/" not in mlsysim.__file__ or mlsysim.__file__.startswith("/repo/"):
    raise RuntimeError(f"mlsysim was imported from {mlsysim.__file__}, not from the installed wheel")
print(f"== mlsysim {mlsysim.__version__} from {mlsysim.__file__.rsplit('/', 2)[0]}", flush=True)
int(pytest.main(list(PYTEST_ARGS)))
`);
} catch (e) {
  console.error("pytest did not run: " + String((e && e.message) || e).slice(-3000));
  status = 3;
}
process.exit(status);
