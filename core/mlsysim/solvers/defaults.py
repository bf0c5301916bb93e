"""Default assumptions of the solvers, each with its source.

DEFAULT_EFFICIENCY = 0.5: the fraction of dense peak FLOP/s that well-tuned
large matrix kernels sustain end to end. Published model FLOP utilisation of
large training runs lies near it: 46.2% for PaLM 540B on TPU v4 (Chowdhery et
al. 2022, Table 3), 38-43% for Llama 3 405B on H100 (Dubey et al. 2024,
Table 4). Small batches and small kernels reach far less; lower it there.

DEFAULT_BANDWIDTH_EFFICIENCY = 1.0: memory traffic runs at the datasheet
bandwidth, the roofline's convention (Williams et al. 2009). Measured STREAM-
like rates on HBM are 80-90% of it; pass a lower value to model that.
"""

DEFAULT_EFFICIENCY = 0.5
DEFAULT_BANDWIDTH_EFFICIENCY = 1.0
