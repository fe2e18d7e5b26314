"""``python -m sim``: run the default scenario or any composed config."""

from sim.cli.main import console

if __name__ == "__main__":
    console()
