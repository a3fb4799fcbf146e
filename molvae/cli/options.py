"""The options several commands share, declared once: ``--model``, ``--device``,
``--smiles-column``. A command names the type and its default, e.g. ``model: Model = "zinc"``."""

from __future__ import annotations

from typing import Optional

import typer
from typing_extensions import Annotated

__all__ = ["MODEL_HELP", "Model", "Device", "SmilesColumn"]

MODEL_HELP = "A checkpoint folder or .safetensors file, or 'zinc' for the shipped model."

#: the model a command uses
Model = Annotated[str, typer.Option("--model", "-m", help=MODEL_HELP)]
#: where tensors live
Device = Annotated[Optional[str], typer.Option("--device", help="auto (a GPU when there is one), "
                                               "cpu, cuda, cuda:1 ...")]
#: which column of a CSV holds the SMILES
SmilesColumn = Annotated[Optional[str], typer.Option("--smiles-column", help="The column holding "
                                                     "the SMILES (default: the one named smiles, "
                                                     "canonical_smiles or smi).")]
