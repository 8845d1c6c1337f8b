"""Benchmark: the cost of `kerasdoctor.Monitor()` at its defaults, as a ratio of step time.

Budget (issue 5): the Monitor at its defaults costs at most 3% of the step time, on this
machine's CPU and on a GPU.

Trains a small MLP (20 -> 64 -> 64 -> 10) and a small CNN (28x28x1 -> Conv 8 -> pool ->
Conv 16 -> Dense 10) with and without the Monitor, in interleaved rounds (the order of the
two inside each round is shuffled), on the same compiled model, so that compilation is paid
once. The measure is the process CPU time per step (all threads: Keras's async batch-end
workers and the Monitor's included) of each epoch after the first of each `fit()`, whose
median is compared; wall time is printed too but is disturbed by other jobs on a shared box.
The ratio is the median over rounds of each round's on/off ratio (pairs taken close in time
cancel slow drifts of the machine's speed); the min-max over rounds shows the noise.
An epoch-only timing callback reads the clocks, so it does not change how Keras dispatches
batch ends; it comes after the Monitor, so each epoch's time includes the Monitor's
end-of-epoch work.

The ratio carries the machine's noise (PyTorch's thread pool makes its rounds swing by 10% and
more), so the Monitor's own CPU time is measured too: the thread CPU time spent inside its
hooks (on the main thread and on Keras's batch-end worker), as a share of the CPU time of the
fit's epochs ("own"), less the cost of reading that clock (measured here: a system call of
about a microsecond, two per hook call, which would otherwise count ~2-4 us a step). It is
what the Monitor costs by itself, read from the same runs; the ratio adds what it causes
indirectly (caches, the thread pool), if anything. The verdict is on "own", unless every
round's ratio is over the budget too (then the cost is real, whatever its cause).

Run:
    KERAS_BACKEND=jax .venv/bin/python -m bench.bench_monitor
    KERAS_BACKEND=tensorflow .venv/bin/python -m bench.bench_monitor
    KERAS_BACKEND=torch .venv/bin/python -m bench.bench_monitor

Options: `--rounds N` (default 5), `--epochs N` per fit (default 3, the first is not timed),
`--steps N` steps per epoch (default: per backend, about a second of CPU time per epoch),
`--models mlp,cnn`.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import statistics
import time

import numpy as np

STEPS = {  # steps per epoch: about a second of CPU per epoch on a 2-core box
    "jax": {"mlp": 2000, "cnn": 300},
    "tensorflow": {"mlp": 800, "cnn": 200},
    "torch": {"mlp": 300, "cnn": 100},
}
BATCH = 32


def _learnable(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and labels a model can learn (a random linear map's argmax): healthy training."""
    flat = x.reshape(len(x), -1)
    weights = np.random.default_rng(1).standard_normal((flat.shape[1], 10))
    return x.astype("float32"), np.argmax((flat - flat.mean(axis=0)) @ weights, axis=1)


