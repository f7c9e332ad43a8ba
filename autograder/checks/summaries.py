"""Readers of the plain-data summaries that come with module and optimizer handles.

A summary is written in the student's process (see docs/architecture.md, "The sandbox
contract"): it describes the student's own object, so it is read defensively (a missing or odd
field reads as "not there", never as a crash) and trusted no further than a value that object
returned.
"""
from __future__ import annotations

from typing import Any

import torch

from autograder.sandbox import Handle


def short_type(name: Any) -> str:
    return str(name).rsplit(".", 1)[-1]


def summary_number(value: Any, default: float = float("nan")) -> float:
    """A number from a summary (plain data, but written in the student's process)."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def module_leaves(handle: Handle) -> list[dict]:
    """The module's leaf layers in registration order: dicts with `type` and, for Linear,
    `in_features`, `out_features`, `bias`."""
    return [m for m in handle.summary.get("modules", []) if isinstance(m, dict)]


def module_leaf_types(handle: Handle) -> list[str]:
    """The leaf layers by class name ("Linear", "ReLU", ...)."""
    return [short_type(m.get("type")) for m in module_leaves(handle)]


def module_param_ids(handle: Handle) -> list[int]:
    return list(handle.summary.get("param_ids", []))


def module_devices(handle: Handle) -> set[str]:
    """Device types of the module's parameters ("cpu", "cuda")."""
    return {str(d).split(":")[0] for d in handle.summary.get("param_devices", [])}


def module_parameters(handle: Handle) -> list[dict]:
    """name, shape, dtype, requires_grad of each parameter."""
    return [p for p in handle.summary.get("parameters", []) if isinstance(p, dict)]


def optimizer_class(handle: Handle) -> str:
    return short_type(handle.summary.get("type", "?"))


def optimizer_groups(handle: Handle) -> list[dict]:
    groups = handle.summary.get("param_groups", [])
    assert isinstance(groups, list) and groups, "the optimizer has no parameter groups"
    return [g for g in groups if isinstance(g, dict)]


def optimizer_param_ids(handle: Handle) -> list[int]:
    return list(handle.summary.get("param_ids", []))
