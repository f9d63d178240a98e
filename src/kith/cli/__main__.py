"""`python -m kith.cli …` runs the `kith` command (kith demo starts its worker and server so)."""

from kith.cli import main

main()
