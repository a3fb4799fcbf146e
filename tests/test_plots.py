"""Every plot is drawn by a test, to PNG and to SVG, from the objects a user has: a model and
SMILES, a results table, a training run folder. Bad paths and inputs get one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from molvae import plots
from molvae.errors import MolvaeError

from lookup_vae import LookupVAE


def _is_png(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        assert image.format == "PNG"
        return image.size


def _is_svg(path: Path) -> None:
    text = path.read_text()
    assert text.lstrip().startswith(("<?xml", "<svg")) and "</svg>" in text


@pytest.fixture(scope="module")
def lookup_vae(zinc_frame: pd.DataFrame) -> LookupVAE:
    return LookupVAE(zinc_frame["smiles"].tolist()[:200], dim=6)


def test_project_2d_pca_is_the_top_two_principal_axes() -> None:
    rng = np.random.default_rng(0)
    z = rng.standard_normal((300, 5)) * np.array([5.0, 3.0, 0.1, 0.1, 0.1])
    xy = plots.project_2d(z)
    assert xy.shape == (300, 2)
    assert np.var(xy[:, 0]) > np.var(xy[:, 1]) > 5 * np.var(z[:, 2])
    assert np.allclose(np.abs(np.corrcoef(xy[:, 0], z[:, 0])[0, 1]), 1.0, atol=1e-3)
    with pytest.raises(MolvaeError, match="umap|unknown"):
        plots.project_2d(z, method="tsne")


def test_latent_map_png_and_svg(tiny_vae, zinc_smiles: list[str], tmp_path: Path) -> None:
    smiles = zinc_smiles[:150] + ["C1CC"]  # an unparsable one is left out, and said so
    figure = plots.latent_map(tiny_vae, smiles, color="qed", path=tmp_path / "map.png")
    assert "1 not encodable" in figure.axes[0].get_title()
    assert _is_png(tmp_path / "map.png")[0] > 300
    plots.latent_map(tiny_vae, zinc_smiles[:50], color=None, path=tmp_path / "map.svg")
    _is_svg(tmp_path / "map.svg")
    with pytest.raises(MolvaeError, match="one value per molecule"):
        plots.latent_map(tiny_vae, zinc_smiles[:10], color=[1.0, 2.0])


def test_molecule_grid_from_a_table_with_legends(tmp_path: Path) -> None:
    frame = pd.DataFrame({"smiles": ["CCO", None, "c1ccccc1O", "not a smiles"],
                          "score": [0.5, 0.1, 0.25, 0.9]})
    plots.molecule_grid(frame, legend="score", path=tmp_path / "grid.png")
    width, height = _is_png(tmp_path / "grid.png")
    assert width >= 2 * 250 - 1 and height >= 200  # two valid molecules in one row
    svg = plots.molecule_grid(frame, legend="score", path=tmp_path / "grid.svg")
    _is_svg(tmp_path / "grid.svg")
    assert "class='legend'" in svg  # RDKit draws the legend text as paths
    assert [plots._label("score", v) for v in (0.5, float("nan"), 3)] == \
        ["score 0.500", "score n/a", "score 3"]
    with pytest.raises(MolvaeError, match="no column 'qed'"):
        plots.molecule_grid(frame, legend="qed")
    with pytest.raises(MolvaeError, match=r"\.png or \.svg"):
        plots.molecule_grid(frame, path=tmp_path / "grid.jpg")
    with pytest.raises(MolvaeError, match="no valid molecule"):
        plots.molecule_grid(["xx"])


def test_a_machine_where_rdkit_cannot_draw_gets_a_one_line_error_naming_the_fix(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import sys

    import rdkit.Chem

    # as on a headless server without libXrender: importing rdkit.Chem.Draw raises ImportError
    monkeypatch.delattr(rdkit.Chem, "Draw", raising=False)
    monkeypatch.setitem(sys.modules, "rdkit.Chem.Draw", None)
    with pytest.raises(MolvaeError, match="apt install libxrender1") as err:
        plots.molecule_grid(["CCO"], path=tmp_path / "grid.png")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "grid.png").exists()


def test_interpolation_strip_draws_every_point_labelled_with_t_and_similarity(
        lookup_vae: LookupVAE, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from molvae.latent import interpolate

    frame = interpolate(lookup_vae, lookup_vae.smiles[0], lookup_vae.smiles[7], steps=6)
    drawn: dict = {}
    grid = plots.molecule_grid

    def recording_grid(molecules, **kwargs):
        drawn.update(kwargs, n=len(molecules))
        return grid(molecules, **kwargs)

    monkeypatch.setattr(plots, "molecule_grid", recording_grid)
    svg = plots.interpolation_strip(frame=frame, path=tmp_path / "strip.svg")
    assert "class='legend'" in svg
    # one cell per point of the path, invalid ones kept as empty cells, labelled t and similarity
    assert drawn["n"] == len(frame) and drawn["keep_invalid"]
    assert drawn["legends"][0] == "t=0.00 sim=1.00" and drawn["legends"][-1].startswith("t=1.00")
    assert len(drawn["legends"]) == len(frame)
    plots.interpolation_strip(frame=frame, path=tmp_path / "strip.png")
    width, _ = _is_png(tmp_path / "strip.png")
    assert width >= min(len(frame), 8) * 250 - 1


def test_training_curves_from_a_run_folder(tiny_run, tmp_path: Path) -> None:
    run_dir = Path(tiny_run.out_dir)
    figure = plots.training_curves(run_dir, path=tmp_path / "curves.png")
    assert len(figure.axes[0].lines) >= 1
    _is_png(tmp_path / "curves.png")
    plots.training_curves(run_dir / "metrics.csv", path=tmp_path / "curves.svg")
    _is_svg(tmp_path / "curves.svg")
    with pytest.raises(MolvaeError, match="no training log"):
        plots.training_curves(tmp_path)


def test_property_distributions_against_a_reference(zinc_frame: pd.DataFrame,
                                                    tmp_path: Path) -> None:
    generated = zinc_frame["smiles"].tolist()[:100]
    figure = plots.property_distributions(generated, zinc_frame, properties=("logp", "qed"),
                                          path=tmp_path / "props.png")
    assert [ax.get_xlabel() for ax in figure.axes] == ["logp", "qed"]
    # both sets drawn on every panel, the legend naming each with its molecule count
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert labels == ["generated (100)", f"reference ({len(zinc_frame)})"]
    for ax in figure.axes:
        assert len(ax.containers) == 2 and all(len(c.patches) == 39 for c in ax.containers)
    _is_png(tmp_path / "props.png")
    plots.property_distributions(pd.DataFrame({"smiles": generated}), path=tmp_path / "p.svg",
                                 properties=("mw",))
    _is_svg(tmp_path / "p.svg")
