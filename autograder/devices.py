"""The grading device: `cpu`, `cuda` (`cuda:N`) or `auto`. Asking for cuda without one is an
error, never a fallback. The one resolver: the command line and the sandbox both use it."""
from __future__ import annotations

from autograder.sandbox.errors import SandboxError

CHOICES = ("cpu", "cuda", "auto")


class DeviceUnavailable(SandboxError, ValueError):
    """An unknown device name (a ValueError), or cuda on a machine without one."""


def resolve_device(name: str) -> str:
    name = str(name)
    if name == "cpu":
        return name  # no torch import: the grading process may not need it
    cuda = name == "cuda" or (name.startswith("cuda:") and name[5:].isdigit())
    if name != "auto" and not cuda:
        raise DeviceUnavailable(f"unknown device {name!r}; choose one of {', '.join(CHOICES)}")
    import torch

    has_cuda = torch.cuda.is_available()
    if name == "auto":
        return "cuda" if has_cuda else "cpu"
    if not has_cuda:
        raise DeviceUnavailable(
            f"--device {name} was asked for, but PyTorch sees no CUDA GPU on this machine "
            f"(torch {torch.__version__}, built with CUDA {torch.version.cuda}); "
            "use --device cpu, or --device auto to take a GPU only when there is one")
    return name
