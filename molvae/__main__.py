"""``python -m molvae ...`` and ``torchrun --nproc_per_node N -m molvae train ...``."""

from molvae.cli import main

if __name__ == "__main__":
    main()
