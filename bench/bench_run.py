"""Benchmark: `kerasdoctor run script.py` against `python script.py` on a small training script.

Budget (issue 4): `kerasdoctor run` adds at most 0.3 s to the whole process.

Run:
    KERAS_BACKEND=jax .venv/bin/python -m bench.bench_run [--rounds 5]

Both commands run as fresh processes, interleaved in rounds so a noisy neighbour hits both;
the medians of wall time are compared, and their difference is what kerasdoctor adds
(import, watching compile()/fit(), the checks, the Monitor).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import numpy as np
    import keras

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2000, 20)).astype("float32")
    y = (x[:, :3].sum(axis=1) > 0).astype("int64")
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=3, batch_size=32, validation_split=0.2, verbose=0)
    """
)


def _time(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "train.py"
        script.write_text(SCRIPT)
        plain_cmd = [sys.executable, str(script)]
        ours_cmd = [sys.executable, "-m", "kerasdoctor", "run", str(script)]
        _time(plain_cmd)  # warm the file cache and compiled bytecode
        _time(ours_cmd)
        plain, ours = [], []
        for _ in range(args.rounds):
            plain.append(_time(plain_cmd))
            ours.append(_time(ours_cmd))
    p, o = statistics.median(plain), statistics.median(ours)
    print(f"python script.py              median {p:6.2f} s  ({args.rounds} rounds)")
    print(f"kerasdoctor run script.py     median {o:6.2f} s")
    print(f"added: {o - p:+.2f} s  ratio {o / p:.3f}  (budget: at most +0.30 s)")


if __name__ == "__main__":
    main()
