"""What the grader may build in a worker for its checks (`Sandbox.build_module`,
`Sandbox.build_optimizer`): an assignment setting, section [worker_builds] of assignment.toml.

The grader builds reference models and optimizers in the worker (a model of its own to hand to a
student's `train`, an optimizer over a student's model). Only the types named here can be built,
with plain-number arguments; the worker is told the same list and refuses any other. Light to
import: no torch here (the names are checked against torch where torch is loaded).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any, Mapping, Sequence

_NAME = re.compile(r"[A-Z][A-Za-z0-9_]*")
HYPERPARAMETERS = ("lr", "momentum", "weight_decay", "betas", "eps", "dampening", "nesterov", "amsgrad",
                   "alpha", "centered", "maximize", "foreach", "capturable", "differentiable", "fused",
                   "lr_decay", "initial_accumulator_value", "rho", "lambd", "t0", "etas", "step_sizes",
                   "momentum_decay", "decoupled_weight_decay")


@dataclass(frozen=True)
class WorkerBuilds:
    layers: tuple[str, ...] = field(
        default=("Linear", "ReLU", "Sigmoid", "Tanh"),
        metadata={"help": "torch.nn layer classes the checks may build in the worker with "
                          "Sandbox.build_module([(name, *numbers), ...]), e.g. Conv2d, LeakyReLU"},
    )
    optimizers: tuple[str, ...] = field(
        default=("SGD", "Adam"),
        metadata={"help": "torch.optim classes the checks may build over a model in the worker with "
                          "Sandbox.build_optimizer(model, name, **hyperparameters)"},
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str) or not isinstance(value, (tuple, list)) or not value:
                raise ValueError(f"worker_builds.{f.name} must be a non-empty list of class names, got {value!r}")
            bad = [v for v in value if not isinstance(v, str) or not _NAME.fullmatch(v)]
            if bad:
                raise ValueError(f"worker_builds.{f.name}: {bad[0]!r} is not a class name (like Linear or SGD)")
            object.__setattr__(self, f.name, tuple(value))

    @classmethod
    def help(cls) -> dict[str, str]:
        return {f.name: f.metadata["help"] for f in fields(cls)}

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "WorkerBuilds":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown worker_builds key(s) {unknown}; known: {sorted(known)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})

    def to_worker(self) -> dict:
        """What the worker is told (its own refusal of anything else)."""
        return {"layers": list(self.layers), "optimizers": list(self.optimizers),
                "hyperparameters": list(HYPERPARAMETERS)}

    def check_with_torch(self) -> list[str]:
        """Names torch does not know (for `autograder lint` and the sandbox, where torch is loaded)."""
        import torch

        bad = [f"worker_builds.layers: torch.nn has no layer {n!r}" for n in self.layers
               if not (isinstance(getattr(torch.nn, n, None), type) and issubclass(getattr(torch.nn, n), torch.nn.Module))]
        bad += [f"worker_builds.optimizers: torch.optim has no optimizer {n!r}" for n in self.optimizers
                if not (isinstance(getattr(torch.optim, n, None), type)
                        and issubclass(getattr(torch.optim, n), torch.optim.Optimizer))]
        return bad


def plain_number(value: Any) -> bool:
    return type(value) in (int, float, bool)


def layer_spec(layers: Sequence[Sequence[Any]], builds: WorkerBuilds) -> list[tuple]:
    """A reference model's layers, checked in the grader: allowed types, plain-number arguments
    that the layer's constructor accepts (a wrong spec is the grader's fault, never sent)."""
    import inspect

    import torch

    spec = []
    for layer in layers:
        name, args = layer[0], tuple(layer[1:])
        if name not in builds.layers or not all(plain_number(a) for a in args):
            raise ValueError(f"build_module: layer {tuple(layer)!r} is not allowed "
                             f"(allowed: {', '.join(builds.layers)} with number arguments; see [worker_builds])")
        try:
            inspect.signature(getattr(torch.nn, name)).bind(*args)
        except (TypeError, ValueError, AttributeError) as e:
            raise ValueError(f"build_module: layer {tuple(layer)!r}: {e}") from None
        spec.append((name, *args))
    return spec


__all__ = ["HYPERPARAMETERS", "WorkerBuilds", "layer_spec", "plain_number"]
