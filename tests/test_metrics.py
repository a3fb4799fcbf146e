"""Rules of molvae.metrics: MOSES's definitions, exact similarities, cached reference statistics,
and agreement with MOSES's own code on a pinned set."""

from __future__ import annotations

import math

import numpy as np
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from molvae.chemistry import rdkit_quiet
from molvae.errors import MolvaeError
from molvae.metrics import (
    METRICS,
    evaluate,
    format_metrics,
    reconstruction_accuracy,
    reference_statistics,
)
from molvae.metrics import fcd as fcd_module
from molvae.metrics import features as features_module
from molvae.metrics.features import compute_features
from molvae.metrics.filters import _matches_any, filter_smarts, passes_filters
from molvae.metrics.moses import cosine_similarity, internal_diversity, property_distance
from molvae.metrics.similarity import ReferenceFingerprints, max_tanimoto, mean_tanimoto_powers

# 36 MOSES-train molecules, 3 charged and 5 filter-failing ZINC250k molecules, 3 invalid strings,
# benzoic acid written two ways and two repeats (a random draw, seed 7).
GEN = [
    "CC(C)(C)C(=O)CSc1ncnc2[nH]cnc12", "CC(=O)Nc1ccc(NC(=O)c2cccc(Cl)c2)c(C)c1",
    "CCSc1nnc2c(n1)OC(c1ccncc1)Nc1ccccc1-2", "CC(C)(C)OC(=O)N1CCCN(C(=O)c2ccc(Cl)cc2)CC1",
    "CCOC(=O)C1=C(C)Nc2nnnn2C1c1ccc(C(=O)OC)cc1", "CCN(c1ccccc1)S(=O)(=O)Cc1ccccc1",
    "Nc1nc(NC2CC2)c2ncn(C3C=CC(CO)C3)c2n1", "CC(=O)Oc1cccc(NC(=O)CC2Nc3ccccc3NC2=O)c1",
    "Cc1ccc(-n2c(N)c(C#N)c3nc4ccccc4nc32)cc1", "COC(=O)C1=C(C)N=C(C)C(C(=O)OC)C1c1ccccc1OC",
    "CCOc1ccc(C(=O)Nc2ccc(S(N)(=O)=O)cc2)cc1", "N#Cc1ccccc1S(=O)(=O)N1CCOCC1",
    "O=C(OCn1nnc2ccccc2c1=O)c1ccccc1Cl", "Cc1csc2ncnc(N3CC(C)OC(C)C3)c12",
    "CC(=O)N(C)c1ccc(NC(=O)c2cccc(Cl)c2)cc1", "COc1cc(C(=O)NCc2cccnc2)cc(OC)c1OC",
    "COc1ccccc1Oc1ccc(S(=O)(=O)N2CCOCC2)cc1", "CC(C)CCn1c(=O)c2c(nc3n2CCS3)n(C)c1=O",
    "O=C(Nc1ccc(F)c(Cl)c1)c1ccc2c(c1)OCO2", "Nc1ccc(-c2cc(=O)c3cc(O)ccc3o2)cc1",
    "CC(C)NC(=O)c1c(NC(=O)c2ccccc2F)sc2c1CCC2", "CN(CCO)c1nc2c(c(=O)n(C)c(=O)n2C)n1C",
    "CCn1nc(C)c2c1C(c1ccccc1)=NCC(=O)N2", "CC(C)(C)c1ccc(-c2nc(-c3nonc3N)no2)cc1",
    "CN(C)c1cccc(C(=O)NCc2ccc(S(N)(=O)=O)cc2)c1", "NC(=O)c1c(-c2ccccc2)oc2ccc(O)cc12",
    "c1ccc2c(N3CCN(c4ncnc5ccccc45)CC3)ncnc2c1", "Cc1nc2ccc(-c3ccc4nc(C)n(N)c(=O)c4c3)cc2c(=O)n1N",
    "O=S(=O)(NCc1ccco1)c1ccccc1F", "Cc1ccc(NC(=O)Nc2cccnc2)cc1Cl",
    "O=C(Nc1ccccc1C(=O)Nc1ccccn1)c1ccccc1", "O=C1CC(c2ccccc2)S(=O)(=O)c2ccccc21",
    "O=C(Nc1ccc(F)cc1F)c1cc2ccccc2oc1=O", "Cc1cn(-c2nc(-c3ccccc3)oc2-c2ccccc2)c(=O)[nH]c1=O",
    "c1cncc(-c2nc(-c3ccc4c(c3)OCCO4)cs2)c1", "O=C(Nc1cc(Cl)cc(Cl)c1)c1cccnc1",
    "O=C([O-])c1sccc1[S@](=O)O", "COCc1cc(CN[C@H]2CC[NH+]([C@@H](C)c3ccccc3)C2)ccc1F",
    "Cc1ccc(C(=O)NC2=c3ccccc3=[NH+][C@@H]2C(=O)NCCc2ccc(Cl)cc2)cc1",
    "COc1ccc(N2CCN(S(=O)(=O)c3c(C)[nH]c(=O)[nH]c3=O)CC2)cc1",
    "COc1ccccc1[C@H]1c2sc(=O)[nH]c2S[C@@H]2C(=O)N(c3ccccc3)C(=O)[C@H]21",
    "CN(C)c1ccc2c(c1)OCCN2C(=O)CCS(C)(=O)=O", "COc1ccc(OC)c(/C=C/C(=O)N(C)Cc2ccccc2Br)c1",
    "COc1cccc(/C=C/C(=O)N(C)CC(=O)Nc2ccc(N3CCOCC3)cc2)c1", "", "C1CC", "not a smiles",
    "c1ccccc1C(=O)O", "OC(=O)c1ccccc1", "CC(C)(C)C(=O)CSc1ncnc2[nH]cnc12",
    "CC(=O)Nc1ccc(NC(=O)c2cccc(Cl)c2)c(C)c1",
]
REF = [
    "COC(=O)CSc1nnc(-c2ccc(F)cc2)n1N", "CC(=O)c1cc(C#N)c(SCc2ccncc2)nc1C",
    "Cc1ccc(Nc2nc3c(c(=O)[nH]c(=O)n3C)n2CCO)cc1", "Nc1cccc(S(=O)(=O)c2ccc(N)c(N)c2)c1",
    "Cc1c(C(N)=O)nnc2cc(-c3ccccc3)nn12", "CCS(=O)(=O)c1ccc(NC(=O)c2ccccc2)c(O)c1",
    "Cc1cccc(OCc2nnc(SCC(N)=O)n2C)c1", "COc1ccc2c(c1)c(C(C)=O)c(C)n2-c1ccc(C(C)=O)cc1",
    "Cc1ccc(S(=O)(=O)N(C)c2ccc(C(N)=O)cc2)cc1", "O=C1NC2c3ccccc3C(=O)N2c2c1cnn2-c1ccccc1",
    "CCOc1ccc(C(=O)Nc2ccc(OC)c(OC)c2)cc1", "COC(=O)C=c1sc2nc3sc(C)c(C)c3c(=O)n2c1=O",
    "Cc1cc(C(F)(F)F)nn1CC(=O)N1CCCC1", "COc1ccccc1NC(=O)COc1ccc(CO)cc1Cl",
    "COc1ccc(Cc2c3cc(O)c(=O)cc-3ccn2C)cc1OC", "O=C(COc1ccc(Cl)cc1)Nc1ccccc1O",
    "CC(NC(=O)C1CC(=O)N(c2ccc(F)cc2)C1)c1ccccc1", "Cc1cccnc1NC(=O)C1CC(=O)N(c2ccc(F)cc2)C1",
    "Cc1ncn(-c2ccc(C(=O)OCC(F)(F)F)cn2)n1", "O=C(Nc1cccc(Cl)c1)OCC1CCCO1",
    "N#Cc1ncn(-c2ccc(Oc3ccccc3)cc2)c1N", "COc1ccccc1C(=O)Nc1nc(C)c(C(C)=O)s1",
    "COc1ccc(S(=O)(=O)N2CCCCC2)cc1Br", "O=C(Cn1cncn1)NCc1ccc2c(c1)OCO2",
    "COc1ccc(NC(=O)CSc2ccccc2)cc1OC", "CC(=O)Nc1cnc(NC(=O)c2ccccc2F)cc1C",
    "N#Cc1ccc(NC(=O)C2CCCO2)cc1Cl", "O=C(Cc1ccccc1)N1CCCC1c1ccccc1",
    "Cc1ccccc1NC(=O)C1(S(=O)(=O)c2ccc(Cl)cc2)CC1", "CCOC(=O)c1ccccc1NC(=O)c1ccc(NC(C)=O)cc1",
    "CC1(C(=O)NC2CCCCCC2)CCC(=O)N1Cc1ccco1", "O=C(c1cc2cc(C(F)(F)F)ccc2s1)N1CCOCC1",
    "CCCC(C)C(=O)Nc1nnc(C(F)(F)F)s1", "Cc1cc(C)n(C(=O)CNC(=O)CCc2ccccc2)n1",
    "CCN(CC)C(=O)C12CCC(C)(C(=O)O1)C2(C)C", "CCCn1c(=O)c2[nH]c(C3CCC(=O)C3)nc2n(CCC)c1=O",
    "COc1ccc(-c2ccc(S(=O)(=O)N3CCCC3)cc2)cc1", "Cc1cc(Br)c2c(c1)C(O)(N1CCCCC1C)C(=O)N2",
    "Cc1cc(OCC(=O)N2CCCC2)cc(C)c1Cl", "COC(=O)c1c(NC(=O)C2CC2)sc(C)c1C",
    "COc1ccc(S(=O)(=O)Nc2ccccn2)c2ccccc12", "CCCc1nnc(SCC(=O)NC2CC2)n1CC",
    "O=C(Nc1ccc(F)cc1)c1c(F)cccc1F", "Cc1ccc(C(=O)N2CCCC2)cc1Br",
    "Cc1cc(CN2C(=O)c3ccccc3S2(=O)=O)no1", "CC(C)c1nnc(NC(=O)CCC(=O)NCc2ccccc2)s1",
    "Cc1ccccc1C(=O)Nc1ccccc1C(=O)N1CCC(C)CC1", "Cc1ccc(C)c(OCC(=O)Nc2ccc3c(c2)OCCO3)c1",
]
TRAIN = GEN[:20] + ["O=C(O)c1ccccc1"]  # 20 of the generated molecules and benzoic acid

