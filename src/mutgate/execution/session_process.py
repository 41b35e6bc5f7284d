"""A dask worker's session process: a fresh interpreter that plays a loky worker's part.

`cluster.py` starts it (``python -c "from mutgate.execution.session_process import serve;
serve()" FD WORKER_PID KEY``) for the first batch of a run on a worker, and sends it batches
over the socket FD. It takes the run's key with `pool._init_worker`, runs each batch with
`pool.run_batch` (its warm session in its own `pool._WORKER`) and sends the outcome back,
until the worker closes the socket; it dies with its worker.

Only this module imports `pool` on the dask side, so `cluster.py` (which `pool.execute`
calls) never imports `pool` back.
"""

from __future__ import annotations

import os
import sys
from multiprocessing.connection import Connection

from mutgate.execution import pool
from mutgate.execution.limits import die_with_parent


def serve() -> None:
    """Run the batches the worker sends until it closes the socket (or dies)."""
    fd, worker_pid, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    die_with_parent()
    if os.getppid() != worker_pid:
        return
    conn = Connection(fd)
    pool._init_worker(key)
    while True:
        try:
            ctx, batch = conn.recv()
        except EOFError:  # the worker stopped the session, or died
            return
        conn.send(pool.run_batch(ctx, batch))
