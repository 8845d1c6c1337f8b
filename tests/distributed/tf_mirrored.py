"""The Monitor, watch() and the data checks under tf.distribute.MirroredStrategy, 4 replicas.

Run by tests/test_distributed.py in a subprocess: the 4 logical CPUs must be configured
before TensorFlow initialises its devices. Prints one `RESULTS {json}` line.
"""

import json
import os
import sys

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tensorflow as tf  # noqa: E402

_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(_cpu, [tf.config.LogicalDeviceConfiguration()] * 4)

import common  # noqa: E402
import keras  # noqa: E402

import kerasdoctor as kd  # noqa: E402
from kerasdoctor import facts, probes  # noqa: E402


def main() -> dict:
    strategy = tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(common.REPLICAS)])
    results = {"replicas": strategy.num_replicas_in_sync}
    x, y = common.regression()

    # 1. The Monitor attached by hand, arrays in, the fault seeded.
    with strategy.scope():
        model = common.faulty_model()
    # One Monitor at its defaults reports; a busy one (every step measured) exercises every
    # measurement on the distributed variables.
    emitted, busy_emitted = common.Emitted(), common.Emitted()
    monitor = kd.Monitor(data=(x, y), emit=emitted, config=False)
    busy = kd.Monitor(data=(x, y), every=1, max_overhead=None, emit=busy_emitted, config=False)
    model.fit(x, y, batch_size=common.GLOBAL_BATCH, epochs=2, verbose=0, callbacks=[monitor, busy])
    results["monitor"] = common.summary(emitted, monitor.report, monitor.trace)
    results["busy"] = common.summary(busy_emitted, busy.report, busy.trace)
    results["chief"] = facts.is_chief(model)

    # 2. Data facts of distributed, infinite pipelines: a bounded sample, read per replica.
    counter = common.Counter()

    def dataset_fn(context):
        batch = context.get_per_replica_batch_size(common.GLOBAL_BATCH)
        shard = (context.num_input_pipelines, context.input_pipeline_id)
        return common.counting_dataset(counter, batch, shard)

    from_function = strategy.distribute_datasets_from_function(dataset_fn)
    results["from_function"] = common.data_summary(facts.data_facts(from_function), counter.count)
    per_replica = next(iter(from_function))[0]
    results["per_replica_rows"] = [int(v.shape[0]) for v in per_replica.values]
    counter2 = common.Counter()
    distributed = strategy.experimental_distribute_dataset(
        common.counting_dataset(counter2, common.GLOBAL_BATCH)
    )
    results["distributed"] = common.data_summary(facts.data_facts(distributed), counter2.count)

    # 3. watch(): data checks on the distributed pipeline, the Monitor attached by watch().
    emitted = common.Emitted()
    kd.watch(emit=emitted, config=False)
    try:
        with strategy.scope():
            model = common.faulty_model()
        counter3 = common.Counter()
        pipeline = strategy.distribute_datasets_from_function(
            lambda context: common.counting_dataset(
                counter3, context.get_per_replica_batch_size(common.GLOBAL_BATCH)
            )
        )
        model.fit(pipeline, steps_per_epoch=4, epochs=2, verbose=0)
    finally:
        report = kd.unwatch()
    results["watch"] = common.summary(emitted, report)
    results["watch"]["read"] = counter3.count

    # 4. probe() on a model built in the strategy's scope, called outside it and inside it.
    with strategy.scope():
        keras.utils.set_random_seed(0)
        healthy = keras.Sequential([keras.Input((20,)), keras.layers.Dense(1, name="out")])
        healthy.compile(optimizer="adam", loss="mse")
    outside = probes.measure(healthy, x[:30], y[:30])
    with strategy.scope():
        inside = probes.measure(healthy, x[:30], y[:30])
    results["probe"] = [
        {"batch_size": m.batch_size, "skipped": list(m.skipped), "steps": len(m.fit_losses)}
        for m in (outside, inside)
    ]

    # 5. A non-chief worker (TF_CONFIG names this process worker 1 of 2): nothing printed,
    # the findings still kept. The Monitor samples its probe batch from the distributed dataset.
    os.environ["TF_CONFIG"] = json.dumps(
        {
            "cluster": {"worker": ["localhost:1", "localhost:2"]},
            "task": {"type": "worker", "index": 1},
        }
    )
    try:
        emitted = common.Emitted()
        kd.watch(emit=emitted, config=False)
        try:
            with strategy.scope():
                model = common.faulty_model()
            monitor = kd.Monitor(data=from_function, every=2, emit=emitted, config=False)
            model.fit(
                x, y, batch_size=common.GLOBAL_BATCH, epochs=2, verbose=0, callbacks=[monitor]
            )
        finally:
            report = kd.unwatch()
        results["worker1"] = common.summary(emitted, monitor.report, monitor.trace)
        results["worker1"]["chief"] = facts.is_chief(model)
        results["worker1"]["watch_report"] = [f.code for f in report]
    finally:
        del os.environ["TF_CONFIG"]
    return results


if __name__ == "__main__":
    common.finish(main())
