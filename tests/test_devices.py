"""molvae.devices: one resolve_device for the model and the metrics, and precision by device."""

import pytest
import torch

from molvae.devices import resolve_device, resolve_precision
from molvae.errors import ConfigError


def test_auto_device_is_cuda_only_when_available() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device(None).type == expected


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_asking_for_cuda_without_it_raises_a_config_error() -> None:
    with pytest.raises(ConfigError, match="CUDA is not available"):
        resolve_device("cuda")


def test_an_unknown_device_name_is_a_config_error_naming_the_choices() -> None:
    with pytest.raises(ConfigError, match="use auto, cpu, cuda or cuda:N"):
        resolve_device("gpu0")


def test_the_metrics_resolve_devices_the_same_way() -> None:
    from molvae.metrics import fcd, similarity

    assert similarity.resolve_device is resolve_device
    assert fcd.resolve_device is resolve_device


def test_precision_resolves_to_a_dtype() -> None:
    cpu = torch.device("cpu")
    assert resolve_precision("fp32", cpu) == torch.float32
    assert resolve_precision("bf16", cpu) == torch.bfloat16
    assert resolve_precision("auto", cpu) in (torch.float32, torch.bfloat16)
