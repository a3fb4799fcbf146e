"""Figures for notebooks and reports: latent maps, molecule grids, interpolation strips,
training curves and property distributions.

>>> import molvae as mv
>>> vae = mv.MolVAE.load("zinc")                                               # doctest: +SKIP
>>> mv.plots.latent_map(vae, smiles, color="logp", path="map.png")             # doctest: +SKIP
>>> mv.plots.molecule_grid(result.frame, legend="score", path="top.svg")       # doctest: +SKIP

matplotlib figures are returned (a notebook shows them); molecule drawings are RDKit images
(PIL in PNG mode, SVG text otherwise). With ``path=...`` each function also writes the figure,
PNG or SVG by the file's suffix, atomically. The CLI's ``molvae plot ...`` calls these.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from molvae.errors import MolvaeError
from molvae.files import atomic_write, atomic_write_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from molvae.vae import MolVAE

__all__ = ["latent_map", "project_2d", "molecule_grid", "interpolation_strip", "training_curves",
           "property_distributions"]

PathLike = str | os.PathLike[str]
_FORMATS = (".png", ".svg")


def _check_path(path: PathLike | None) -> Path | None:
    if path is None:
        return None
    path = Path(path)
    if path.suffix.lower() not in _FORMATS:
        raise MolvaeError(f"cannot draw to {path.name!r}: use a .png or .svg file name")
    return path


def _pyplot():
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise MolvaeError("plots need matplotlib: pip install matplotlib") from exc
    if not os.environ.get("DISPLAY") and "inline" not in matplotlib.get_backend().lower():
        matplotlib.use("Agg")  # headless (CLI, CI); notebooks keep their inline backend
    import matplotlib.pyplot as plt

    return plt


def _save_figure(figure: Figure, path: Path | None) -> None:
    if path is None:
        return
    fmt = path.suffix.lower().lstrip(".")
    atomic_write(path, lambda tmp: figure.savefig(tmp, format=fmt, dpi=150, bbox_inches="tight"))


# ----------------------------------------------------------------------------- latent map


def project_2d(z: np.ndarray, method: Literal["pca", "umap"] = "pca", *,
               seed: int = 0) -> np.ndarray:
    """Two coordinates per row of ``z``: PCA (by SVD of the centred codes; axes ordered by
    variance, signs fixed so the result does not depend on the LAPACK build) or UMAP (package
    ``umap-learn``, when installed)."""
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2 or z.shape[0] < 2:
        raise MolvaeError(f"a latent map needs at least 2 encoded molecules, got {z.shape[0]}")
    if method == "umap":
        try:
            import umap
        except ImportError as exc:
            raise MolvaeError("method='umap' needs the umap-learn package: pip install "
                              "umap-learn (or use method='pca')") from exc
        return umap.UMAP(n_components=2, random_state=seed).fit_transform(z)
    if method != "pca":
        raise MolvaeError(f"unknown projection {method!r}: use 'pca' or 'umap'")
    centred = z - z.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:2]
    axes *= np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(1)])[:, None]
    out = centred @ axes.T
    return out if out.shape[1] == 2 else np.column_stack([out, np.zeros(len(out))])


def latent_map(vae: MolVAE, smiles: Sequence[Any], *, color: str | Sequence[float] | None = "logp",
               method: Literal["pca", "umap"] = "pca", seed: int = 0, ax: Any = None,
               path: PathLike | None = None, title: str | None = None) -> Figure:
    """Encode molecules and scatter their codes in 2-D, coloured by a property name (computed
    with RDKit), by given values, or not at all (``color=None``). Molecules the model cannot
    encode are left out (the title says how many)."""
    out = _check_path(path)
    plt = _pyplot()
    items = list(smiles)
    z = vae.encode(items, on_invalid="nan")
    ok = ~np.isnan(z).any(1)
    xy = project_2d(z[ok], method, seed=seed)
    if ax is None:
        figure, ax = plt.subplots(figsize=(6, 5))
    else:
        figure = ax.figure
    label = None
    values = None
    if isinstance(color, str):
        from molvae.chemistry import compute_properties

        from molvae.chemistry import canonical_or_input

        kept = [canonical_or_input(items[i]) for i in np.flatnonzero(ok)]
        values = compute_properties(kept, [color])[color]
        values = values.to_numpy(dtype=float)
        label = color
    elif color is not None:
        values = np.asarray(color, dtype=float)
        if values.shape != (len(items),):
            raise MolvaeError(f"color needs one value per molecule ({len(items)}), got "
                              f"{values.shape}")
        values = values[ok]
        label = "value"
    style = {"c": values, "cmap": "viridis"} if values is not None else {}
    points = ax.scatter(xy[:, 0], xy[:, 1], s=8, alpha=0.8, linewidths=0, **style)
    if values is not None:
        figure.colorbar(points, ax=ax, label=label)
    axis = "PC" if method == "pca" else "UMAP "
    ax.set_xlabel(f"{axis}1")
    ax.set_ylabel(f"{axis}2")
    dropped = int((~ok).sum())
    ax.set_title(title or f"latent space of {int(ok.sum())} molecules"
                 + (f" ({dropped} not encodable)" if dropped else ""))
    _save_figure(figure, out)
    return figure


# ----------------------------------------------------------------------------- molecule grids


def molecule_grid(molecules: Sequence[Any] | pd.DataFrame, *, legends: Sequence[str] | None = None,
                  legend: str | None = None, n: int | None = None, mols_per_row: int = 4,
                  sub_img_size: tuple[int, int] = (250, 200), svg: bool | None = None,
                  keep_invalid: bool = False, path: PathLike | None = None) -> Any:
    """Draw molecules in a grid with legends. ``molecules``: SMILES/Mols, or a DataFrame with a
    ``smiles`` column whose ``legend`` column labels each drawing (numbers to 3 decimals).
    Invalid entries are skipped, or drawn as empty cells with ``keep_invalid=True``. Returns a
    PIL image, or SVG text (``svg=True`` or an .svg path)."""
    from rdkit import Chem

    from molvae.chemistry import rdkit_quiet

    out = _check_path(path)
    Draw = _rdkit_draw()  # noqa: N806 (RDKit's module name)
    if isinstance(molecules, pd.DataFrame):
        frame = molecules if keep_invalid else molecules.dropna(subset=["smiles"])
        items = frame["smiles"].tolist()
        if legends is None and legend is not None:
            if legend not in frame:
                raise MolvaeError(f"no column {legend!r} to label the grid with; columns are "
                                  f"{list(frame.columns)}")
            legends = [_label(legend, v) for v in frame[legend]]
    else:
        items = list(molecules)
    if legends is not None and len(legends) != len(items):
        raise MolvaeError(f"{len(legends)} legends for {len(items)} molecules")
    with rdkit_quiet():
        mols = [m if isinstance(m, Chem.Mol) else Chem.MolFromSmiles(m) if isinstance(m, str)
                else None for m in items]
    keep = [i for i, m in enumerate(mols) if m is not None or keep_invalid][:n]
    if not keep:
        raise MolvaeError("no valid molecule to draw")
    svg = (out is not None and out.suffix.lower() == ".svg") if svg is None else svg
    image = Draw.MolsToGridImage([mols[i] for i in keep], molsPerRow=min(mols_per_row, len(keep)),
                                 subImgSize=sub_img_size,
                                 legends=[str(legends[i]) for i in keep] if legends else None,
                                 useSVG=svg)
    if svg and not isinstance(image, str):
        image = image.data  # IPython's SVG wrapper
    if out is not None:
        if out.suffix.lower() == ".svg":
            if not svg:
                raise MolvaeError("svg=False cannot be written to an .svg file")
            atomic_write_text(out, image)
        else:
            if svg:
                raise MolvaeError("svg=True cannot be written to a .png file")
            atomic_write(out, lambda tmp: image.save(tmp, format="PNG"))
    return image


def _rdkit_draw() -> Any:
    try:
        from rdkit.Chem import Draw
    except ImportError as err:  # a headless machine without the X libraries RDKit's drawing links
        raise MolvaeError(f"RDKit cannot draw molecules on this machine ({err}); install the X "
                          "rendering libraries (Debian/Ubuntu: apt install libxrender1 libxext6)"
                          ) from err
    return Draw


def _label(name: str, value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{name} {value:.3f}" if math.isfinite(value) else f"{name} n/a"
    return f"{name} {value}"


def interpolation_strip(vae: MolVAE | None = None, start: Any = None, end: Any = None,
                        steps: int = 8, *, frame: pd.DataFrame | None = None,
                        method: Literal["slerp", "linear"] = "slerp", mols_per_row: int = 8,
                        path: PathLike | None = None) -> Any:
    """The molecules along a latent interpolation in one strip, labelled with t and the
    similarity to the start; invalid points are empty cells. Pass ``vae, start, end`` or a
    frame from :func:`molvae.latent.interpolate`."""
    if frame is None:
        if vae is None or start is None or end is None:
            raise MolvaeError("interpolation_strip needs vae, start and end, or frame=")
        from molvae.latent import interpolate

        frame = interpolate(vae, start, end, steps, method=method)
    legends = [f"t={t:.2f} sim={s:.2f}" if isinstance(m, str) else f"t={t:.2f} invalid"
               for t, m, s in zip(frame["t"], frame["smiles"], frame["similarity_to_start"])]
    return molecule_grid(frame, legends=legends, mols_per_row=mols_per_row, keep_invalid=True,
                         path=path)


# ----------------------------------------------------------------------------- training


def _read_metrics(run: PathLike | pd.DataFrame) -> pd.DataFrame:
    if isinstance(run, pd.DataFrame):
        return run
    from molvae.training import METRICS_FILE

    path = Path(run)
    if path.is_dir():
        path = path / METRICS_FILE
    if not path.is_file():
        raise MolvaeError(f"no training log at {str(path)!r}; pass a run folder (with "
                          f"{METRICS_FILE}) or the CSV file itself")
    return pd.read_csv(path)


def training_curves(run: PathLike | pd.DataFrame, *, path: PathLike | None = None) -> Figure:
    """Loss parts per step and the per-epoch validation metrics of a training run: a run
    folder, its metrics.csv, or that table as a DataFrame."""
    out = _check_path(path)
    plt = _pyplot()
    log = _read_metrics(run)
    steps = log[log["kind"] == "train"] if "kind" in log else log
    epochs = log[log["kind"] == "valid"] if "kind" in log else log.iloc[0:0]
    if steps.empty and epochs.empty:
        raise MolvaeError("the training log has no rows yet")
    figure, axes = plt.subplots(1, 3, figsize=(14, 4))
    for column in ("loss", "reconstruction"):
        if column in steps and steps[column].notna().any():
            axes[0].plot(steps["step"], steps[column], label=column, lw=1)
    if "val_loss" in epochs and epochs["val_loss"].notna().any():
        axes[0].plot(epochs["step"], epochs["val_loss"], "o-", label="validation loss")
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("nats per molecule")
    axes[0].legend()
    axes[0].set_title("loss")
    if "kl" in steps:
        axes[1].plot(steps["step"], steps["kl"], label="KL", lw=1, color="tab:red")
    axes[1].set_xlabel("step")
    axes[1].set_ylabel("KL (nats)")
    if "kl_weight" in steps:
        twin = axes[1].twinx()
        twin.plot(steps["step"], steps["kl_weight"], color="grey", lw=1, ls="--")
        twin.set_ylabel("KL weight", color="grey")
    axes[1].set_title("KL term")
    for column in ("recon_accuracy", "validity", "uniqueness"):
        if column in epochs and epochs[column].notna().any():
            axes[2].plot(epochs["epoch"], epochs[column], "o-", label=column.replace("_", " "))
    axes[2].set_xlabel("epoch")
    axes[2].set_ylim(0, 1.02)
    axes[2].set_title("validation")
    if axes[2].lines:
        axes[2].legend()
    figure.tight_layout()
    _save_figure(figure, out)
    return figure


# ----------------------------------------------------------------------------- distributions


def property_distributions(samples: Sequence[str] | pd.DataFrame,
                           reference: Sequence[str] | pd.DataFrame | None = None, *,
                           properties: Sequence[str] = ("logp", "qed", "sa", "mw"),
                           labels: tuple[str, str] = ("generated", "reference"),
                           path: PathLike | None = None) -> Figure:
    """Histograms of properties of generated molecules beside a reference set (e.g. the
    training data). DataFrames are used as they are when they hold the property columns
    (a loaded dataset does), else the properties are computed from their ``smiles``."""
    out = _check_path(path)
    plt = _pyplot()
    sets = [(labels[0], samples)] + ([(labels[1], reference)] if reference is not None else [])
    tables = [(label, _property_table(data, properties)) for label, data in sets]
    figure, axes = plt.subplots(1, len(properties), figsize=(3.6 * len(properties), 3.2),
                                squeeze=False)
    for ax, name in zip(axes[0], properties):
        finite = [t[name].to_numpy(dtype=float) for _, t in tables]
        finite = [v[np.isfinite(v)] for v in finite]
        joined = np.concatenate([v for v in finite if len(v)]) if any(len(v) for v in finite) \
            else np.array([0.0, 1.0])
        bins = np.linspace(np.percentile(joined, 0.5), np.percentile(joined, 99.5), 40)
        for (label, _), values in zip(tables, finite):
            ax.hist(values, bins=bins, density=True, alpha=0.5, label=f"{label} ({len(values)})")
        ax.set_xlabel(name)
        ax.set_yticks([])
    axes[0][0].legend(fontsize=8)
    figure.tight_layout()
    _save_figure(figure, out)
    return figure


def _property_table(data: Any, properties: Sequence[str]) -> pd.DataFrame:
    if hasattr(data, "frame") and isinstance(data.frame, pd.DataFrame):  # a loaded Dataset
        data = data.frame
    if isinstance(data, pd.DataFrame):
        if all(p in data for p in properties):
            return data[list(properties)]
        if "smiles" not in data:
            raise MolvaeError(f"the table needs a 'smiles' column or the columns {list(properties)}")
        smiles = data["smiles"].dropna().astype(str).tolist()
    else:
        smiles = [s for s in data if isinstance(s, str) and s]
    from molvae.chemistry import compute_properties

    return compute_properties(smiles, list(properties))
