"""Config files: the shipped ones by name, YAML read into a :class:`RunConfig` (a misspelt key
fails loudly), a config written back as a dict, and the config a ``molvae train SOURCE`` uses."""

from __future__ import annotations

import dataclasses
import enum
import os
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from molvae.config.overrides import _closest, _coerce, _field_types, with_overrides
from molvae.config.sections import _SECTIONS, RunConfig
from molvae.errors import ConfigError

__all__ = ["shipped_configs", "load_config", "config_from_dict", "config_to_dict",
           "run_config_for"]

def shipped_configs() -> dict[str, Path]:
    """The configs shipped with molvae, by name (``zinc``, ``moses``, ``tiny``, ...)."""
    found: dict[str, Path] = {}
    for folder in _config_dirs():
        for path in sorted(folder.glob("*.yaml")):
            found.setdefault(path.stem, path)
    return found


def _config_dirs() -> list[Path]:
    package = Path(__file__).resolve().parents[1]  # molvae/
    # an installed wheel carries them in molvae/configs; a source checkout has them in configs/
    return [d for d in (package / "configs", package.parent / "configs") if d.is_dir()]


def _resolve_path(path: str | os.PathLike[str]) -> Path:
    candidate = Path(path).expanduser()
    if candidate.exists():
        return candidate
    text = str(path)
    if candidate.suffix == "" and os.sep not in text and "/" not in text:
        shipped = shipped_configs()
        if text in shipped:
            return shipped[text]
        hint = _closest(text, shipped)
        raise ConfigError(f"no config file {text!r} and no shipped config of that name{hint}; "
                          f"shipped configs: {', '.join(sorted(shipped)) or 'none found'}")
    raise ConfigError(f"config file {text!r} does not exist")


def load_config(path: str | os.PathLike[str]) -> RunConfig:
    """Read a YAML config (a path, or the name of a shipped config such as ``"zinc"``).

    Missing sections and keys take their defaults; an unknown section or key raises
    :class:`ConfigError` naming it, its section, and the valid keys.
    """
    import yaml

    resolved = _resolve_path(path)
    try:
        data = yaml.safe_load(resolved.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {str(resolved)!r} is not valid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"config file {str(resolved)!r} must hold a mapping with sections "
                          f"{', '.join(_SECTIONS)}, not a {type(data).__name__}")
    return config_from_dict(data, origin=str(resolved))


def config_from_dict(data: Mapping[str, Any], *, origin: str = "config") -> RunConfig:
    """Build a :class:`RunConfig` from ``{"data": {...}, "model": {...}, "train": {...}}``."""
    unknown = [key for key in data if key not in _SECTIONS]
    if unknown:
        key = unknown[0]
        raise ConfigError(f"unknown section {key!r} in {origin}{_closest(str(key), _SECTIONS)}; "
                          f"valid sections: {', '.join(_SECTIONS)}")
    sections = {}
    for name, cls in _SECTIONS.items():
        values = data.get(name) or {}
        if not isinstance(values, Mapping):
            raise ConfigError(f"section {name!r} of {origin} must be a mapping of keys to values")
        sections[name] = _build_section(name, cls, values, origin=origin)
    return RunConfig(**sections)


def _build_section(section: str, cls: type, values: Mapping[str, Any], *, origin: str) -> Any:
    valid = {f.name: f for f in fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in valid:
            raise ConfigError(f"unknown key {key!r} in section {section!r} of {origin}"
                              f"{_closest(str(key), valid)}; valid keys: {', '.join(valid)}")
        kwargs[key] = _coerce(value, _field_types(cls)[key], f"{section}.{key}")
    return cls(**kwargs)


def config_to_dict(config: Any) -> dict[str, Any]:
    """Plain JSON/YAML-able dict of a config dataclass (enums as their values, tuples as lists)."""

    def plain(value: Any) -> Any:
        if isinstance(value, enum.Enum):
            return value.value
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
        return value

    return plain(config)


def run_config_for(source: str, *, config: str | os.PathLike[str] | None = None,
                   **overrides: Any) -> RunConfig:
    """The run config of ``molvae train SOURCE [--config FILE] [--field value ...]``.

    Without ``config``: the shipped config named like the dataset (``zinc``, ``moses``) if there is
    one, else ``zinc`` (the default sizes). ``data.source`` is set to ``source``; ``overrides``
    are single fields as in :func:`with_overrides`.

    >>> run_config_for("my.csv", smiles_column="smi", epochs=3).data.source
    'my.csv'
    """
    if config is None:
        shipped = shipped_configs()
        name = str(source).split(":", 1)[0]
        config = name if name in shipped and name in ("zinc", "moses") else "zinc"
    return with_overrides(load_config(config), **{"source": str(source), **overrides})
