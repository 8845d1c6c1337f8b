"""Benchmark: the data checks on a 1,000,000 x 784 float32 memmap (3.1 GB), and on a tf.data
pipeline over it, next to a single `np.mean` over the same array.

Budget (issue 3): `diagnose()` with data costs under 1 s and under 100 MB of extra memory,
whatever the dataset size; the data checks read a bounded sample, never the whole array.

Run:
    KERAS_BACKEND=jax .venv/bin/python -m bench.bench_data
    KERAS_BACKEND=tensorflow .venv/bin/python -m bench.bench_data   # same rows; tf.data row too

Options: `--rows N` (default 1,000,000), `--dir PATH` (where the temporary memmap goes),
`--file PATH` (use and keep this memmap file). The memmap is written in chunks (never whole
in memory) and deleted at the end.

Each case runs twice: "cold" after the file's pages were dropped from the OS cache
(`posix_fadvise(DONTNEED)`), so its rows come from disk, then "warm".

Memory is measured two ways, both as the peak above what was in use before the call:
`tracemalloc` (Python and numpy allocations) and the process's resident set (VmHWM in
/proc/self/status, whose peak is reset before each call by writing 5 to /proc/self/clear_refs;
on systems without it, `resource.getrusage` gives the lifetime peak instead). RSS counts the
pages of the memmap that were read, so the `np.mean` row shows what a full pass costs.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

FEATURES = 784
CHUNK = 20_000
BUDGET_S = 1.0
BUDGET_MB = 100.0


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_rss_kb() -> int:
    hwm = _status_kb("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(fn: Callable[[], Any]) -> tuple[float, float, float, Any]:
    """(seconds, peak traced MB, peak extra RSS MB, result) of `fn`.

    Time and RSS come from a first, plain call; the traced peak from a second call under
    `tracemalloc`, which slows Python code down several times and so is never timed.
    """
    gc.collect()
    reset = _reset_peak_rss()
    rss_before = _status_kb("VmRSS") if reset else _peak_rss_kb()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    rss = max(0, _peak_rss_kb() - (rss_before or 0)) / 1024
    gc.collect()
    tracemalloc.start()
    fn()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, traced_peak / 2**20, rss, result


def drop_page_cache(path: str) -> None:
    """Evict the file's pages from the OS cache, so the next read comes from disk."""
    if hasattr(os, "posix_fadvise"):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _has_tensorflow() -> bool:
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return False
    return True


def make_memmap(path: Path, rows: int) -> tuple[np.memmap, np.ndarray]:
    """A (rows, 784) float32 memmap of unit-scale values, written chunk by chunk."""
    rng = np.random.default_rng(0)
    out = np.memmap(path, dtype="float32", mode="w+", shape=(rows, FEATURES))
    for start in range(0, rows, CHUNK):
        stop = min(rows, start + CHUNK)
        out[start:stop] = rng.random((stop - start, FEATURES), dtype=np.float32)
    out.flush()
    del out
    x = np.memmap(path, dtype="float32", mode="r", shape=(rows, FEATURES))
    y = rng.integers(0, 10, size=rows).astype("int64")
    return x, y


def make_model():
    import keras

    model = keras.Sequential(
        [
            keras.Input((FEATURES,), name="pixels"),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dropout(0.2, name="dropout"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def tf_pipeline(x: np.memmap, y: np.ndarray, batch_size: int = 256):
    """A tf.data pipeline that reads the memmap batch by batch (nothing is copied into the graph)."""
    import tensorflow as tf

    def read(indices):
        return x[indices[0] : indices[-1] + 1], y[indices[0] : indices[-1] + 1]

    def load(indices):
        xb, yb = tf.numpy_function(read, [indices], (tf.float32, tf.int64))
        xb.set_shape((None, FEATURES))
        yb.set_shape((None,))
        return xb, yb

    return tf.data.Dataset.range(len(x)).batch(batch_size).map(load)


def row(name: str, seconds: float, traced: float, rss: float, note: str = "") -> str:
    return f"{name:<46} {seconds:>8.3f} s {traced:>9.1f} MB {rss:>9.1f} MB  {note}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", default=None, help="directory for the temporary memmap")
    parser.add_argument(
        "--file", default=None, help="use (and keep) this memmap file instead of a temporary one"
    )
    args = parser.parse_args(argv)

    import keras

    import kerasdoctor

    workdir = Path(tempfile.mkdtemp(prefix="kerasdoctor-bench-", dir=args.dir))
    try:
        start = time.perf_counter()
        path = Path(args.file) if args.file else workdir / "x.f32"
        if args.file and path.exists() and path.stat().st_size == args.rows * FEATURES * 4:
            x = np.memmap(path, dtype="float32", mode="r", shape=(args.rows, FEATURES))
            y = np.random.default_rng(0).integers(0, 10, size=args.rows).astype("int64")
        else:
            x, y = make_memmap(path, args.rows)
        gib = x.size * x.itemsize / 2**30
        print(
            f"backend={keras.backend.backend()}  x: memmap {x.shape} float32, {gib:.2f} GiB on disk "
            f"(written in {time.perf_counter() - start:.1f} s); y: {y.shape} int64 in memory"
        )
        model = make_model()
        kerasdoctor.diagnose(model, x[:1000], y[:1000])  # warm-up: imports, rule discovery

        print(f"{'':<46} {'time':>10} {'tracemalloc':>12} {'extra RSS':>12}")
        results = []
        dataset = tf_pipeline(x, y) if _has_tensorflow() else None
        cases = [
            ("diagnose(model, x, y)  [memmap]", lambda: kerasdoctor.diagnose(model, x, y)),
            (
                "diagnose(..., validation_split=0.2)",
                lambda: kerasdoctor.diagnose(model, x, y, validation_split=0.2),
            ),
            (
                "diagnose(model, tf.data pipeline)",
                (lambda: kerasdoctor.diagnose(model, dataset)) if dataset is not None else None,
            ),
            ("np.mean(x)  [one full pass, for scale]", lambda: float(np.mean(x))),
        ]
        for name, fn in cases:
            if fn is None:
                print(row(name, float("nan"), 0, 0, "tensorflow is not installed"))
                continue
            for cache in ("cold", "warm"):
                if cache == "cold":
                    drop_page_cache(x.filename)
                seconds, traced, rss, result = measure(fn)
                note = f"= {result:.4f}" if isinstance(result, float) else f"{len(result)} findings"
                print(row(f"{name} {cache}", seconds, traced, rss, note))
                if not name.startswith("np.mean"):
                    results.append((name, seconds, traced, rss))
        small = x[: len(x) // 100]
        for _ in range(2):  # the second call is warm
            seconds, traced, rss, report = measure(
                lambda: kerasdoctor.diagnose(model, small, y[: len(small)])
            )
        print(
            row(
                f"diagnose on x[:{len(small)}] warm (size check)",
                seconds,
                traced,
                rss,
                f"{len(report)} findings",
            )
        )

        worst_s = max(r[1] for r in results)
        worst_mb = max(max(r[2], r[3]) for r in results)
        ok = worst_s < BUDGET_S and worst_mb < BUDGET_MB
        print(
            f"budget: < {BUDGET_S:.0f} s and < {BUDGET_MB:.0f} MB extra per diagnose(): "
            f"worst {worst_s:.3f} s, {worst_mb:.1f} MB -> {'OK' if ok else 'OVER BUDGET'}"
        )
        return 0 if ok else 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    raise SystemExit(main())