# What molsets 0.3.1 (MOSES's own code, RDKit 2026.09.1, in its own virtual environment as
# benchmarks/metrics_agreement.py builds it) gives on GEN against REF with TRAIN: fraction_valid(GEN); then on
# remove_invalid(GEN): fraction_unique(gen, 1000); compute_intermediate_statistics(REF) and
# FCDMetric / SNNMetric / FragMetric / ScafMetric / WassersteinMetric(logP, SA, QED, weight);
# internal_diversity(mols, p=1 and 2); fraction_passes_filters; novelty(mols, TRAIN).
MOSES_VALUES = {
    "valid": 0.9411764705882353,
    "unique@1000": 0.9375,
    "FCD/Ref": 36.22597793757198,
    "SNN/Ref": 0.28031495306640863,
    "Frag/Ref": 0.8944035481315067,
    "Scaf/Ref": 0.2667037114215396,
    "IntDiv": 0.849406047620707,
    "IntDiv2": 0.7937053908431392,
    "Filters": 0.8333333333333334,
    "logP": 0.3270525,
    "SA": 0.1755341620981034,
    "QED": 0.0645760060308677,
    "weight": 22.165937500000023,
    "Novelty": 0.5333333333333333,
}
with rdkit_quiet():
    VALID_GEN = [s for s in GEN if s and Chem.MolFromSmiles(s) is not None]


