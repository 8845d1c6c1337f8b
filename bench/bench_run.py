"""Benchmark: `kerasdoctor run script.py` against `python script.py` on a small training script.

Budget (issue 4): `kerasdoctor run` adds at most 0.3 s to the whole process.

Run:
    KERAS_BACKEND=jax .venv/bin/python -m bench.bench_run [--rounds 5]

Both commands run as fresh processes, interleaved in rounds so a noisy neighbour hits both;
the medians are compared, and their difference is what kerasdoctor adds (import, watching
compile()/fit(), the checks, the Monitor). Wall time is what the user waits; CPU time (user +
system, of the child process and its threads) is what the work costs, and stays readable
on a loaded machine where wall time does not.
"""

from __future__ import annotations

import argparse
import os
import resource
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


def _time(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `command` as a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=_ENV)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


# The same for both commands. Bytecode is written (by the warm-up runs) and used, as in an
# installed package: with PYTHONDONTWRITEBYTECODE set, every run would recompile kerasdoctor's
# ~90 modules (0.25 s of CPU) while Keras's bytecode, compiled at install, is used.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_ENV["TF_CPP_MIN_LOG_LEVEL"] = "2"


def _construction_cost(rounds: int, n_layers: int = 200) -> None:
    """CPU time to construct n_layers Dense layers, and a model of them, watched or not.

    Under `watch()` every layer records the user's line that constructed it (for findings'
    locations): this is what that costs.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    import kerasdoctor

    def layers() -> None:
        [keras.layers.Dense(8) for _ in range(n_layers)]

    def model() -> None:
        keras.Sequential([keras.Input((8,))] + [keras.layers.Dense(8) for _ in range(n_layers)])

    print(f"\nconstructing {n_layers} Dense(8) layers, CPU ms, median of {rounds}")
    print(f"{'':30}{'plain':>9}{'watched':>9}{'added':>9}")
    for label, work in (("the layers alone", layers), ("a Sequential of them", model)):
        times: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(rounds):
            for watched in (False, True):
                if watched:
                    kerasdoctor.watch(emit=lambda report: None, config=False)
                keras.backend.clear_session()
                start = time.process_time()
                work()
                times[watched].append(1000 * (time.process_time() - start))
                kerasdoctor.unwatch()
        plain, watched = (statistics.median(times[w]) for w in (False, True))
        print(f"{label:30}{plain:9.1f}{watched:9.1f}{watched - plain:+9.1f}")


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
    backend = os.environ.get("KERAS_BACKEND", "Keras's configured backend")
    print(f"backend: {backend}, {args.rounds} rounds, medians")
    print(f"{'':30}{'wall s':>9}{'CPU s':>9}")
    for label, runs in (("python script.py", plain), ("kerasdoctor run script.py", ours)):
        wall, cpu = (statistics.median(r[i] for r in runs) for i in (0, 1))
        print(f"{label:30}{wall:9.2f}{cpu:9.2f}")
    added = [statistics.median(o[i] for o in ours) - statistics.median(p[i] for p in plain)
             for i in (0, 1)]
    ratio = statistics.median(o[0] for o in ours) / statistics.median(p[0] for p in plain)
    print(f"{'added':30}{added[0]:+9.2f}{added[1]:+9.2f}   wall ratio {ratio:.3f}")
    print("budget: at most +0.30 s added")
    _construction_cost(args.rounds)


if __name__ == "__main__":
    main()
