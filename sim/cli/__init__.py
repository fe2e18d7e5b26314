"""The command line, and the only package that knows Hydra.

``main``: ``python -m sim`` / ``blackout-sim`` (one run or a sweep); ``aggregate``,
``figures``, ``injects``: the commands that work on finished run and sweep
folders. May import every other package.
"""
