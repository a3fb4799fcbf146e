"""Reading molecules from files: CSV/TSV (the SMILES column found by name), .smi/.txt, SDF,
gzipped or not."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

from molvae.data.locations import DATASET_NAMES
from molvae.errors import DatasetError

__all__ = ["read_smiles"]


_SMILES_COLUMN_GUESSES = ("smiles", "SMILES", "Smiles", "canonical_smiles", "smi")


def _open_text(path: Path):
    return gzip.open(path, "rt") if path.suffix == ".gz" else open(path, "rt")


def _kind_of(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    ext = suffixes[-1] if suffixes else ""
    if ext in (".csv", ".tsv"):
        return ext[1:]
    if ext in (".smi", ".smiles", ".txt"):
        return "smi"
    if ext in (".sdf", ".sd"):
        return "sdf"
    raise DatasetError(f"cannot read {path.name!r}: unknown file type {ext or '(none)'}; "
                       "use .csv, .tsv, .smi/.smiles/.txt or .sdf (optionally gzipped)")


def read_smiles(path: str | Path, *, smiles_column: str | None = None,
                limit: int | None = None) -> list[str]:
    """Read the raw SMILES strings of a CSV/TSV (column by name), .smi (first field) or SDF file.

    Rows are returned as they are (empty string for an empty cell or an SDF record RDKit cannot
    read), so row numbers stay aligned with the file; validation happens in :func:`load_dataset`.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise DatasetError(f"no such file: {str(path)!r}; give a CSV, .smi or .sdf path, "
                           f"or a dataset name ({', '.join(DATASET_NAMES)})")
    if path.is_dir():
        raise DatasetError(f"{str(path)!r} is a folder; give a CSV, .smi or .sdf file inside it")
    kind = _kind_of(path)
    if path.stat().st_size == 0:
        raise DatasetError(f"{path.name!r} is empty; it must hold one molecule per row")
    if kind in ("csv", "tsv"):
        rows = _read_table(path, sep="," if kind == "csv" else "\t", smiles_column=smiles_column,
                           limit=limit)
    elif kind == "smi":
        rows = _read_smi(path, limit=limit)
    else:
        rows = _read_sdf(path, limit=limit)
    if not rows:
        raise DatasetError(f"{path.name!r} holds no molecules; it must hold one molecule per row")
    return rows


def _read_table(path: Path, *, sep: str, smiles_column: str | None, limit: int | None) -> list[str]:
    try:
        header = pd.read_csv(path, sep=sep, nrows=0)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise DatasetError(f"cannot parse {path.name!r} as a table ({err}); "
                           "is it really a CSV? A .smi file lists one SMILES per line") from err
    columns = [str(c) for c in header.columns]
    column = smiles_column or next((c for c in _SMILES_COLUMN_GUESSES if c in columns), None)
    if column is None or column not in columns:
        wanted = f"column {smiles_column!r}" if smiles_column else "a 'SMILES' or 'smiles' column"
        raise DatasetError(f"{path.name!r} has no {wanted}; its columns are: "
                           f"{', '.join(columns[:20]) or '(none)'}; choose one with --smiles-column NAME")
    frame = pd.read_csv(path, sep=sep, usecols=[column], nrows=limit, dtype=str,
                        keep_default_na=False, on_bad_lines="warn")
    return [s.strip() for s in frame[column].tolist()]


def _read_smi(path: Path, *, limit: int | None) -> list[str]:
    rows: list[str] = []
    with _open_text(path) as fh:
        for i, line in enumerate(fh):
            if limit is not None and len(rows) >= limit:
                break
            fields = line.split()
            token = fields[0] if fields else ""
            if i == 0 and token.lower() in ("smiles", "smi", "canonical_smiles"):
                continue  # a header line
            rows.append(token)
    # trailing blank lines are file formatting, not molecules
    while rows and rows[-1] == "":
        rows.pop()
    return rows


def _read_sdf(path: Path, *, limit: int | None) -> list[str]:
    from rdkit import Chem

    from molvae.chemistry import rdkit_quiet

    rows: list[str] = []
    with rdkit_quiet(), (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as fh:
        for mol in Chem.ForwardSDMolSupplier(fh):
            if limit is not None and len(rows) >= limit:
                break
            rows.append(Chem.MolToSmiles(mol) if mol is not None else "")
    return rows