def _models():
    import keras

    def mlp():
        model = keras.Sequential(
            [
                keras.Input((20,)),
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
        return model, lambda n: _learnable(np.random.default_rng(0).standard_normal((n, 20)))

    def cnn():
        model = keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                keras.layers.Conv2D(8, 3, activation="relu"),
                keras.layers.MaxPooling2D(),
                keras.layers.Conv2D(16, 3, activation="relu"),
                keras.layers.Flatten(),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
        return model, lambda n: _learnable(np.random.default_rng(0).random((n, 28, 28, 1)))

    return {"mlp": mlp, "cnn": cnn}


def _timer():
    import keras

    class EpochTimer(keras.callbacks.Callback):
        """CPU and wall seconds per epoch; epoch hooks only (batch dispatch unchanged)."""

        def __init__(self):
            super().__init__()
            self.cpu: list[float] = []
            self.wall: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self._cpu, self._wall = time.process_time(), time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.cpu.append(time.process_time() - self._cpu)
            self.wall.append(time.perf_counter() - self._wall)

    return EpochTimer()


_HOOKS = (
    "on_train_begin",
    "on_epoch_begin",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_epoch_end",
    "on_train_end",
)


def _clock_cost(calls: int = 20_000) -> float:
    """Thread CPU seconds per `time.thread_time()` call: what each counted hook call adds."""
    start = time.thread_time()
    for _ in range(calls):
        time.thread_time()
    return (time.thread_time() - start) / calls


def counted_hooks(monitor_class: type, spent: list[float], clock=time.thread_time) -> dict:
    """The Monitor's hooks, each appending the thread CPU time it takes (read from `clock`)
    to `spent` (an append is atomic: hooks run on the main thread and on Keras's batch-end
    worker)."""

    def counted(hook):
        @functools.wraps(hook)
        def method(self, *args, **kwargs):
            start = clock()
            try:
                return hook(self, *args, **kwargs)
            finally:
                spent.append(clock() - start)

        return method

    return {name: counted(getattr(monitor_class, name)) for name in _HOOKS}


def _counted_monitor():
    """A `Monitor` whose hooks add the thread CPU time they take to `monitor.own`."""
    from kerasdoctor import Monitor

    own: list[float] = []
    monitor = type("CountedMonitor", (Monitor,), counted_hooks(Monitor, own))()
    monitor.own = own
    return monitor


def bench(name: str, rounds: int, epochs: int, steps: int) -> dict[str, float]:
    import keras

    keras.utils.set_random_seed(0)
    model, data = _models()[name]()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data(steps * BATCH)
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # compile, warm up
    per_step: dict[str, list[float]] = {"off": [], "on": []}
    wall: dict[str, list[float]] = {"off": [], "on": []}
    ratios: list[float] = []
    own: list[float] = []
    clock = _clock_cost()
    order = random.Random(0)
    for _ in range(rounds):
        conditions = ["off", "on"]
        order.shuffle(conditions)
        medians = {}
        for condition in conditions:
            timer = _timer()
            callbacks = ([_counted_monitor()] if condition == "on" else []) + [timer]
            model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=callbacks)
            cpu = [c / steps for c in timer.cpu[1:]]
            per_step[condition] += cpu
            wall[condition] += [w / steps for w in timer.wall[1:]]
            medians[condition] = statistics.median(cpu)
            if condition == "on":
                monitor = callbacks[0]
                own.append((sum(monitor.own) - clock * len(monitor.own)) / sum(timer.cpu))
                if monitor.report.findings:
                    print(f"  (the Monitor reported {monitor.report.codes} on {name})")
        ratios.append(medians["on"] / medians["off"])
    return {
        "cpu_off_ms": statistics.median(per_step["off"]) * 1e3,
        "cpu_on_ms": statistics.median(per_step["on"]) * 1e3,
        "ratio": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "own": statistics.median(own),
        "wall_off_ms": statistics.median(wall["off"]) * 1e3,
        "wall_on_ms": statistics.median(wall["on"]) * 1e3,
    }


def main(argv: list[str] | None = None) -> None:
    import keras

    backend = keras.backend.backend()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--models", default="mlp,cnn")
    args = parser.parse_args(argv)
    print(
        f"Monitor overhead, backend={backend}, {os.cpu_count()} CPUs, batch {BATCH}, "
        f"{args.rounds} interleaved rounds x {args.epochs - 1} timed epochs; budget: ratio <= 1.03"
    )
    print(
        f"{'model':6} {'steps':>6} {'cpu ms/step off':>16} {'on':>8} {'ratio':>7} "
        f"{'(rounds min-max)':>17} {'own':>6} {'wall ms/step off':>17} {'on':>8}"
    )
    for name in args.models.split(","):
        steps = args.steps or STEPS.get(backend, STEPS["tensorflow"])[name]
        r = bench(name, args.rounds, args.epochs, steps)
        verdict = "ok" if r["own"] <= 0.03 and r["ratio_min"] <= 1.03 else "OVER BUDGET"
        spread = f"{r['ratio_min']:.3f}-{r['ratio_max']:.3f}"
        print(
            f"{name:6} {steps:6d} {r['cpu_off_ms']:16.3f} {r['cpu_on_ms']:8.3f} "
            f"{r['ratio']:7.3f} {spread:>17} {r['own']:6.2%} {r['wall_off_ms']:17.3f} "
            f"{r['wall_on_ms']:8.3f}"
            f"  {verdict}"
        )


if __name__ == "__main__":
    main()