def morgan_1024(smiles: list[str]) -> tuple[list, np.ndarray]:
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    fps = [generator.GetFingerprint(m) for m in mols]
    return fps, np.array([generator.GetFingerprintAsNumPy(m) for m in mols], np.uint8)


@pytest.fixture(scope="module")
def pinned_results(tmp_path_factory) -> dict[str, float]:
    cache = tmp_path_factory.mktemp("metrics-cache")
    return evaluate(GEN, REF, train=TRAIN, n_jobs=1, device="cpu", cache_dir=cache)


# --- agreement with MOSES ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MOSES_VALUES))
def test_each_metric_agrees_with_moses_on_the_pinned_set(pinned_results, name):
    # MOSES sums Tanimoto in float32 (we use float64); FCD: float32 ChemNet of fcd vs fcd_torch
    tolerance = 1e-4 if name.startswith("FCD") else 1e-6
    assert pinned_results[name] == pytest.approx(MOSES_VALUES[name], rel=tolerance, abs=1e-12)


def test_results_keep_moses_key_order(pinned_results):
    assert list(pinned_results) == [
        "valid", "unique@1000", "unique@10000", "FCD/Ref", "SNN/Ref", "Frag/Ref", "Scaf/Ref",
        "IntDiv", "IntDiv2", "Filters", "logP", "SA", "QED", "weight", "Novelty"]


