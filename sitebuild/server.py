"""A development server for the built site: the right content types, the build's gzip copies,
and the cache headers a static host should send."""
from __future__ import annotations

import contextlib
import email.utils
import functools
import http.server
import os
import socketserver
from pathlib import Path

from .pins import PYODIDE_RUNTIME_FILES


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the right types and cache headers for a second visit to be fast."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
        ".whl": "application/zip", ".json": "application/json", ".zip": "application/zip",
        ".woff2": "font/woff2", ".css": "text/css",
    }

    def log_message(self, fmt, *args):  # quiet: one line per error only
        if args and str(args[1]).startswith(("4", "5")):
            super().log_message(fmt, *args)

    def end_headers(self):
        self.send_header("Cache-Control", cache_control(self.path))
        super().end_headers()

    def send_head(self):
        """Serve the build's gzip copy of a text or wasm file to browsers that accept it."""
        path = self.translate_path(self.path)
        gz = path + ".gz"
        if ("gzip" not in self.headers.get("Accept-Encoding", "") or "Range" in self.headers
                or not os.path.isfile(path) or not os.path.isfile(gz)):
            return super().send_head()
        st = os.stat(gz)
        ims = self.headers.get("If-Modified-Since")
        if ims:
            with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
                if int(st.st_mtime) <= email.utils.parsedate_to_datetime(ims).timestamp():
                    self.send_response(304)
                    self.send_header("Vary", "Accept-Encoding")
                    self.end_headers()
                    return None
        f = open(gz, "rb")
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(st.st_size))
        self.send_header("Last-Modified", self.date_time_string(st.st_mtime))
        self.end_headers()
        return f


def cache_control(url_path: str) -> str:
    path = url_path.split("?", 1)[0]
    immutable = "public, max-age=31536000, immutable"
    if path.startswith("/labs/assets/"):
        return immutable  # content-hashed names from marimo's build
    if path.startswith("/pyodide/"):
        name = path.rsplit("/", 1)[-1]
        if name in PYODIDE_RUNTIME_FILES:
            return "public, max-age=604800"  # fixed by the pinned Pyodide version
        # the lock and the wheels: a wheel's bytes depend on the build (bytecode, mlsysim from
        # this repo) under an unchanged name, so revalidate (a 304 when unchanged); the service
        # worker serves them from its per-build cache only when there is no network
        return "no-cache"
    return "no-cache"  # pages, index, service worker


def serve(directory: Path, port: int, host: str = "127.0.0.1", ready=None):
    handler = functools.partial(SiteHandler, directory=str(directory))

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    httpd = Server((host, port), handler)
    return httpd

