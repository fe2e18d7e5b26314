"""``python -m sim``: run the default scenario or any composed config."""

from sim.cli.main import main

if __name__ == "__main__":
    main()
