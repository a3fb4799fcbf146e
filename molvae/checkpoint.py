"""Self-describing checkpoints, written atomically, loaded without executing code from the file.

A checkpoint is a directory::

    model.safetensors    weights (safetensors: tensors only, no code)
    checkpoint.json      model config, tokenizer (kind, vocabulary, selfies version), property and
                         condition normalization stats, training-data fingerprint, molvae and torch
                         versions, metrics, epoch, step
    trainer_state.pt     (only in a resumable checkpoint) optimizer state, step, epoch, batch
                         position, RNG states — tensors and plain types, read with
                         ``torch.load(weights_only=True)``

or a single ``*.safetensors`` file whose header metadata carries ``checkpoint.json`` (convenient
for sharing a trained model; not resumable). A directory is written into a temporary sibling
and swapped in with one rename, so a reader (or a crash) sees the old checkpoint or the new one.

>>> ckpt = load_checkpoint("runs/zinc/best")                  # doctest: +SKIP
>>> ckpt.config.latent_dim, ckpt.metadata["epoch"]            # doctest: +SKIP
(128, 39)
"""

from __future__ import annotations

import ctypes
import datetime as _dt
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from molvae.config import ModelConfig, config_from_dict, config_to_dict
from molvae.errors import CheckpointError, ConfigError

__all__ = [
    "Checkpoint",
    "FORMAT",
    "FORMAT_VERSION",
    "WEIGHTS_FILE",
    "META_FILE",
    "TRAINER_FILE",
    "save_checkpoint",
    "load_checkpoint",
    "load_trainer_state",
    "is_checkpoint",
]

