"""Shared by the strategy scripts: the seeded fault, the counting input pipeline, the results.

Each script runs in its own process (started by tests/test_distributed.py), because the
devices (4 logical CPUs on TensorFlow, 4 host devices on JAX) must be configured before the
backend starts, and prints one JSON line of results, which the test checks.
"""

from __future__ import annotations

import json
import sys
import threading

import numpy as np

REPLICAS = 4
GLOBAL_BATCH = 32


def regression(n: int = 256, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 20)).astype("float32")
    y = (x @ rng.standard_normal(20) * 10).astype("float32").reshape(-1, 1)
    return x, y


def faulty_model():
    """The seeded fault: SGD with a learning rate far too high (10): the loss overflows."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(1, name="out"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=10.0), loss="mse")
    return model


class Counter:
    """Counts the samples an input pipeline has produced (an infinite generator)."""

    def __init__(self):
        self.count = 0
        self._lock = threading.Lock()

    def generator(self):
        x, y = regression(64, seed=1)
        i = 0
        while True:  # infinite: reading it whole would never end
            with self._lock:
                self.count += 1
            yield x[i % 64], y[i % 64]
            i += 1


def counting_dataset(counter: Counter, batch_size: int, shard: tuple[int, int] | None = None):
    """An infinite tf.data pipeline over `counter`'s generator, batched (and sharded)."""
    import tensorflow as tf

    spec = (tf.TensorSpec((20,), tf.float32), tf.TensorSpec((1,), tf.float32))
    ds = tf.data.Dataset.from_generator(counter.generator, output_signature=spec)
    if shard is not None:
        ds = ds.shard(*shard)
    return ds.batch(batch_size, drop_remainder=True)


class Emitted:
    """Collects what the Monitor or watch() prints (its `emit`)."""

    def __init__(self):
        self.findings = []

    def __call__(self, report):
        self.findings.extend(report.findings)

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]


def summary(emitted: Emitted, report=None, trace=None) -> dict:
    out = {
        "emitted": emitted.codes(),
        "emitted_keys": [[f.code, f.location.layer, f.message] for f in emitted.findings],
    }
    if report is not None:
        out["report"] = [f.code for f in report]
        out["internal"] = [f.message for f in report if f.code == "KD000"]
    if callable(trace):  # Monitor.trace: a method in older versions, a property now
        trace = trace()
    if trace is not None:
        out["updates"] = len(trace.updates)
        out["units"] = sorted({u.layer for u in trace.units})
        out["steps"] = len(trace.losses)
    return out


def data_summary(data, count: int) -> dict:
    return {
        "source": data.source,
        "x_shape": list(data.x.shape) if data.x is not None else None,
        "x_rows": data.x.rows if data.x is not None else None,
        "n": data.x.n if data.x is not None else None,
        "complete": data.x.complete if data.x is not None else None,
        "skipped": list(data.skipped),
        "read": count,
    }


def finish(results: dict) -> None:
    sys.stdout.write("\nRESULTS " + json.dumps(results) + "\n")
    sys.stdout.flush()