# --- validity, uniqueness, novelty ------------------------------------------------------------


def test_validity_counts_empty_and_unparsable_as_invalid(tmp_path):
    result = evaluate(["CCO", "", "C1CC", "not a smiles", "c1ccccc1"], ["CCO"],
                      metrics=["valid"], cache_dir=tmp_path)
    assert result == {"valid": 0.4}


def test_unique_at_k_uses_the_first_k_valid(tmp_path):
    ethers = ["C" * a + "O" + "C" * b for a in range(1, 50) for b in range(a, 50)][:1199]
    smiles = ["CCO", "bad", "OCC"] + ethers
    result = evaluate(smiles, ["CCO"], metrics=["unique"], cache_dir=tmp_path)
    # the first 1,000 valid are CCO, OCC (the same molecule) and 998 distinct ethers
    assert result["unique@1000"] == pytest.approx(999 / 1000)
    # fewer than 10,000 valid: MOSES's rule, all 1,201 valid molecules are used
    assert result["unique@10000"] == pytest.approx(1200 / 1201)


def test_novelty_counts_distinct_valid_molecules_absent_from_train(tmp_path):
    result = evaluate(["CCO", "OCC", "CCN", "CCC", "bad"], ["CCO"], train=["C(O)C", "CCCC"],
                      metrics=["Novelty"], cache_dir=tmp_path)
    assert result == {"Novelty": pytest.approx(2 / 3)}  # CCO is known in another spelling


def test_novelty_is_left_out_when_a_custom_reference_has_no_training_set(tmp_path):
    assert evaluate(["CCO"], ["CCN"], metrics=["valid", "Novelty"], cache_dir=tmp_path) == {
        "valid": 1.0}


# --- similarity: exact Tanimoto ---------------------------------------------------------------


def test_snn_matches_rdkit_bulk_tanimoto():
    fps, bits = morgan_1024(VALID_GEN + REF)
    query, ref = slice(0, len(VALID_GEN)), slice(len(VALID_GEN), None)
    expected = [max(DataStructs.BulkTanimotoSimilarity(fp, fps[ref])) for fp in fps[query]]
    got = max_tanimoto(bits[query], ReferenceFingerprints.build(bits[ref]))
    assert got.tolist() == expected  # bit for bit


