"""``python -m molvae.pretrained CHECKPOINT --name zinc``: export a run as a shipped model."""

from molvae.pretrained import main

if __name__ == "__main__":
    main()
