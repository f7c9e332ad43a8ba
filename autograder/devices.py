"""The grading device: `cpu`, `cuda` or `auto`. Asking for cuda without one is an error, never a fallback."""
from __future__ import annotations

CHOICES = ("cpu", "cuda", "auto")


class DeviceUnavailable(Exception):
    pass


def resolve_device(name: str) -> str:
    import torch

    if name not in CHOICES:
        raise DeviceUnavailable(f"unknown device {name!r}; choose one of {', '.join(CHOICES)}")
    has_cuda = torch.cuda.is_available()
    if name == "auto":
        return "cuda" if has_cuda else "cpu"
    if name == "cuda" and not has_cuda:
        raise DeviceUnavailable(
            "--device cuda was asked for, but PyTorch sees no CUDA GPU on this machine "
            f"(torch {torch.__version__}, built with CUDA {torch.version.cuda}); "
            "use --device cpu, or --device auto to take a GPU only when there is one")
    return name
