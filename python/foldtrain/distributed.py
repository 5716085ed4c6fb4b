"""A training run proven in segments on a Ray cluster.

::

    import ray, foldtrain.distributed
    ray.init()                       # or ray.init(address="auto") on a cluster
    clf = foldtrain.distributed.prove(X, y, segments=8, out_dir="run", epochs=10)
    foldtrain.verify(clf.bundle_)

The run is planned here (the commitment, the cuts, a fresh salt for every
boundary: ``foldtrain plan``), each segment is proven by a Ray task on
whichever node Ray gives it (``foldtrain prove-segment``), and the proofs
come back here to be joined into ``out_dir/proof.bundle`` (``foldtrain
join``), a segmented training bundle that verifies like any other.

What each task needs travels with it through Ray's object store: the
training CSV and the private plan (every boundary's salt and the salts of
both commitments). They are secrets: run Ray with TLS
(``RAY_USE_TLS=1``) on a network you do not trust, and only on machines
you would give the data to. A task writes them to a temporary owner-only
folder on its node and removes it when done; nothing else is shared, so a
cluster of many machines needs no shared file system. Every node needs
this package installed (as any Ray cluster needs its tasks' code). Each
worker builds (or loads from its own cache) the segment circuit's public
parameters: seconds, once a node.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

from . import _foldtrain

__all__ = ["prove"]


def prove(
    X: Any,
    y: Any,
    *,
    segments: int,
    out_dir: Optional[Any] = None,
    commitment: Any = None,
    force: bool = False,
    num_cpus: float = 1,
    **params: Any,
) -> Any:
    """Trains on ``X``, ``y`` and proves the training in ``segments``
    segments, each a Ray task; returns the fitted
    :class:`foldtrain.ProvenLogisticRegression` (``params`` are its
    parameters). ``num_cpus``: what Ray reserves for each task (a prover
    uses every core it is given). Without a running Ray, a local one is
    started for the call and stopped after it."""
    from . import ProvenLogisticRegression

    clf = ProvenLogisticRegression(**params)
    return clf._fit(X, y, out_dir, commitment=commitment, force=force, segments=segments, num_cpus=num_cpus)


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ImportError(
            "proving in segments runs on Ray: install it with `pip install ray` (or prove on one "
            "machine with segments=None, or from the CLI with `foldtrain plan` / `prove-segment` "
            "/ `join` under any job runner)"
        ) from None
    return ray


def _prove_segment(files: dict, index: int) -> tuple:
    """A Ray task: proves segment ``index`` from the plan and the data in
    ``files``, in a temporary owner-only folder; returns the proof file's
    bytes and the report."""
    from foldtrain import _foldtrain as lib

    with tempfile.TemporaryDirectory(prefix="foldtrain-segment-") as tmp:
        private = Path(lib.private_folder(tmp))
        lib.write_private(str(private / "segments.json"), files["plan"])
        data = private / "data.csv"
        lib.write_private(str(data), files["data"])
        report = lib.prove_segment(tmp, index, data=str(data), progress=None)
        return index, Path(report.path).read_bytes(), report.to_dict(), socket.gethostname()


def _write_public(path: Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` atomically (a temporary file beside it,
    then a rename)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(
    data: str,
    out: str,
    *,
    train_fraction: float,
    recipe: Any,
    segments: int,
    commitment: Optional[str],
    private_normalizer: bool,
    force: bool,
    progress: Any,
    num_cpus: float = 1,
) -> _foldtrain.ProveResult:
    """Plans, proves every segment as a Ray task, joins: the join's report."""
    ray = _ray()
    planned = _foldtrain.plan(
        data,
        out,
        train_fraction=train_fraction,
        recipe=recipe,
        segments=segments,
        commitment=commitment,
        private_normalizer=private_normalizer,
        force=force,
    )
    count = len(planned.segments)
    files = {"plan": Path(planned.plan_path).read_bytes(), "data": Path(data).read_bytes()}
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(include_dashboard=False, log_to_driver=False)
    start = time.monotonic()
    try:
        shared = ray.put(files)
        task = ray.remote(num_cpus=num_cpus, max_retries=1)(_prove_segment)
        pending = {task.remote(shared, i): i for i in range(count)}
        done = 0
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                index = pending.pop(ref)
                try:
                    _, proof, report, node = ray.get(ref)
                except Exception as e:
                    for other in pending:
                        ray.cancel(other)
                    raise RuntimeError(
                        f"segment {index} of {count} failed on its worker: {e}. The segments proven "
                        f"so far are in {out}/segments; prove the rest with `foldtrain prove-segment "
                        f"{out} --index I`, then `foldtrain join {out}`"
                    ) from None
                _write_public(Path(out) / "segments" / f"segment-{index}.proof", proof)
                done += 1
                if callable(progress):
                    progress("segment", done, count)
                elif progress is not False:
                    print(
                        f"foldtrain: segment {index} ({done} of {count}) proven on {node}: folding "
                        f"{report['fold_s']:.0f} s, compression {report['compress_s']:.0f} s "
                        f"[{time.monotonic() - start:.0f} s]",
                        file=sys.stderr,
                        flush=True,
                    )
    finally:
        if started_here:
            ray.shutdown()
    return _foldtrain.join(out, data=data, force=force, progress=None)
