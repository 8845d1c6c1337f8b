"""The Monitor, watch(), probe() and the data checks under keras.distribution.DataParallel
on JAX, over 4 host devices.

Run by tests/test_distributed.py in a subprocess: XLA_FLAGS must be set before JAX starts.
Prints one `RESULTS {json}` line.
"""

import os
import sys

os.environ["KERAS_BACKEND"] = "jax"
os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4"
).strip()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import keras  # noqa: E402

import kerasdoctor as kd  # noqa: E402
from kerasdoctor import facts, probes  # noqa: E402


def main() -> dict:
    devices = keras.distribution.list_devices("cpu")
    distribution = keras.distribution.DataParallel(devices=devices)
    keras.distribution.set_distribution(distribution)
    results = {"replicas": len(devices)}
    x, y = common.regression()

    # 1. The Monitor attached by hand, arrays in, the fault seeded.
    model = common.faulty_model()
    results["sharding"] = str(model.get_layer("hidden").kernel.value.sharding)
    # One Monitor at its defaults reports; a busy one (every step measured) exercises every
    # measurement on the distributed variables.
    emitted, busy_emitted = common.Emitted(), common.Emitted()
    monitor = kd.Monitor(data=(x, y), emit=emitted, config=False)
    busy = kd.Monitor(data=(x, y), every=1, max_overhead=None, emit=busy_emitted, config=False)
    model.fit(x, y, batch_size=common.GLOBAL_BATCH, epochs=2, verbose=0, callbacks=[monitor, busy])
    results["monitor"] = common.summary(emitted, monitor.report, monitor.trace)
    results["busy"] = common.summary(busy_emitted, busy.report, busy.trace)
    results["chief"] = facts.is_chief(model)

    # 2. Data facts of an infinite tf.data pipeline: a bounded sample.
    counter = common.Counter()
    pipeline = common.counting_dataset(counter, common.GLOBAL_BATCH).repeat()
    results["infinite"] = common.data_summary(facts.data_facts(pipeline), counter.count)

    # 3. watch(): data checks on the infinite pipeline, the Monitor attached by watch().
    emitted = common.Emitted()
    kd.watch(emit=emitted, config=False)
    try:
        model = common.faulty_model()
        counter = common.Counter()
        model.fit(
            common.counting_dataset(counter, common.GLOBAL_BATCH),
            steps_per_epoch=4,
            epochs=2,
            verbose=0,
        )
    finally:
        report = kd.unwatch()
    results["watch"] = common.summary(emitted, report)
    results["watch"]["read"] = counter.count

    # 4. probe() on a batch the 4 replicas cannot split evenly (30 samples): 28 are used.
    keras.utils.set_random_seed(0)
    healthy = keras.Sequential([keras.Input((20,)), keras.layers.Dense(1, name="out")])
    healthy.compile(optimizer="adam", loss="mse")
    measured = probes.measure(healthy, x[:30], y[:30])
    results["probe"] = {"batch_size": measured.batch_size, "skipped": list(measured.skipped)}
    measured = probes.measure(healthy, x[:3], y[:3])
    results["probe_tiny"] = {"batch_size": measured.batch_size, "skipped": list(measured.skipped)}

    # 5. Process 1 of 2 (as keras.distribution.initialize() would set it): nothing printed,
    # the findings still kept.
    distribution._num_processes, distribution._process_id = 2, 1
    try:
        emitted = common.Emitted()
        kd.watch(emit=emitted, config=False)
        try:
            model = common.faulty_model()
            monitor = kd.Monitor(every=2, emit=emitted, config=False)
            model.fit(
                x, y, batch_size=common.GLOBAL_BATCH, epochs=2, verbose=0, callbacks=[monitor]
            )
        finally:
            report = kd.unwatch()
        results["process1"] = common.summary(emitted, monitor.report)
        results["process1"]["chief"] = facts.is_chief(model)
    finally:
        distribution._num_processes, distribution._process_id = 1, 0
    return results


if __name__ == "__main__":
    common.finish(main())
