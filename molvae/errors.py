"""The exception types of molvae.

Every error raised on purpose by molvae derives from :class:`MolvaeError`, so callers can catch
one type; the CLI turns these into a one-line message and exit code 1. Messages quote the
offending input and say how to fix it.
"""

from __future__ import annotations

__all__ = [
    "MolvaeError",
    "InvalidMoleculeError",
    "TokenizationError",
    "DatasetError",
    "UnknownPropertyError",
    "ConfigError",
    "CheckpointError",
]


class MolvaeError(Exception):
    """Base class of every error molvae raises on purpose."""


class InvalidMoleculeError(MolvaeError, ValueError):
    """A SMILES string (or other molecule input) that RDKit cannot parse."""


class TokenizationError(MolvaeError, ValueError):
    """A molecule that cannot be turned into tokens of the vocabulary (or back)."""


class DatasetError(MolvaeError):
    """A dataset that cannot be found, read or understood."""


class UnknownPropertyError(MolvaeError, KeyError):
    """A property name that is not in the registry."""

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return str(self.args[0]) if self.args else ""


class ConfigError(MolvaeError, ValueError):
    """A configuration file or override with an unknown key or a bad value."""


class CheckpointError(MolvaeError):
    """A checkpoint that is missing, incomplete or incompatible."""
