"""labkit: the pieces every MLSys·im chapter lab is built from (see labs/README.md).

- ``labkit.questions``: predictions and check-yourself questions as plain Python, each answer
  re-derived with the engine from a per-student variant (no marimo needed: the grader uses it).
- ``labkit.record``: the student's work as a signed JSON record and a Markdown report.
- ``labkit.storage``: per-lab state in the browser's IndexedDB (in memory under plain Python).
- ``labkit.kit``: the marimo side (header, controls with URL presets, prediction lock, charts
  with their data table, show-the-math, check-yourself, download, start over).
- ``labkit.grading``: ``mlsysim grade FILES... [--csv OUT]``.
- ``labkit.chapters.<lab id>``: each lab's questions, importable without running the notebook.

Importing ``labkit`` alone imports neither marimo nor Altair.
"""

__version__ = "0.1.0"

KIT_VERSION = __version__
