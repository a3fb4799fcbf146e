# %% [markdown]
# # molvae quickstart
#
# Load the pretrained ZINC250k model that ships with molvae, sample molecules, look at the
# latent space, walk between two drugs, find a molecule's neighbours, and flag unusual
# molecules by their likelihood. Runs on a laptop CPU in a minute or two; no training.

# %%
import molvae as mv

vae = mv.MolVAE.load("zinc")   # the shipped model; or a checkpoint folder you trained
vae

# %% [markdown]
# ## Sample from the prior
# `sample` returns a DataFrame: canonical SMILES (None where a decode is not a molecule),
# validity, the raw decoded string, and any properties you ask for (computed with RDKit).

# %%
samples = vae.sample(1000, seed=0, properties=["logp", "qed", "sa", "mw"])
valid = samples[samples["valid"]]
print(f"valid {len(valid) / len(samples):.1%}, unique {valid['smiles'].nunique() / len(valid):.1%}")
samples.head()

# %%
mv.plots.molecule_grid(valid.head(12), legend="qed", mols_per_row=4)

# %% [markdown]
# How do the samples compare with the training data? The first 5,000 ZINC250k molecules as
# the reference (`mv.load_dataset("zinc")` loads all 249,456; the first time takes a few
# minutes to compute the properties, then they are cached).

# %%
zinc = mv.load_dataset("zinc", properties=["logp", "qed", "sa", "mw"], limit=5000)
mv.plots.property_distributions(valid, zinc.frame, labels=("sampled", "ZINC250k"));

# %% [markdown]
# ## The latent space
# Encode molecules to their latent means and project them to 2-D (PCA; `method="umap"` when
# umap-learn is installed). The property head trained with the VAE orders the space by
# logP, QED and SA, which is what makes gradient-based optimization work.

# %%
reference = zinc.frame["smiles"].tolist()[:2000]
mv.plots.latent_map(vae, reference, color="logp");

# %%
z = vae.encode(["CC(=O)Oc1ccccc1C(=O)O", "CC(C)Cc1ccc(C(C)C(=O)O)cc1"])  # aspirin, ibuprofen
z.shape

# %% [markdown]
# ## Interpolation
# Decode points along the path between the codes of two molecules (spherical interpolation by
# default, which stays at the norms the decoder saw during training).

# %%
aspirin, ibuprofen = "CC(=O)Oc1ccccc1C(=O)O", "CC(C)Cc1ccc(C(C)C(=O)O)cc1"
path = vae.interpolate(aspirin, ibuprofen, steps=8)
path

# %%
mv.plots.interpolation_strip(frame=path, mols_per_row=4)

# %% [markdown]
# ## Neighbours of a molecule
# Molecules decoded from points near a seed's code, most similar (Morgan-2 Tanimoto) first.

# %%
near = vae.neighbors("CC(=O)Nc1ccc(O)cc1", n=12, radius=0.5, seed=0)   # paracetamol
near

# %%
mv.plots.molecule_grid(near, legend="similarity", mols_per_row=4)

# %% [markdown]
# ## Anomaly scores
# `score` gives each molecule's negative ELBO (an upper bound on −log p(x)) and the
# probability that the decoder writes it back exactly. Drug-like ZINC molecules score low;
# molecules unlike anything in ZINC250k (a long alkane, an organometallic, a peptide) score
# high: the model's predictions there deserve less trust.

# %%
candidates = reference[:5] + [
    "C" * 40,                                   # a 40-carbon chain
    "[Fe+2].c1cc[cH-]c1.c1cc[cH-]c1",           # ferrocene
    "NCC(=O)NCC(=O)NCC(=O)NCC(=O)NCC(=O)O",     # penta-glycine
    "not a molecule",
]
scores = vae.score(candidates)
scores[["input", "neg_elbo", "reconstruction_prob", "nll_per_token", "error"]]
