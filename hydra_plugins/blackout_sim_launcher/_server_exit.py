"""The last of the pool's fork-server preloads: the server leaves without Python's teardown.

The fork server ends when the sweep's main process ends. Python's teardown of the
model's libraries (pandas, geopandas, pyarrow) would take it about 0.4 s, and all
that time it still holds the sweep's output streams open: ``| tee`` and anything
else reading them waits. The server has nothing to close or write, so it flushes
its streams and leaves at once. The workers it forks never run this: multiprocessing
ends them with ``os._exit`` after their work.
"""

import atexit
import os
import sys


def _leave() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


atexit.register(_leave)
