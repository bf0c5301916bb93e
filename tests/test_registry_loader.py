"""The registry loader: problems name file, entry and field; a bad entry or file does not take the rest down;
user folders merge over the built-in registry."""

import re
import shutil

import pytest

import mlsysim
from mlsysim.core import loader
from mlsysim.core.loader import RegistryDataError, RegistryWarning, check_registry_folder, registry_problems, using_registry
from mlsysim.registries import Fleets, Hardware

SOURCE = '[sources.mine]\ntitle = "My measurements"\ndate = 2026-11-25\nkind = "measured"\n\n'
GOOD = ('[[hardware]]\nkey = "myacc"\nname = "My accelerator"\nsource = "mine"\ntdp = "100 W"\n'
        'compute = { peak_flops = "100 TFLOP/s" }\nmemory = { capacity = "16 GB", bandwidth = "1 TB/s" }\n')


@pytest.fixture
def isolated():
    """Restore what was loaded (and from where) after the test."""
    snap = loader._snapshot()
    yield
    loader._restore(snap)


def folder(tmp_path, text, name="mine.toml"):
    (tmp_path / name).write_text(text)
    return tmp_path


def test_the_built_in_registry_has_no_problems():
    assert registry_problems() == []


def test_alias_module_is_the_loader():
    import mlsysim.core.registry as old

    assert old is loader


@pytest.mark.parametrize("line, field, needle", [
    ('tdp = "-700 W"', "tdp", "-700 W"),
    ('unit_cost = "-30000 USD"', "unit_cost", "-30000 USD"),
    ('interconnect_bandwidth = "1e300 TB/s"', "interconnect_bandwidth", "finite"),
    ('interconnect_bandwidth = "400 Gb/s"', "interconnect_bandwidth", "Gbit"),  # bits written as 'b'
])
def test_bad_values_are_reported_with_file_entry_and_field(tmp_path, line, field, needle):
    text = SOURCE + GOOD.replace('tdp = "100 W"\n', f'tdp = "100 W"\n{line}\n' if not line.startswith("tdp") else line + "\n")
    problems = check_registry_folder(folder(tmp_path, text))
    assert len(problems) == 1, problems
    assert "mine.toml" in problems[0] and "'myacc'" in problems[0] and field in problems[0] and needle in problems[0]


def test_capacity_in_gigabits_is_a_slip(tmp_path):
    problems = check_registry_folder(folder(tmp_path, SOURCE + GOOD.replace('capacity = "16 GB"', 'capacity = "16 Gb"')))
    assert len(problems) == 1 and "memory.capacity" in problems[0] and "'GB'" in problems[0]


def test_every_problem_is_listed_not_only_the_first(tmp_path):
    bad = GOOD.replace('tdp = "100 W"', 'tdp = "-1 W"\nunit_cost = "-5 USD"').replace('"1 TB/s"', '"1 Tb/s"')
    fleet = ('[[fleets]]\nkey = "myfleet"\nname = "My fleet"\nsource = "mine"\ncount = 2\ngrid = "atlantis"\n'
             'node = { accelerator = "h1000", intra_node_bw = "450 GB/s" }\nfabric = { bandwidth = "50 GB/s" }\n')
    problems = check_registry_folder(folder(tmp_path, SOURCE + bad + "\n" + fleet + '\n[[hardwares]]\nkey = "x"\n'))
    text = "\n".join(problems)
    for needle in ("tdp", "unit_cost", "memory.bandwidth", "node.accelerator='h1000'", "grid='atlantis'", "'hardwares'"):
        assert needle in text, (needle, problems)
    assert "'myfleet'" in text and len(problems) == 6


def test_check_leaves_the_session_as_it_was(tmp_path):
    h100 = Hardware.get("h100")
    check_registry_folder(folder(tmp_path, SOURCE + GOOD))
    assert Hardware.get("h100") is h100 and Hardware.find("myacc") is None


def test_not_a_folder(tmp_path):
    assert "not a folder" in check_registry_folder(tmp_path / "nope")[0]
    assert "no .toml" in check_registry_folder(tmp_path)[0]


def test_user_folder_adds_and_replaces_entries(tmp_path, isolated):
    replaced = GOOD.replace('key = "myacc"\nname = "My accelerator"', 'key = "h100"\nattr = "H100"\nname = "H100 at our clocks"')
    with using_registry(folder(tmp_path, SOURCE + GOOD + "\n" + replaced)):
        assert Hardware.get("myacc").name == "My accelerator"
        assert Hardware.get("h100").name == "H100 at our clocks"
        assert Hardware.get("h100").provenance("tdp").title == "My measurements"
        assert Hardware.get("a100").attr == "A100"  # the rest of the built-in registry is still there
    assert Hardware.get("h100").name.startswith("NVIDIA H100")


def test_environment_variable_names_user_folders(tmp_path, monkeypatch, isolated):
    monkeypatch.setenv("MLSYSIM_REGISTRY", str(folder(tmp_path, SOURCE + GOOD)))
    loader._restore((None, None, [{} for _ in loader._CATALOGS]))
    assert Hardware.get("myacc").name == "My accelerator"


def test_use_registry_rejects_a_missing_folder(tmp_path):
    with pytest.raises(mlsysim.InputError, match="registry folder"):
        mlsysim.use_registry(tmp_path / "nope")


def test_a_corrupt_fleets_file_does_not_break_hardware(tmp_path, monkeypatch, isolated):
    copy = tmp_path / "registry"
    shutil.copytree(loader.registry_dir(), copy)
    in_fleets_file = set(re.findall(r'^key = "([^"]+)"', (copy / "fleets.toml").read_text(), flags=re.M))
    assert in_fleets_file
    (copy / "fleets.toml").write_text("[[fleets]\nkey = ")
    monkeypatch.setattr(loader, "registry_dir", lambda: copy)
    loader._restore(([], None, [{} for _ in loader._CATALOGS]))
    with pytest.warns(RegistryWarning, match="fleets.toml"):
        assert Hardware.get("h100").attr == "H100"
    r = mlsysim.SustainabilityModel().solve("h100", "1 hour", count=8, grid="quebec")
    assert r.total_carbon.m_as("gCO2e") > 0
    # the fleets of the corrupt file are gone; fleets defined in other files still load
    assert in_fleets_file.isdisjoint(f.key for f in Fleets)
    assert any("fleets.toml" in p and "not valid TOML" in p for p in registry_problems())


def test_a_bad_entry_is_skipped_and_its_name_raises_its_problem(tmp_path, isolated):
    bad = GOOD.replace('tdp = "100 W"', 'tdp = "-100 W"')
    with pytest.warns(RegistryWarning):
        with using_registry(folder(tmp_path, SOURCE + bad)):
            assert Hardware.get("h100").attr == "H100"
            with pytest.raises(RegistryDataError, match="could not be loaded.*tdp"):
                Hardware.get("myacc")


def test_list_filter_on_an_unknown_field_names_it():
    with pytest.raises(mlsysim.InputError) as info:
        Hardware.list(teir="edge")
    assert info.value.field == "teir" and "tier" in info.value.accepted
    # a field only some entries have (Transformer layers) filters the others out
    assert {m.attr for m in mlsysim.Models.list(layers=80)} == {"Llama2_70B", "Llama3_70B", "MegatronGPT_146B"}
