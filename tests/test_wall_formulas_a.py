"""The unit-checked wrappers of the batching, streaming, ingestion, transformation, locality and
multi-tenant equations, by hand, and their bad-input errors."""

import pytest

from mlsysim.core.errors import InputError
from mlsysim.physics import formulas as f


def test_wrappers_by_hand():
    # 200 tokens in 16-token blocks: 7.5 empty slots on average -> 7.5 / 207.5 = 3.61%
    assert f.calc_paged_kv_waste(200, 16) == pytest.approx(7.5 / 207.5)
    # 56 GB / 27,262,976 B = 2054.05 -> 2054
    assert f.calc_sequences_that_fit("56 GB", "27262976 B") == 2054
    # 32 layers, 1 ms compute, 2 ms load: prefetch 2 + 31 x 2 + 1 = 65 ms; none 32 x 3 = 96 ms
    assert f.calc_streamed_layers_time(32, "1 ms", "2 ms").m_as("ms") == pytest.approx(65)
    assert f.calc_streamed_layers_time(32, "1 ms", "2 ms", prefetch=False).m_as("ms") == pytest.approx(96)
    # 3,000 of 4,000 samples/s: stall 25%
    assert f.calc_data_stall_fraction("3000 1/s", "4000 1/s") == pytest.approx(0.25)
    # 10,000 samples/s x 4 ms = 40 cores
    assert f.calc_cores_needed("10000 1/s", "4 ms") == pytest.approx(40)
    # Al-Fares et al. 2008: 48-port switches -> 27,648 hosts
    assert f.calc_fat_tree_hosts(48) == 27_648
    # 8x8x8 torus, 50 GB/s links: 2 x 512 / 8 = 128 links -> 6.4 TB/s
    assert f.calc_torus_bisection_bandwidth([8, 8, 8], "50 GB/s").m_as("TB/s") == pytest.approx(6.4)
    # 10 nodes of 8, 3-GPU jobs: 10 x 2 = 20; 12-GPU jobs: 10 // 2 = 5
    assert f.calc_gang_job_slots(10, 8, 3) == 20 and f.calc_gang_job_slots(10, 8, 12) == 5


@pytest.mark.parametrize("call,field", [
    (lambda: f.calc_paged_kv_waste(0), "tokens"), (lambda: f.calc_paged_kv_waste(10, 0), "block_size"),
    (lambda: f.calc_sequences_that_fit("-1 GB", "1 MB"), "free_memory"), (lambda: f.calc_sequences_that_fit("1 GB", "1 s"), "bytes_per_sequence"),
    (lambda: f.calc_streamed_layers_time(0, "1 ms", "1 ms"), "layers"), (lambda: f.calc_streamed_layers_time(2, "1 GB", "1 ms"), "compute_per_layer"),
    (lambda: f.calc_streamed_layers_time(2, "1 ms", "1 ms", prefetch="yes"), "prefetch"),
    (lambda: f.calc_data_stall_fraction("1 1/s", "0 1/s"), "demand"), (lambda: f.calc_data_stall_fraction("nan 1/s", "1 1/s"), "supply"),
    (lambda: f.calc_cores_needed("1 1/s", "-1 ms"), "cpu_time_per_sample"), (lambda: f.calc_fat_tree_hosts(7), "radix"),
    (lambda: f.calc_fat_tree_hosts(True), "radix"), (lambda: f.calc_torus_bisection_bandwidth([1, 4], "1 GB/s"), "dims"),
    (lambda: f.calc_torus_bisection_bandwidth([4, 4], "1 ms"), "link_bandwidth"), (lambda: f.calc_gang_job_slots(1, 8, 0), "gpus_per_job"),
])
def test_wrappers_reject_bad_input(call, field):
    with pytest.raises(InputError, match=field):
        call()