def test_intdiv_matches_the_full_pairwise_matrix_including_self_pairs():
    fps, bits = morgan_1024(VALID_GEN)
    matrix = np.array([DataStructs.BulkTanimotoSimilarity(fp, fps) for fp in fps])
    rows = mean_tanimoto_powers(bits, np.ones(len(bits)), powers=(1, 2))
    np.testing.assert_allclose(rows[0], matrix.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(rows[1], (matrix ** 2).mean(axis=1), rtol=1e-12)


def test_duplicates_weigh_like_written_out_copies():
    _, bits = morgan_1024(VALID_GEN[:10])
    counts = np.arange(1, 11)
    weighted = mean_tanimoto_powers(bits, counts, powers=(2,))[0]
    repeated = mean_tanimoto_powers(np.repeat(bits, counts, axis=0), np.ones(counts.sum()),
                                    powers=(2,))[0]
    np.testing.assert_allclose(np.repeat(weighted, counts), repeated, rtol=1e-12)


def test_intdiv_of_identical_molecules_is_zero():
    features = compute_features(["c1ccccc1O"], [25], wanted=["fingerprints"])
    assert internal_diversity(features, powers=(1, 2)) == {1: 0.0, 2: 0.0}


def test_empty_fingerprints_count_as_identical_like_moses():
    empty = np.zeros((2, 1024), np.uint8)
    assert max_tanimoto(empty[:1], ReferenceFingerprints.build(empty)).tolist() == [1.0]


# --- FCD ----------------------------------------------------------------------------------------


def test_fcd_of_a_set_with_itself_is_near_zero(tmp_path):
    result = evaluate(REF, REF, metrics=["FCD"], n_jobs=1, device="cpu", cache_dir=tmp_path)
    assert abs(result["FCD/Ref"]) < 1e-4  # 48 molecules: a singular covariance, rounding noise


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_frechet_distance_matches_the_general_matrix_square_root_formula():
    # the formula of fcd.calculate_frechet_distance (which current scipy's sqrtm no longer runs)
    from scipy.linalg import sqrtm

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(300, 64)), rng.normal(0.1, 1.2, size=(400, 64))
    s_a, s_b, diff = np.cov(a.T), np.cov(b.T), a.mean(0) - b.mean(0)
    expected = diff @ diff + np.trace(s_a) + np.trace(s_b) - 2 * np.trace(sqrtm(s_a @ s_b).real)
    got = fcd_module.frechet_distance(fcd_module.fit_gaussian(a), fcd_module.fit_gaussian(b))
    assert got == pytest.approx(expected, rel=1e-8)


def test_fit_gaussian_weights_equal_repeated_rows():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(50, 8)), rng.integers(1, 4, size=50)
    g = fcd_module.fit_gaussian(x, w).with_sqrt()
    np.testing.assert_allclose(g.sigma, np.cov(np.repeat(x, w, axis=0).T), rtol=1e-10)
    np.testing.assert_allclose(g.sigma_sqrt @ g.sigma_sqrt, g.sigma, atol=1e-10)


# --- fragments, scaffolds, filters, properties -------------------------------------------------


def test_scaffolds_need_two_rings_and_fragments_follow_brics():
    features = compute_features(["c1ccccc1CC(=O)Nc1ccncc1", "c1ccccc1CCO"],
                                wanted=["scaffolds", "fragments"])
    assert dict(features.scaffolds) == {"O=C(Cc1ccccc1)Nc1ccncc1": 1}  # benzene alone: 1 ring
    assert features.fragments["[16*]c1ccccc1"] == 2  # one phenyl piece from each molecule


def test_cosine_similarity_is_nan_when_a_side_is_empty():
    assert cosine_similarity({"a": 3, "b": 4}, {"a": 3, "b": 4}) == pytest.approx(1.0)
    assert math.isnan(cosine_similarity({}, {"a": 1}))


@pytest.mark.parametrize("smiles, passes", [
    ("CC(=O)Nc1ccc(O)cc1", True),
    ("CC[NH3+]", False),  # charged
    ("CCP(C)C", False),  # phosphorus is not allowed
    ("C1CCCCCCC1", False),  # 8-membered ring
    ("O=C1C=CC(=O)C=C1", False),  # quinone: a PAINS / MCF pattern
    ("CCC=O", False),  # aldehyde: MCF7
])
def test_filters_reject_charges_foreign_atoms_large_rings_and_alerts(smiles, passes):
    assert passes_filters(Chem.MolFromSmiles(smiles)) is passes


