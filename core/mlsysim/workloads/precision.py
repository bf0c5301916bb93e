"""Numeric precisions: bytes per value, from one table.

Bytes per value follow the IEEE 754 / OCP formats: fp32 and tf32 are stored in
4 bytes (tf32 is an fp32 storage format computed with a 10-bit mantissa),
bf16/fp16 in 2, fp8 (E4M3/E5M2, OCP 8-bit FP spec 2023) and int8 in 1, fp4 (E2M1, OCP
Microscaling spec 2023) and int4 in half a byte (two values packed per byte).
"""

from __future__ import annotations

from ..core.errors import InputError

BYTES_PER_VALUE: dict[str, float] = {
    "fp32": 4.0,
    "tf32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "fp4": 0.5,
    "int4": 0.5,
}

PRECISIONS: tuple[str, ...] = tuple(BYTES_PER_VALUE)

# When an accelerator lists no peak for a precision, the values are computed in
# the nearest wider format it does list (e.g. int4 weights dequantised to int8 or
# fp16 before the matrix unit). Narrower formats never borrow a wider one's speed
# the other way round: fp32 on an int8-only NPU is simply unsupported.
COMPUTE_FALLBACK: dict[str, tuple[str, ...]] = {
    "int4": ("int8", "fp8", "fp16", "bf16"),
    "fp4": ("fp8", "fp16", "bf16"),
    "int8": ("fp16", "bf16"),
    "fp8": ("fp16", "bf16"),
    "bf16": ("fp16", "fp32"),
    "fp16": ("bf16", "fp32"),
    "tf32": ("fp32",),
    "fp32": (),
}


def check_precision(precision, field: str = "precision") -> str:
    """Return the normalised precision name or raise an error listing the accepted ones."""
    if precision.__class__ is str and precision in BYTES_PER_VALUE:  # already normalised (most calls)
        return precision
    if isinstance(precision, str):
        p = precision.strip().lower()
        if p in BYTES_PER_VALUE:
            return p
    raise InputError(field, precision, "one of " + ", ".join(PRECISIONS))


def bytes_per_value(precision: str) -> float:
    """Bytes one value of ``precision`` takes (``BYTES_PER_VALUE``), for a name as written or normalised.

    A solve asks this half a dozen times of a name it has already normalised: an exact name is looked up
    directly, anything else ("FP16 ", a typo, a number) goes through ``check_precision`` and its error."""
    if precision.__class__ is str:
        value = BYTES_PER_VALUE.get(precision)
        if value is not None:
            return value
    return BYTES_PER_VALUE[check_precision(precision)]
