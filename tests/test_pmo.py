"""molvae.pmo: PMO's metric as mol_opt computes it, its 23 oracles as PyTDC scores them, and a
one-line error for every missing piece."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from molvae.errors import MolvaeError
from molvae.objectives import make_objective
from molvae.pmo import CLASSIFIER_FILES, PMO_TASKS, parse_pmo_name, pmo_oracle, top_auc

# six molecules of PMO's reference_scores.csv (three ZINC250k molecules, haloperidol,
# kenpaullone, SP600125) with all 23 oracles' scores as PyTDC 1.1.15 computes them
REFERENCE = pd.read_csv(Path(__file__).with_name("pmo_reference_scores.csv"))
PMO_DIR = os.environ.get("MOLVAE_PMO_DIR")


def test_top_auc_integrates_the_top10_curve_by_trapezoids_from_zero():
    # 300 calls scoring 0, 0.1, ..., top-1: the curve every 100 calls is 9.9, 19.9, then 29.9 at
    # the end; with budget 300: (100*(0+9.9)/2 + 100*(9.9+19.9)/2 + 100*(19.9+29.9)/2) / 300
    scores = np.arange(300) / 10
    expected = (100 * 9.9 / 2 + 100 * (9.9 + 19.9) / 2 + 100 * (19.9 + 29.9) / 2) / 300
    assert top_auc(scores, top_n=1, budget=300) == pytest.approx(expected)


def test_top_auc_keeps_the_last_value_when_a_run_stops_short_and_finish_is_set():
    assert top_auc([0.5] * 200, top_n=1, budget=400) == pytest.approx(175 / 400)
    assert top_auc([0.5] * 200, top_n=1, budget=400, finish=False) == pytest.approx(75 / 400)


def test_top_auc_counts_failed_calls_as_zero_and_ignores_calls_past_the_budget():
    with_nan = top_auc([np.nan] * 100 + [1.0] * 100, top_n=1, budget=200)
    assert with_nan == top_auc([0.0] * 100 + [1.0] * 100, top_n=1, budget=200)
    assert top_auc([0.0] * 200 + [1.0] * 50, top_n=1, budget=200) == 0.0


def test_top_auc_averages_the_top_n():
    scores = [1.0] + [0.0] * 99
    assert top_auc(scores, top_n=10, budget=100) == pytest.approx(0.1 / 2)
    assert top_auc([], budget=100) == 0.0


def test_an_unknown_task_is_a_one_line_error_listing_the_23():
    with pytest.raises(MolvaeError, match="unknown PMO task 'jnk'.*osimertinib_mpo") as err:
        parse_pmo_name("pmo:jnk")
    assert "\n" not in str(err.value)
    with pytest.raises(MolvaeError, match="unknown PMO task"):
        make_objective("pmo:not_a_task")
    assert len(PMO_TASKS) == 23 and set(CLASSIFIER_FILES) <= set(PMO_TASKS)


def test_a_classifier_task_without_its_folder_names_the_flag_and_never_downloads():
    with pytest.raises(MolvaeError, match="--pmo-oracles DIR.*never downloads"):
        pmo_oracle("jnk3")


def test_a_folder_without_the_classifier_file_is_named(tmp_path):
    with pytest.raises(MolvaeError, match=f"no jnk3_current.pkl in {tmp_path}"):
        pmo_oracle("pmo:jnk3", oracle_dir=tmp_path)


def test_a_classifier_file_of_another_checksum_is_refused_before_it_is_unpickled(tmp_path):
    # not a pickle at all: refusing it by checksum means it was never loaded
    (tmp_path / "gsk3b_current.pkl").write_bytes(b"not the classifier")
    with pytest.raises(MolvaeError, match="not the classifier PMO's numbers were measured with"):
        pmo_oracle("gsk3b", oracle_dir=tmp_path)


def test_without_pytdc_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tdc", None)  # import tdc now raises ImportError
    monkeypatch.delitem(sys.modules, "tdc.chem_utils.oracle.oracle", raising=False)
    with pytest.raises(MolvaeError, match=r'pip install "molvae\[pmo\]".*pytdc==1.1.15') as err:
        pmo_oracle("qed")
    assert "\n" not in str(err.value)


def test_the_oracles_reproduce_pytdc_on_the_reference_molecules():
    pytest.importorskip("tdc", reason="PyTDC is the optional molvae[pmo] extra")
    for task in PMO_TASKS:
        if task in CLASSIFIER_FILES:
            continue
        got = pmo_oracle(task)(REFERENCE["smiles"].tolist())
        np.testing.assert_allclose(got, REFERENCE[task].to_numpy(), rtol=0, atol=1e-12,
                                   err_msg=task)


def test_deco_hop_and_scaffold_hop_score_as_pytdc_in_any_order():
    # PyTDC's two hop oracles share module globals (its scaffold SMARTS, inverted in one): scored
    # after scaffold hop, its deco hop adds 0.25 to a molecule without the scaffold
    pytest.importorskip("tdc", reason="PyTDC is the optional molvae[pmo] extra")
    smiles = REFERENCE["smiles"].tolist()
    deco, scaffold = pmo_oracle("deco_hop"), pmo_oracle("scaffold_hop")
    for oracle, task in [(deco, "deco_hop"), (scaffold, "scaffold_hop"), (deco, "deco_hop"),
                         (pmo_oracle("scaffold_hop"), "scaffold_hop"), (deco, "deco_hop")]:
        np.testing.assert_allclose(oracle(smiles), REFERENCE[task].to_numpy(), rtol=0,
                                   atol=1e-12, err_msg=task)


@pytest.mark.skipif(PMO_DIR is None, reason="set MOLVAE_PMO_DIR to PMO's folder (oracle/)")
def test_the_classifiers_reproduce_pytdc_on_the_reference_molecules():
    pytest.importorskip("sklearn")
    for task in CLASSIFIER_FILES:
        if task == "drd2":
            pytest.importorskip("tdc")
        got = pmo_oracle(task, oracle_dir=Path(PMO_DIR) / "oracle")(REFERENCE["smiles"].tolist())
        np.testing.assert_allclose(got, REFERENCE[task].to_numpy(), rtol=0, atol=1e-12,
                                   err_msg=task)
    assert got.max() > 0.5  # SP600125 is a JNK3 active: a broken oracle would score 0


def test_an_invalid_smiles_scores_zero_as_pytdc_gives():
    pytest.importorskip("tdc", reason="PyTDC is the optional molvae[pmo] extra")
    assert pmo_oracle("qed")(["C1CC", "CCO"])[0] == 0.0


def test_cli_a_pmo_classifier_without_its_folder_is_a_one_line_error():
    from test_cli import assert_one_line_error, run

    assert_one_line_error(run("optimize", "--objective", "pmo:jnk3", "--loop", "--budget", "50"),
                          "jnk3_current.pkl", "--pmo-oracles")
    assert_one_line_error(run("optimize", "--objective", "qed", "--pmo-oracles", "x"),
                          "--pmo-oracles", "pmo:jnk3")