def test_filter_screen_changes_no_answer():
    molecules = [Chem.AddHs(Chem.MolFromSmiles(s)) for s in VALID_GEN + REF]
    screened = [_matches_any(m, screen=True) for m in molecules]
    assert screened == [_matches_any(m, screen=False) for m in molecules]
    assert any(screened)  # the set holds filter hits


def test_filter_list_is_moses_mcf_and_pains():
    smarts = filter_smarts()
    assert len(smarts) == 502 and "MCF1" in smarts and "MCF22" in smarts
    assert all(Chem.MolFromSmarts(s) is not None for s in smarts.values())


def test_property_distance_weights_equal_repeated_values():
    gen, ref = np.array([1.0, 2.0, np.nan]), np.array([1.5, 3.0])
    weighted = property_distance(gen, np.array([2, 1, 1]), ref, np.array([1, 3]))
    repeated = property_distance(np.array([1.0, 1.0, 2.0]), np.ones(3), np.array([1.5, 3, 3, 3]),
                                 None)
    assert weighted == pytest.approx(repeated)


# --- reference statistics and the API ----------------------------------------------------------


def test_reference_statistics_are_cached(tmp_path, monkeypatch):
    first = reference_statistics(REF, cache_dir=tmp_path, n_jobs=1, device="cpu")

    def fail(*args, **kwargs):
        raise AssertionError("recomputed instead of reading the cache")

    monkeypatch.setattr("molvae.metrics.reference.compute_features", fail)
    monkeypatch.setattr("molvae.metrics.reference.chemnet_activations", fail)
    monkeypatch.setattr("molvae.metrics.reference.canonicalize_many", fail)
    again = reference_statistics(REF, cache_dir=tmp_path)
    np.testing.assert_array_equal(again.fcd.sigma, first.fcd.sigma)
    np.testing.assert_array_equal(again.fingerprints.bits, first.fingerprints.bits)
    assert again.scaffolds == first.scaffolds and again.fragments == first.fragments
    np.testing.assert_array_equal(again.properties["QED"], first.properties["QED"])


def _record_feature_calls(monkeypatch) -> list[list[str]]:
    """The parts each later call of the reference module's compute_features asks for."""
    import molvae.metrics.reference as reference_module

    calls: list[list[str]] = []
    real = reference_module.compute_features

    def recording(*args, wanted, **kwargs):
        calls.append(list(wanted))
        return real(*args, wanted=wanted, **kwargs)

    monkeypatch.setattr(reference_module, "compute_features", recording)
    return calls


