"""Replace each wheel's modules by their bytecode; run inside Pyodide by precompile.mjs.

JOBS (set by the caller) is a JSON list of [source wheel, destination wheel, path prefixes to
leave out], paths relative to /work. Each compilable .py becomes its .pyc in the legacy sourceless
layout (PEP 3147), the way Pyodide ships its own packages; RECORD is rewritten to match, and every
zip entry gets a fixed date, so the output is reproducible. Compiled by this very CPython (3.14 in
Pyodide 314.0.0), so the bytecode is what the browser runs.
"""
import base64, csv, hashlib, io, json, os, zipfile
from importlib._bootstrap_external import _code_to_timestamp_pyc
FIXED = (2020, 1, 1, 0, 0, 0)
def entry(name, like=None):
    zi = zipfile.ZipInfo(name, FIXED)
    zi.compress_type = zipfile.ZIP_DEFLATED
    zi.external_attr = (like.external_attr if like is not None else 0o644 << 16)
    return zi
def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
JOBS = globals()["JOBS"]  # set by precompile.mjs before it runs this program
for src, dst, drop in json.loads(JOBS):
    src, dst, drop = "/work/" + src, "/work/" + dst, tuple(drop)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst + ".tmp", "w") as zout:
        infos = zin.infolist()
        record = next(i.filename for i in infos if i.filename.endswith(".dist-info/RECORD") and i.filename.count("/") == 1)
        rows = []
        for info in infos:
            name, data = info.filename, zin.read(info.filename)
            if name == record or (drop and name.startswith(drop)):
                continue
            top = name.split("/", 1)[0]
            if name.endswith(".py") and not top.endswith((".dist-info", ".data")):
                try:
                    code = compile(data, "/lib/python3.14/site-packages/" + name, "exec", dont_inherit=True)
                except (SyntaxError, ValueError):
                    code = None  # e.g. templates or Python 2 files shipped as data: keep as they are
                if code is not None:
                    # sourceless module (PEP 3147 legacy layout), as Pyodide ships its own packages
                    name, data = name[:-3] + ".pyc", bytes(_code_to_timestamp_pyc(code, 0, 0))
            zout.writestr(entry(name, info), data)
            rows.append([name, digest(data), str(len(data))])
        rows.append([record, "", ""])
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        zout.writestr(entry(record), buf.getvalue().encode())
    os.replace(dst + ".tmp", dst)