FORMAT, FORMAT_VERSION = "molvae.checkpoint", 1
WEIGHTS_FILE, META_FILE, TRAINER_FILE = "model.safetensors", "checkpoint.json", "trainer_state.pt"
_METADATA_KEY = "molvae"  # key of checkpoint.json inside a single-file checkpoint's header


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint: everything needed to rebuild the model, nothing executable."""

    path: Path
    config: ModelConfig
    state_dict: dict[str, Tensor]
    tokenizer: dict[str, Any]  # molvae.tokenizers.load_tokenizer() takes it
    property_stats: dict[str, tuple[float, float]]  # name -> (mean, std) of the property head
    condition_stats: dict[str, tuple[float, float]]  # name -> (mean, std) of the conditions
    metadata: dict[str, Any] = field(default_factory=dict)  # versions, data, metrics, epoch, step

    @property
    def resumable(self) -> bool:
        return self.path.is_dir() and (self.path / TRAINER_FILE).is_file()


def _molvae_version() -> str:
    from molvae import __version__

    return __version__


def _stats_to_json(stats: Mapping[str, tuple[float, float]]) -> dict[str, dict[str, float]]:
    return {name: {"mean": float(mean), "std": float(std)} for name, (mean, std) in stats.items()}


def _stats_from_json(data: Any, where: str) -> dict[str, tuple[float, float]]:
    try:
        return {str(k): (float(v["mean"]), float(v["std"])) for k, v in dict(data or {}).items()}
    except (TypeError, KeyError, ValueError) as exc:
        raise CheckpointError(f"{where}: malformed normalization stats ({exc}); the file is "
                              "damaged or not from molvae — re-save or retrain the model") from exc


def save_checkpoint(
    path: str | os.PathLike[str],
    *,
    state_dict: Mapping[str, Tensor],
    config: ModelConfig,
    tokenizer: Mapping[str, Any],
    property_stats: Mapping[str, tuple[float, float]] | None = None,
    condition_stats: Mapping[str, tuple[float, float]] | None = None,
    metadata: Mapping[str, Any] | None = None,
    trainer_state: Mapping[str, Any] | None = None,
    extra_files: Mapping[str, bytes] | None = None,
) -> Path:
    """Write a checkpoint directory (or a single ``.safetensors`` file) atomically.

    ``metadata`` (JSON-able: data fingerprint, metrics, epoch, step, run config, ...) is stored
    beside the fixed fields. ``trainer_state`` makes the checkpoint resumable; ``extra_files``
    (name → content, e.g. the training-set summary) are written into the folder with the rest
    (both directories only).
    """
    from safetensors.torch import save_file

    path = Path(path)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "molvae_version": _molvae_version(),
        "torch_version": torch.__version__.split("+")[0],
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        **dict(metadata or {}),
        "model_config": config_to_dict(config),
        "tokenizer": dict(tokenizer),
        "property_stats": _stats_to_json(property_stats or {}),
        "condition_stats": _stats_to_json(condition_stats or {}),
    }
    try:
        text = json.dumps(meta, indent=1, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint metadata for {str(path)!r} is not JSON-able: {exc}") from exc
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state_dict.items()}
    if path.suffix == ".safetensors":
        if trainer_state is not None or extra_files:
            raise CheckpointError(f"{str(path)!r}: a single-file checkpoint cannot hold the trainer "
                                  "state or extra files; give a directory instead")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            save_file(tensors, tmp, metadata={_METADATA_KEY: text})
            _fsync(tmp)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
        return path

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        save_file(tensors, str(tmp_dir / WEIGHTS_FILE))
        (tmp_dir / META_FILE).write_text(text, encoding="utf-8")
        if trainer_state is not None:
            torch.save(dict(trainer_state), tmp_dir / TRAINER_FILE)
        for name, content in (extra_files or {}).items():
            if os.sep in name or name in (WEIGHTS_FILE, META_FILE, TRAINER_FILE):
                raise CheckpointError(f"cannot add {name!r} to a checkpoint: not a plain new name")
            (tmp_dir / name).write_bytes(content)
        for name in os.listdir(tmp_dir):
            _fsync(tmp_dir / name)
        _swap_in(tmp_dir, path)
    finally:
        if tmp_dir.exists():
            shutil.rmtree(tmp_dir, ignore_errors=True)
    return path


def _fsync(path: str | os.PathLike[str]) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


_RENAME_EXCHANGE = 2


def _swap_in(new_dir: Path, target: Path) -> None:
    """Make ``new_dir`` appear at ``target`` in one step; the old ``target`` is removed after."""
    if not target.exists():
        os.rename(new_dir, target)
        return
    if not target.is_dir():
        raise CheckpointError(f"{str(target)!r} exists and is not a checkpoint directory; "
                              "remove it or choose another output path")
    if _rename_exchange(new_dir, target):  # Linux: atomic swap, new_dir now holds the old one
        shutil.rmtree(new_dir, ignore_errors=True)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.rename(target, old)  # elsewhere: two renames; a crash in between leaves `old` to recover
    os.rename(new_dir, target)
    shutil.rmtree(old, ignore_errors=True)


def _rename_exchange(a: Path, b: Path) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


# ----------------------------------------------------------------------------- loading


def is_checkpoint(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` looks like a molvae checkpoint (directory or single file)."""
    path = Path(path)
    if path.is_dir():
        return (path / META_FILE).is_file() and (path / WEIGHTS_FILE).is_file()
    return path.is_file() and path.suffix == ".safetensors"


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint directory or single file; tensors are loaded onto the CPU.

    Raises :class:`CheckpointError` naming the missing or damaged file and what to do.
    """
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    path = Path(path).expanduser()
    if path.is_dir():
        meta_path, weights_path = path / META_FILE, path / WEIGHTS_FILE
        for needed in (meta_path, weights_path):
            if not needed.is_file():
                raise CheckpointError(f"{str(path)!r} is not a complete molvae checkpoint: "
                                      f"{needed.name} is missing (was the run stopped before its "
                                      "first checkpoint? point to the run's `last` or `best` folder)")
        try:
            text = meta_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"cannot read {str(meta_path)!r}: {exc}") from exc
        where = str(meta_path)
    elif path.is_file():
        weights_path, where = path, str(path)
        try:
            with safe_open(str(path), framework="pt") as handle:
                text = (handle.metadata() or {}).get(_METADATA_KEY)
        except (SafetensorError, OSError, ValueError) as exc:
            raise CheckpointError(f"{str(path)!r} is not a safetensors checkpoint ({exc}); a molvae "
                                  "checkpoint is a folder or a .safetensors file written by "
                                  "MolVAE.save") from exc
        if text is None:
            raise CheckpointError(f"{str(path)!r} is a safetensors file without molvae metadata; "
                                  "save models with MolVAE.save so they describe themselves")
    else:
        raise CheckpointError(f"no checkpoint at {str(path)!r}: neither a folder nor a file exists "
                              "there")
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{where} is not valid JSON ({exc}); the checkpoint is damaged — "
                              "use another one (e.g. `best` instead of `last`)") from exc
    _check_meta(meta, where)
    try:
        config = config_from_dict({"model": meta["model_config"]}, origin=where).model
    except ConfigError as exc:
        raise CheckpointError(f"{where}: model config not understood ({exc}); it was written by a "
                              f"different molvae version ({meta.get('molvae_version')})") from exc
    try:
        state_dict = load_file(str(weights_path), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"cannot read weights {str(weights_path)!r} ({exc}); the file is "
                              "damaged or truncated — use another checkpoint") from exc
    return Checkpoint(
        path=path,
        config=config,
        state_dict=state_dict,
        tokenizer=dict(meta["tokenizer"]),
        property_stats=_stats_from_json(meta.get("property_stats"), where),
        condition_stats=_stats_from_json(meta.get("condition_stats"), where),
        metadata={k: v for k, v in meta.items()
                  if k not in ("model_config", "tokenizer", "property_stats", "condition_stats")},
    )


def _check_meta(meta: Any, where: str) -> None:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{where} is not a molvae checkpoint description (format {FORMAT!r})")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(f"{where} has checkpoint format version {version!r}, newer than this "
                              f"molvae understands ({FORMAT_VERSION}); upgrade molvae")
    for key in ("model_config", "tokenizer"):
        if not isinstance(meta.get(key), dict):
            raise CheckpointError(f"{where} lacks {key!r}; the checkpoint is incomplete")


def load_trainer_state(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The trainer state of a resumable checkpoint directory (``torch.load(weights_only=True)``)."""
    file = Path(path) / TRAINER_FILE
    if not file.is_file():
        raise CheckpointError(f"{str(Path(path))!r} is not resumable: {TRAINER_FILE} is missing "
                              "(only a run's `last` checkpoint can be resumed)")
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a damaged/unsafe file
        raise CheckpointError(f"cannot read {str(file)!r} safely ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0] if str(exc) else ''}); it is damaged or "
                              "holds more than tensors and plain values — start a new run") from exc
    if not isinstance(state, dict):
        raise CheckpointError(f"{str(file)!r} does not hold a trainer state dictionary")
    return state
