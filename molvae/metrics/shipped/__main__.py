"""``python -m molvae.metrics.shipped``: write the reference statistics that ship with molvae."""

from __future__ import annotations

import argparse
import logging

from molvae.metrics.reference import SHIPPED_SOURCES
from molvae.metrics.shipped.writer import write_shipped


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m molvae.metrics.shipped",
                                     description=__doc__)
    parser.add_argument("sources", nargs="*", default=list(SHIPPED_SOURCES),
                        choices=list(SHIPPED_SOURCES))
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for source in args.sources:
        print(write_shipped(source, device=args.device))


if __name__ == "__main__":
    main()
