"""Changing single fields of a config by name (``with_overrides(cfg, epochs=3)``, the CLI's
``--set train.lr=0.001``), each value coerced to its field's type with a one-line error."""

from __future__ import annotations

import dataclasses
import difflib
import enum
import os
import types
import typing
from dataclasses import fields
from typing import Any, Union

from molvae.config.sections import _SECTIONS, RunConfig
from molvae.errors import ConfigError

__all__ = ["override_fields", "with_overrides"]

def override_fields() -> dict[str, str]:
    """Every field that :func:`with_overrides` accepts, mapped to its section."""
    return {f.name: section for section, cls in _SECTIONS.items() for f in fields(cls)}


def with_overrides(config: RunConfig, **overrides: Any) -> RunConfig:
    """A copy of ``config`` with single fields replaced, e.g. ``epochs=3, tokenizer="selfies"``.

    Field names are unique across sections; ``"train.epochs"``-style keys work too (pass them
    with ``**{...}``). Values are coerced to the field's type (strings such as ``"3"``, ``"true"``,
    ``"logp,qed"`` are accepted, as a CLI gives them); ``None`` values are ignored.
    """
    owner = override_fields()
    changes: dict[str, dict[str, Any]] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        section, _, name = key.rpartition(".")
        if not section:
            if name not in owner:
                raise ConfigError(f"unknown config field {name!r}{_closest(name, owner)}; "
                                  f"valid fields: {', '.join(owner)}")
            section = owner[name]
        elif section not in _SECTIONS:
            raise ConfigError(f"unknown section {section!r} in override {key!r}"
                              f"{_closest(section, _SECTIONS)}; valid sections: {', '.join(_SECTIONS)}")
        cls = _SECTIONS[section]
        types_ = _field_types(cls)
        if name not in types_:
            raise ConfigError(f"unknown key {name!r} in section {section!r}{_closest(name, types_)}; "
                              f"valid keys: {', '.join(types_)}")
        changes.setdefault(section, {})[name] = _coerce(value, types_[name], f"{section}.{name}")
    return RunConfig(**{
        section: dataclasses.replace(getattr(config, section), **changes.get(section, {}))
        for section in _SECTIONS
    })


# ----------------------------------------------------------------------------- coercion


@typing.no_type_check
def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    """``value`` as ``annotation`` (int, float, bool, str, enum, tuple[str, ...], X | None)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null")):
            return None
        return _coerce(value, inner[0], where)
    if origin is tuple:
        if isinstance(value, str):
            items = [v.strip() for v in value.split(",") if v.strip()]
        elif isinstance(value, (list, tuple)):
            items = list(value)
        elif value is None:
            items = []
        else:
            raise ConfigError(f"{where} must be a list, got {value!r}")
        return tuple(_coerce(v, args[0], where) for v in items)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        text = value.value if isinstance(value, enum.Enum) else str(value).strip().lower()
        try:
            return annotation(text)
        except ValueError:
            valid = [m.value for m in annotation]
            raise ConfigError(f"{where} must be one of {', '.join(valid)}, got {value!r}"
                              f"{_closest(str(text), valid)}") from None
    if annotation is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "on", "1"):
            return True
        if text in ("false", "no", "off", "0"):
            return False
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    if annotation is int:
        if isinstance(value, bool):
            raise ConfigError(f"{where} must be an integer, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(str(value).strip().replace("_", ""))
        except ValueError:
            raise ConfigError(f"{where} must be an integer, got {value!r}") from None
    if annotation is float:
        if isinstance(value, bool):
            raise ConfigError(f"{where} must be a number, got {value!r}")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be a number, got {value!r}") from None
    if annotation is str:
        if isinstance(value, (str, int, float, os.PathLike)) and not isinstance(value, bool):
            return str(value) if not isinstance(value, os.PathLike) else os.fspath(value)
        raise ConfigError(f"{where} must be a string, got {value!r}")
    return value  # pragma: no cover - every field type is handled above


def _closest(word: str, options: Any) -> str:
    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""