def test_shipped_parts_replace_the_slow_computations_and_match_them(tmp_path, monkeypatch):
    import molvae.metrics.reference as reference_module
    from molvae.metrics.shipped.writer import write_shipped

    computed = reference_statistics(REF, cache_dir=tmp_path / "a", n_jobs=1, device="cpu")
    shipped_dir = tmp_path / "shipped"
    write_shipped(REF, shipped_dir / "ref.npz", cache_dir=tmp_path / "a")
    monkeypatch.setattr(reference_module, "SHIPPED_DIR", shipped_dir)
    def fail(*args, **kwargs):
        raise AssertionError("ChemNet ran although FCD's statistics were shipped")

    monkeypatch.setattr(reference_module, "chemnet_activations", fail)
    asked = _record_feature_calls(monkeypatch)
    fresh = reference_statistics(REF, cache_dir=tmp_path / "b", n_jobs=1, device="cpu")
    assert asked == [["fingerprints"]]  # only the fast part was computed
    np.testing.assert_allclose(fresh.fcd.sigma, computed.fcd.sigma, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(fresh.fcd.mu, computed.fcd.mu, rtol=0, atol=0)
    assert fresh.fragments == computed.fragments and fresh.scaffolds == computed.scaffolds
    for name, values in computed.properties.items():
        np.testing.assert_allclose(fresh.properties[name], values, rtol=1e-6)
    np.testing.assert_array_equal(fresh.property_weights, computed.property_weights)
    np.testing.assert_array_equal(fresh.fingerprints.bits, computed.fingerprints.bits)


def test_recompute_ignores_the_cache_and_the_shipped_parts(tmp_path, monkeypatch):
    reference_statistics(REF, components=["scaffolds"], cache_dir=tmp_path, n_jobs=1)
    calls = _record_feature_calls(monkeypatch)
    reference_statistics(REF, components=["scaffolds"], cache_dir=tmp_path, n_jobs=1)
    assert calls == []
    reference_statistics(REF, components=["scaffolds"], cache_dir=tmp_path, n_jobs=1, recompute=True)
    assert calls == [["scaffolds"]]


def test_shipped_parts_made_with_another_rdkit_release_are_recomputed(tmp_path, monkeypatch):
    import molvae.metrics.reference as reference_module
    from molvae.metrics.shipped.writer import write_shipped

    shipped_dir = tmp_path / "shipped"
    write_shipped(REF, shipped_dir / "ref.npz", cache_dir=tmp_path / "a")
    digest = str(np.load(shipped_dir / "ref.npz")["source_sha256"])
    assert set(reference_module.read_shipped(digest, directory=shipped_dir)) == set(
        reference_module.SHIPPED_PARTS)
    monkeypatch.setattr(reference_module.rdkit, "__version__", "1999.03.1")
    assert reference_module.read_shipped(digest, directory=shipped_dir) == {}
    monkeypatch.undo()
    monkeypatch.setattr(reference_module, "fcd_version", lambda: "0.0.1")
    assert set(reference_module.read_shipped(digest, directory=shipped_dir)) == {
        "fragments", "scaffolds", "properties"}


def test_a_training_set_read_with_shipped_canonical_corrections_equals_the_canonicalized_one(
        tmp_path, monkeypatch):
    import molvae.metrics.reference as reference_module
    from molvae.metrics.novelty import training_set
    from molvae.metrics.shipped.writer import write_shipped
    from molvae.chemistry import canonicalize_many

    canonical = [s for s in canonicalize_many(REF) if s]
    train = canonical * 2 + ["OCC", "not a molecule"]  # one non-canonical row, one invalid
    assert len(train) >= 40  # corrections ship only when at most 5% of the rows need one
    path = write_shipped(train, tmp_path / "shipped" / "train.npz",
                                          statistics=False, cache_dir=tmp_path / "a")
    with np.load(path) as data:
        assert data["canonical_rows"].tolist() == [len(train) - 2, len(train) - 1]
        assert "fcd_mu" not in data.files
    expected = training_set(train, cache_dir=tmp_path / "b", shipped=False)
    monkeypatch.setattr(reference_module, "SHIPPED_DIR", tmp_path / "shipped")

    def fail(*args, **kwargs):
        raise AssertionError("RDKit canonicalized rows whose canonical SMILES were shipped")

    monkeypatch.setattr(reference_module, "canonicalize_many", fail)
    got = training_set(train, cache_dir=tmp_path / "c")
    assert list(got) == list(expected) and "CCO" in got
    assert len(got) == len(set(canonical) | {"CCO"})


def test_the_shipped_moses_files_belong_to_the_moses_splits(monkeypatch):
    import hashlib
    import json

    from molvae.data import moses_path
    from molvae.errors import DatasetError
    from molvae.metrics.reference import SHIPPED_DIR, read_shipped, read_shipped_canonical

    for split, name in (("test", "moses_test"), ("test_scaffolds", "moses_test_scaffolds"),
                        ("train", "moses_train")):
        with np.load(SHIPPED_DIR / f"{name}.npz") as data:
            digest, meta = str(data["source_sha256"]), json.loads(str(data["meta"]))
        assert meta["source"] == f"moses:{split}"
        try:  # the splits are local only where MOLVAE_DATA_DIR or the cache holds them
            path = moses_path(split, download=False)
        except DatasetError:
            continue
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
        if split == "train":
            assert read_shipped_canonical(digest, meta["rows"]) is not None
        else:
            assert set(read_shipped(digest)) == {"fcd", "fragments", "scaffolds", "properties"}


def test_the_shipped_zinc_statistics_belong_to_the_installed_zinc250k_file():
    import hashlib
    import json

    from molvae.data import zinc250k_path
    from molvae.metrics.reference import SHIPPED_DIR, read_shipped

    digest = hashlib.sha256(zinc250k_path().read_bytes()).hexdigest()
    parts = read_shipped(digest)
    assert set(parts) == {"fcd", "fragments", "scaffolds", "properties"}
    assert parts["fcd"].sigma.shape == (512, 512)
    assert int(parts["properties"]["weights"].sum()) == 249_456
    meta = json.loads(str(np.load(SHIPPED_DIR / "zinc250k.npz")["meta"]))
    assert meta["n_molecules"] == 249_456


def test_reference_cache_is_keyed_by_content(tmp_path):
    reference_statistics(["CCO", "CCN"], components=["scaffolds"], cache_dir=tmp_path)
    reference_statistics(["CCO", "CCC"], components=["scaffolds"], cache_dir=tmp_path)
    assert len(list((tmp_path / "metrics").iterdir())) == 2


def test_metric_subset_computes_only_what_is_asked(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("ChemNet ran although FCD was not asked for")

    monkeypatch.setattr("molvae.metrics.evaluation.chemnet_activations", fail)
    result = evaluate(GEN, REF, metrics=["IntDiv", "valid", "snn/Ref"], cache_dir=tmp_path)
    assert list(result) == ["valid", "SNN/Ref", "IntDiv"]


def test_unknown_metric_name_raises_with_a_suggestion(tmp_path):
    with pytest.raises(MolvaeError, match="did you mean 'IntDiv'"):
        evaluate(["CCO"], ["CCO"], metrics=["intdiv1"], cache_dir=tmp_path)


def test_no_valid_molecule_gives_nan_not_a_crash(tmp_path):
    result = evaluate(["", "C1CC"], ["CCO"], metrics=["valid", "SNN", "IntDiv"], cache_dir=tmp_path)
    assert result["valid"] == 0.0 and math.isnan(result["SNN/Ref"]) and math.isnan(result["IntDiv"])


def test_format_metrics_lists_each_metric_with_its_definition(pinned_results):
    table = format_metrics(pinned_results).splitlines()
    assert table[0].split() == ["metric", "value", "definition"]
    assert len(table) == len(pinned_results) + 1
    snn = next(line for line in table if line.startswith("SNN/Ref"))
    assert "0.2803" in snn and "1024 bits" in snn
    assert set(METRICS) >= {key.split("/")[0] for key in pinned_results}


def test_features_run_the_same_in_worker_processes():
    one = compute_features(VALID_GEN, n_jobs=1)
    monkey = features_module._CHUNK
    features_module._CHUNK = 7
    try:
        many = compute_features(VALID_GEN, n_jobs=2)
    finally:
        features_module._CHUNK = monkey
    np.testing.assert_array_equal(one.fingerprints, many.fingerprints)
    assert one.fragments == many.fragments and one.scaffolds == many.scaffolds
    np.testing.assert_array_equal(one.passes_filters, many.passes_filters)
    np.testing.assert_array_equal(one.properties["SA"], many.properties["SA"])


# --- reconstruction ----------------------------------------------------------------------------


def test_reconstruction_accuracy_compares_canonical_smiles():
    answers = {"CCO": "OCC", "c1ccccc1": "C1=CC=CC=C1", "CCN": "CCC", "CC(=O)O": None}
    result = reconstruction_accuracy(lambda batch: [answers[s] for s in batch],
                                     ["CCO", "c1ccccc1", "CCN", "CC(=O)O", "not valid"])
    assert (result.accuracy, result.valid) == (0.5, 0.75)
    assert (result.n_molecules, result.n_invalid_inputs, result.n_trials) == (4, 1, 1)


def test_reconstruction_rejects_a_model_that_returns_the_wrong_count():
    with pytest.raises(MolvaeError, match="one \\(or None\\) per input"):
        reconstruction_accuracy(lambda batch: batch[:1], ["CCO", "CCN"])
