"""``mlsysim audit ... --set KEY=VALUE``, and every command-line example of README's "The other walls"."""

import json
import re
import shlex
from pathlib import Path

import pytest

from mlsysim.cli import main
from mlsysim.cli._base import knob_value
from mlsysim.walls import WALLS

README = Path(__file__).resolve().parents[1] / "README.md"


def _examples():
    """(wall title, argv) for each ``mlsysim audit`` line in a ```bash block under '## The other walls'."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## The other walls"):]
    nxt = re.search(r"^## ", section[3:], flags=re.M)
    section = section[: nxt.start() + 3] if nxt else section
    out, title = [], None
    for part in re.split(r"^(### .*)$", section, flags=re.M):
        if part.startswith("### "):
            title = re.split(r" \(|:", part[4:], maxsplit=1)[0].strip()
            continue
        for block in re.findall(r"```bash\n(.*?)```", part, flags=re.S):
            for line in block.splitlines():
                if line.startswith("mlsysim audit"):
                    out.append((title, shlex.split(line)[1:]))
    return out


EXAMPLES = _examples()


def test_every_new_wall_has_a_command_line_example():
    walls = {title for title, _ in EXAMPLES}
    assert walls >= {"Safety", "Fidelity", "Reasoning", "Software", "Synthesis", "Sensitivity", "Tail latency", "Batching",
                     "Locality", "Ingestion", "Transformation", "Streaming", "Multi-tenant"}


@pytest.mark.parametrize("title,argv", EXAMPLES, ids=[t for t, _ in EXAMPLES])
def test_readme_example_runs_and_shows_its_wall(title, argv, capsys):
    status = main([*argv, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert status in (0, 1), out
    assert title in [row["title"] for row in out["rows"]]


def test_values_are_parsed_as_numbers_booleans_or_text():
    assert knob_value("8") == 8 and isinstance(knob_value("8"), int)
    assert knob_value("1.12") == 1.12
    assert knob_value("true") is True and knob_value("False") is False
    assert knob_value("900 1/s") == "900 1/s"


def test_set_reaches_the_audit(capsys):
    # 900 requests/s on 4 servers of 3 ms: utilisation 900 x 0.003 / 4 = 0.675 (README's Tail latency example)
    status = main(["audit", "llama3_8b", "h100", "--set", "arrival_rate=900 1/s", "--set", "service_time=3 ms",
                   "--set", "servers=4", "--json"])
    row = next(r for r in json.loads(capsys.readouterr().out)["rows"] if r["wall"] == "tail_latency")
    assert status in (0, 1)
    assert "utilisation 0.68" in row["note"]


def test_unknown_knob_is_one_line_error(capsys):
    status = main(["audit", "llama3_8b", "h100", "--set", "arival_rate=900 1/s"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "arival_rate" in err and "arrival_rate" in err


@pytest.mark.parametrize("bad", ["noequals", "=3", "sla="])
def test_malformed_set_is_one_line_error(bad, capsys):
    assert main(["audit", "llama3_8b", "h100", "--set", bad]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlsysim: error:") and "KEY=VALUE" in err
