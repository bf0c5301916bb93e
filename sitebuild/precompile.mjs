// Compile every wheel's Python to bytecode with the Pyodide the site serves, run by Node.
//
//   node precompile.mjs RUNTIME_DIR LOCK_FILE ROOT JOBS_FILE PROGRAM_FILE
//
// RUNTIME_DIR holds pyodide.mjs and the rest of the npm runtime; LOCK_FILE is a lock with no
// packages (nothing is loaded); ROOT is mounted at /work inside Pyodide, and the paths in
// JOBS_FILE (a JSON list of [source wheel, destination wheel, prefixes to drop]) are relative to
// it; PROGRAM_FILE is the Python that does the work (precompile_wheels.py), run with JOBS set.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [runtime, lockFile, root, jobsFile, programFile] = process.argv.slice(2);
try {
  const { loadPyodide } = await import(pathToFileURL(`${runtime}/pyodide.mjs`).href);
  const py = await loadPyodide({ indexURL: `${runtime}/`, lockFileURL: lockFile });
  py.FS.mkdirTree("/work");
  py.FS.mount(py.FS.filesystems.NODEFS, { root }, "/work");
  py.globals.set("JOBS", readFileSync(jobsFile, "utf8"));
  py.runPython(readFileSync(programFile, "utf8"));
} catch (err) {
  console.error("precompile failed: " + String((err && err.message) || err).slice(-4000));
  process.exit(1);
}
