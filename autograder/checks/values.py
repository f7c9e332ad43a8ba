"""Validators of the values a worker sent back, run in the grader before any comparison.

A student's value is only ever inspected here as plain data (tensors, numbers, containers,
`Handle` and `Unsupported` records): nothing calls a method of an object the student made. Every
failed validation is an `AssertionError` whose message says in words what was expected, without
hidden inputs or reference values, so a check can let it reach the student as it is.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, Sequence

import torch

from autograder.sandbox import Handle, Unsupported

HANDLE_KINDS = {"module": "an nn.Module", "optimizer": "a torch.optim optimizer", "figure": "a matplotlib Figure"}


def type_name(value: Any) -> str:
    """A short, student-facing name for what came back (Unsupported keeps the original type)."""
    if type(value) is Unsupported:
        return str(value.type_name)
    if type(value) is Handle:
        return {"module": "nn.Module", "optimizer": "optimizer", "figure": "Figure"}.get(value.kind, value.kind)
    return type(value).__name__


def device_matches(t: torch.Tensor, device: str | torch.device) -> bool:
    return t.device.type == torch.device(device).type


def expect_tensor(
    value: Any,
    what: str,
    *,
    shape: Sequence[int] | None = None,
    dtype: torch.dtype | Iterable[torch.dtype] | None = None,
    device: str | torch.device | None = None,
    finite: bool = True,
) -> torch.Tensor:
    """Validate a returned value as a tensor; return it (detached, unchanged)."""
    assert isinstance(value, torch.Tensor), f"{what}: returned a {type_name(value)}, expected a tensor"
    if shape is not None:
        assert tuple(value.shape) == tuple(shape), (
            f"{what}: expected shape {list(shape)}, got {list(value.shape)}"
        )
    if dtype is not None:
        allowed = (dtype,) if isinstance(dtype, torch.dtype) else tuple(dtype)
        assert value.dtype in allowed, (
            f"{what}: expected dtype {' or '.join(str(d) for d in allowed)}, got {value.dtype}"
        )
    if device is not None:
        assert device_matches(value, device), (
            f"{what}: expected the result on the input's device ({torch.device(device).type}), "
            f"got it on {value.device.type}"
        )
    if finite and (value.is_floating_point() or value.is_complex()):
        assert bool(torch.isfinite(value).all()), f"{what}: the result contains nan or inf values"
    return value


def expect_tuple(value: Any, what: str, n: int) -> tuple:
    assert isinstance(value, (tuple, list)), (
        f"{what}: returned a {type_name(value)}, expected a tuple of {n} values"
    )
    assert len(value) == n, f"{what}: expected a tuple of {n} values, got {len(value)}"
    return tuple(value)


def expect_number(value: Any, what: str, *, allow_int: bool = True) -> float:
    """A Python float (or int); bool, tensors and anything else are refused."""
    if isinstance(value, torch.Tensor):
        raise AssertionError(
            f"{what}: returned a tensor, expected a Python float (convert with .item())"
        )
    ok = isinstance(value, float) or (allow_int and isinstance(value, numbers.Integral))
    assert ok and not isinstance(value, bool), (
        f"{what}: returned a {type_name(value)}, expected a Python float"
    )
    out = float(value)
    assert math.isfinite(out), f"{what}: returned {out}, expected a finite number"
    return out


def expect_list_of_numbers(value: Any, what: str, n: int, item: str = "value", items: str = "") -> list[float]:
    """A list (or tuple) of exactly n Python floats (`item`, `items`: what one and several are
    called in messages)."""
    assert isinstance(value, (list, tuple)), f"{what}: returned a {type_name(value)}, expected a list of floats"
    assert len(value) == n, f"{what}: expected {n} {items or item + 's'}, got {len(value)}"
    return [expect_number(v, f"{what}, {item} {i + 1}") for i, v in enumerate(value)]


def expect_handle(value: Any, what: str, kind: str) -> Handle:
    assert type(value) is Handle and value.kind == kind, (
        f"{what}: returned a {type_name(value)}, expected {HANDLE_KINDS[kind]}"
    )
    return value


def expect_state_dict(value: Any, what: str) -> dict:
    assert isinstance(value, dict), f"{what}: the model's state_dict could not be read back (got a {type_name(value)})"
    return value


def close(a: torch.Tensor, b: torch.Tensor, *, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    """Compare in the grader, on the CPU, in float64 (a and b may sit on different devices)."""
    a = a.detach().to("cpu")
    b = b.detach().to("cpu")
    if a.shape != b.shape:
        return False
    if a.is_floating_point() or b.is_floating_point():
        return bool(torch.allclose(a.double(), b.double(), rtol=rtol, atol=atol))
    return bool(torch.equal(a, b))


def same(a: Any, b: torch.Tensor) -> bool:
    """`a` is a tensor equal to `b` in shape, dtype and every element (nan == nan)."""
    if not (isinstance(a, torch.Tensor) and a.shape == b.shape and a.dtype == b.dtype):
        return False
    a, b = a.detach().cpu(), b.detach().cpu()
    return bool(torch.equal(a, b)) or (a.is_floating_point() and bool(torch.equal(a.isnan(), b.isnan()))
                                       and bool(torch.equal(a.nan_to_num(0.0), b.nan_to_num(0.0))))
