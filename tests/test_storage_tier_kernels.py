"""Storage tiers at fleet scale: the kernels and their unit-checked wrappers, by hand."""
from __future__ import annotations

import math

import pytest

from mlsysim import InputError, Storage
from mlsysim.physics import formulas, kernels


def test_tier_bandwidth_is_the_smaller_of_the_links_and_the_shared_ceiling():
    # 125 nodes x 50 GB/s = 6.25 TB/s of client links against a 2 TB/s shared ceiling: 2 TB/s
    assert kernels.tier_bandwidth(125, 50e9, 2e12) == pytest.approx(2e12)
    # 16 nodes x 50 GB/s = 800 GB/s, below the ceiling: the links bind
    assert kernels.tier_bandwidth(16, 50e9, 2e12) == pytest.approx(800e9)
    # node-local drives: no shared ceiling, 125 x 56 GB/s = 7 TB/s
    assert kernels.tier_bandwidth(125, 56e9) == pytest.approx(7e12)
    q = formulas.calc_tier_bandwidth(125, "50 GB/s", "2 TB/s")
    assert q.to("GB/s").magnitude == pytest.approx(2000)
    assert formulas.calc_tier_bandwidth(3, "1 GB/s").to("GB/s").magnitude == pytest.approx(3)


def test_request_bound_bandwidth():
    # S3: 5,500 GET/s per prefix x one 107.7 kB JPEG per GET = 592.35 MB/s
    assert kernels.request_bound_bandwidth(5500, 107.7e3) == pytest.approx(592.35e6)
    # the same prefix serving 1,000-image tar shards (107.7 MB per GET): 592.35 GB/s
    q = formulas.calc_request_bound_bandwidth("5500 1/s", "107.7 MB")
    assert q.to("GB/s").magnitude == pytest.approx(592.35)


def test_accelerators_fed():
    # each GPU consumes 3,000 images/s x 107.7 kB = 323.1 MB/s; its share of a 50 GB/s node link
    # (8 GPUs) is 6.25 GB/s, enough; the 2 TB/s ceiling feeds 2e12 / 323.1e6 = 6,190 GPUs
    assert kernels.accelerators_fed(6.25e9, 2e12, 323.1e6) == pytest.approx(6190.03, rel=1e-5)
    # a share below the demand feeds none, whatever the ceiling
    assert kernels.accelerators_fed(0.1e9, 2e12, 323.1e6) == 0.0
    assert kernels.accelerators_fed(6.25e9, math.inf, 323.1e6) == math.inf
    q = formulas.calc_accelerators_fed("6.25 GB/s", "2 TB/s", "323.1 MB/s")
    assert q.magnitude == pytest.approx(6190.03, rel=1e-5)


def test_bad_inputs_are_named():
    with pytest.raises(InputError, match="per_client_bandwidth"):
        formulas.calc_tier_bandwidth(4, "-1 GB/s")
    with pytest.raises(InputError, match="clients"):
        formulas.calc_tier_bandwidth(0, "1 GB/s")
    with pytest.raises(InputError, match="bytes_per_request"):
        formulas.calc_request_bound_bandwidth("5500 1/s", "0 B")
    with pytest.raises(InputError, match="aggregate_supply"):
        formulas.calc_accelerators_fed("1 GB/s", None, "1 MB/s")


def test_fleet_tiers_in_the_registry_are_what_their_sources_say():
    # DGX H100: 8 drives x 7,000 MB/s read, x 3,800 MB/s write (PM1733 datasheet; an estimate)
    nvme = Storage.get("dgx_local_nvme")
    assert nvme._si["read_bandwidth"] == pytest.approx(8 * 7000e6)
    assert nvme._si["write_bandwidth"] == pytest.approx(8 * 3800e6)
    assert "aggregate_read_bandwidth" not in nvme._si
    # Llama 3's Tectonic: 2 TB/s sustained (Dubey et al. 2024, Sec. 3.3.1); 400 Gbit/s / 8 per node
    pfs = Storage.get("pfs_tectonic")
    assert pfs._si["aggregate_read_bandwidth"] == pytest.approx(2e12)
    assert pfs._si["aggregate_write_bandwidth"] == pytest.approx(2e12)
    assert pfs._si["read_bandwidth"] == pytest.approx(400e9 / 8)
    assert pfs._provenance["aggregate_read_bandwidth"].kind == "measured"
    assert pfs._provenance["read_bandwidth"].kind == "estimate"
    # S3: 100 Gbit/s per instance both ways; 5,500 GET/s per prefix
    s3 = Storage.get("s3")
    assert s3._si["write_bandwidth"] == pytest.approx(100e9 / 8)
    assert s3._si["request_rate"] == pytest.approx(5500)
