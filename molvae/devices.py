"""Where tensors live and in which precision: the one place a device name becomes a
:class:`torch.device`, for the model and the metrics alike."""

from __future__ import annotations

import contextlib

import torch

from molvae.config import Precision
from molvae.errors import ConfigError

__all__ = ["resolve_device", "resolve_precision", "autocast", "on_device"]


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """``"auto"``/``None`` → ``cuda`` when available, else ``cpu``; anything else as given."""
    if device is None or str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise ConfigError(f"unknown device {str(device)!r}; use auto, cpu, cuda or cuda:N") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {str(device)!r} asked for, but CUDA is not available here; "
                          "use --device cpu (or auto)")
    return resolved


def resolve_precision(precision: Precision | str | torch.dtype, device: torch.device
                      ) -> torch.dtype:
    """The matmul dtype for ``precision`` on ``device`` (``auto``: bf16 where it is fast; a
    dtype: itself)."""
    if isinstance(precision, torch.dtype):
        if precision not in (torch.float32, torch.bfloat16):
            raise ConfigError(f"precision must be fp32 or bf16, got {precision}")
        return precision
    precision = Precision(precision)
    if precision is Precision.FP32:
        return torch.float32
    if precision is Precision.BF16:
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    if device.type == "cpu":
        cpu = getattr(torch, "cpu", None)
        fast = any(getattr(cpu, name, lambda: False)() for name in
                   ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
        return torch.bfloat16 if fast else torch.float32
    return torch.float32


def autocast(device: torch.device, mm_dtype: torch.dtype) -> contextlib.AbstractContextManager:
    """bf16 autocast on ``device`` when ``mm_dtype`` is bf16, else a no-op context."""
    if mm_dtype == torch.float32 or device.type not in ("cpu", "cuda"):
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=mm_dtype)


def on_device(actual: torch.device, wanted: torch.device) -> bool:
    """Whether a tensor on ``actual`` is on ``wanted`` (``cuda`` means the current GPU)."""
    if actual.type != wanted.type:
        return False
    if wanted.index is None and actual.type == "cuda":
        return actual.index == torch.cuda.current_device()
    return wanted.index is None or actual.index == wanted.index
