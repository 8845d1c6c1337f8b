"""At scale: the Monitor, watch() and probe() under distribution strategies, and the data
checks on distributed, sharded and infinite input pipelines.

The strategy runs need their devices configured before the backend starts (4 logical CPUs
for `tf.distribute.MirroredStrategy`, `--xla_force_host_platform_device_count=4` for
`keras.distribution.DataParallel` on JAX), so each runs in its own process
(tests/distributed/*.py), both started at once; each trains a small model with a learning
rate far too high (SGD, 10), and the fault must be reported exactly once. The scripts set
their own backend, so these tests are not marked `backend`: CI runs them once.
"""

import json
import os
import subprocess
import sys
import threading
import types
from pathlib import Path

import numpy as np
import pytest

import kerasdoctor
from kerasdoctor import facts

SCRIPTS = Path(__file__).parent / "distributed"
sys.path.insert(0, str(SCRIPTS))
import common  # noqa: E402  (tests/distributed/common.py)

TIMEOUT = 900

# --------------------------------------------------------------------------------------------
# the strategy runs (subprocesses)
# --------------------------------------------------------------------------------------------

_started: dict[str, subprocess.Popen] = {}
_lock = threading.Lock()


def _start(names: tuple[str, ...]) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "TF_CONFIG")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["PYTHONWARNINGS"] = "ignore"
    for name in names:
        if name not in _started:
            _started[name] = subprocess.Popen(
                [sys.executable, str(SCRIPTS / f"{name}.py")],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env=env,
                cwd=str(SCRIPTS),
            )


def _run(name: str) -> dict:
    """Run one strategy script; its results. Without pytest-xdist both scripts start at once
    (they overlap on 2 cores); under xdist each test starts only its own, so neither runs
    twice whichever workers the two tests land on."""
    with _lock:
        if os.environ.get("PYTEST_XDIST_WORKER"):
            _start((name,))
        else:
            _start(("tf_mirrored", "jax_data_parallel"))
        process = _started[name]
        try:
            output, _ = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    lines = [line for line in output.splitlines() if line.startswith("RESULTS ")]
    assert process.returncode == 0 and lines, f"{name}.py failed:\n{output[-6000:]}"
    return json.loads(lines[-1][len("RESULTS ") :])


def _once(emitted: list[str], code: str) -> None:
    assert emitted.count(code) == 1, f"{code} reported {emitted.count(code)} times: {emitted}"
    duplicated = sorted({c for c in emitted if emitted.count(c) > 1})
    assert not duplicated, f"reported more than once: {duplicated} in {emitted}"


def _check_monitor(run: dict) -> None:
    """The Monitor at its defaults reports the seeded fault once, not once per replica."""
    monitor = run["monitor"]
    _once(monitor["emitted"], "KD401")
    assert set(monitor["emitted"]) <= {"KD401", "KD402"}  # not-finite (and maybe diverging first)
    assert monitor["internal"] == []
    busy = run["busy"]  # every step measured
    assert busy["internal"] == [], busy["internal"]  # no KD000: every measurement worked
    assert busy["updates"] > 0  # weight-update ratios from the mirrored / replicated variables
    assert busy["units"] == ["hidden"]  # activations on the probe batch
    _once(busy["emitted"], "KD401")


def _check_watch(run: dict) -> None:
    watch = run["watch"]
    _once(watch["emitted"], "KD401")  # the Monitor watch() attached, during training
    _once(watch["emitted"], "KD209")  # the learning rate, at compile()
    assert watch["internal"] == []
    assert "KD323" not in watch["emitted"]  # the pipeline was read, not skipped
    # the data checks read a bounded sample of the pipeline; training reads 8 steps' worth
    assert watch["read"] <= (facts.MAX_BATCHES + 8 + 16) * common.GLOBAL_BATCH


def _check_other_process(run: dict, other: dict) -> None:
    assert run["chief"] is True
    assert other["chief"] is False
    assert other["emitted"] == []  # nothing printed on the other process...
    assert "KD401" in other["report"]  # ... which still keeps its findings
    assert other["internal"] == []


def test_mirrored_strategy():
    """tf.distribute.MirroredStrategy over 4 logical CPUs."""
    pytest.importorskip("tensorflow")
    run = _run("tf_mirrored")
    assert run["replicas"] == common.REPLICAS
    _check_monitor(run)
    _check_watch(run)
    _check_other_process(run, run["worker1"])  # TF_CONFIG: worker 1 of 2
    # the data checks on distributed datasets: a bounded sample, read per replica
    assert run["per_replica_rows"] == [common.GLOBAL_BATCH // common.REPLICAS] * common.REPLICAS
    for key in ("from_function", "distributed"):
        data = run[key]
        assert data["source"] == "tf.distribute"
        assert data["skipped"] == []
        # MAX_BATCHES global batches, each the concatenation of the 4 replicas' shards
        assert data["x_shape"] == [facts.MAX_BATCHES * common.GLOBAL_BATCH, 20]
        assert data["n"] is None and data["complete"] is False  # infinite: count unknown
        assert data["read"] <= (facts.MAX_BATCHES + 8) * common.GLOBAL_BATCH
    assert run["worker1"]["units"] == ["hidden"]  # its probe batch came from that dataset
    for measured in run["probe"]:  # probe() outside the strategy's scope, then inside it
        assert measured == {"batch_size": 30, "skipped": [], "steps": 30}


def test_data_parallel():
    """keras.distribution.DataParallel over 4 JAX host devices."""
    pytest.importorskip("jax")
    pytest.importorskip("tensorflow")  # the script's input pipelines are tf.data
    run = _run("jax_data_parallel")
    assert run["replicas"] == common.REPLICAS
    assert "batch" in run["sharding"]  # the variables live on the 4-device mesh
    _check_monitor(run)
    _check_watch(run)
    _check_other_process(run, run["process1"])  # keras.distribution: process 1 of 2
    assert run["probe"] == {"batch_size": 28, "skipped": []}  # 30 samples -> 28 = 4 x 7
    assert run["probe_tiny"]["batch_size"] == 0
    assert "one per replica" in run["probe_tiny"]["skipped"][0]
    data = run["infinite"]
    assert data["read"] == facts.MAX_BATCHES * common.GLOBAL_BATCH
    assert data["n"] is None and data["complete"] is False


# --------------------------------------------------------------------------------------------
# which process reports (in-process, with stand-ins for the cluster)
# --------------------------------------------------------------------------------------------


class _Resolver:
    def __init__(self, task_type, task_id, jobs):
        self.task_type, self.task_id, self._jobs = task_type, task_id, jobs

    def cluster_spec(self):
        return types.SimpleNamespace(jobs=list(self._jobs))


def _model_on(task_type, task_id, jobs=("worker",)):
    strategy = types.SimpleNamespace(cluster_resolver=_Resolver(task_type, task_id, jobs))
    return types.SimpleNamespace(_distribute_strategy=strategy)


@pytest.mark.parametrize(
    "task, jobs, index",
    [
        (("worker", 0), ("worker",), 0),  # no chief in the cluster: worker 0 reports
        (("worker", 1), ("worker",), 1),
        (("chief", 0), ("chief", "worker"), 0),
        (("worker", 0), ("chief", "worker"), 1),  # a chief elsewhere reports
        (("evaluator", 0), ("chief", "worker", "evaluator"), 1),
    ],
)
def test_tf_multi_worker_chief(task, jobs, index):
    model = _model_on(*task, jobs)
    assert facts.process_index(model) == index
    assert facts.is_chief(model) is (index == 0)


def test_tf_config_names_the_chief(monkeypatch):
    assert facts.is_chief() is True
    cluster = {"worker": ["host:1", "host:2"]}
    monkeypatch.setenv(
        "TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 1}})
    )
    assert facts.is_chief() is False
    monkeypatch.setenv(
        "TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 0}})
    )
    assert facts.is_chief() is True


def test_keras_distribution_and_torch_ranks(monkeypatch):
    import keras

    process = types.SimpleNamespace(_num_processes=2, _process_id=1)
    monkeypatch.setattr(keras.distribution, "distribution", lambda: process)
    assert facts.process_index() == 1 and facts.is_chief() is False
    monkeypatch.setattr(keras.distribution, "distribution", lambda: None)
    rank = types.SimpleNamespace(
        is_available=lambda: True, is_initialized=lambda: True, get_rank=lambda: 2
    )
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(distributed=rank))
    assert facts.process_index() == 2


def test_watch_prints_nothing_on_other_processes(monkeypatch):
    import keras

    emitted = common.Emitted()
    monkeypatch.setenv(
        "TF_CONFIG",
        json.dumps({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}),
    )
    kerasdoctor.watch(emit=emitted, config=False, monitor=False)
    try:
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="softmax")])
        model.compile(optimizer="adam", loss="binary_crossentropy")  # KD201-style fault
    finally:
        report = kerasdoctor.unwatch()
    assert emitted.findings == []
    assert report.findings  # found, kept, not printed


# --------------------------------------------------------------------------------------------
# bounded samples of streaming inputs (in-process: tf.data only)
# --------------------------------------------------------------------------------------------


def test_infinite_pipeline_is_read_boundedly():
    pytest.importorskip("tensorflow")
    counter = common.Counter()
    pipeline = common.counting_dataset(counter, batch_size=32).repeat()
    data = facts.data_facts(pipeline)
    assert counter.count <= (facts.MAX_BATCHES + 1) * 32  # a bounded sample, not a full pass
    assert data.x.shape == (facts.MAX_BATCHES * 32, 20)
    assert data.x.n is None and data.x.complete is False
    assert pipeline.cardinality().numpy() < 0  # the user's (infinite) dataset is unchanged


def test_sharded_tfrecord_files_are_read_boundedly(tmp_path):
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(0)
    for shard in range(4):
        with tf.io.TFRecordWriter(str(tmp_path / f"train-{shard:05d}-of-00004.tfrecord")) as w:
            for row in rng.standard_normal((100, 8)).astype("float32"):
                example = tf.train.Example(
                    features=tf.train.Features(
                        feature={
                            "x": tf.train.Feature(float_list=tf.train.FloatList(value=row)),
                            "y": tf.train.Feature(int64_list=tf.train.Int64List(value=[shard % 2])),
                        }
                    )
                )
                w.write(example.SerializeToString())
    read = common.Counter()

    def count(x):
        read.count += 1
        return x

    spec = {"x": tf.io.FixedLenFeature([8], tf.float32), "y": tf.io.FixedLenFeature([1], tf.int64)}

    def parse(record):
        example = tf.io.parse_single_example(record, spec)
        x = tf.py_function(count, [example["x"]], tf.float32)
        return tf.ensure_shape(x, [8]), example["y"]

    files = tf.data.Dataset.list_files(str(tmp_path / "train-*.tfrecord"), shuffle=False)
    pipeline = (
        files.interleave(
            tf.data.TFRecordDataset, cycle_length=4, num_parallel_calls=tf.data.AUTOTUNE
        )
        .map(parse)
        .repeat()  # infinite
        .shuffle(64)
        .batch(16)
        .prefetch(tf.data.AUTOTUNE)
    )
    data = facts.data_facts(pipeline)
    assert data.x.shape == (facts.MAX_BATCHES * 16, 8)
    assert data.y.classes is not None and set(data.y.classes) == {0, 1}
    # the sample, the shuffle buffer and what prefetch read ahead: bounded, never a pass
    assert read.count <= facts.MAX_BATCHES * 16 + 64 + 16 * 16


def test_monitor_takes_its_probe_batch_from_a_dataset():
    pytest.importorskip("tensorflow")
    import keras

    counter = common.Counter()
    pipeline = common.counting_dataset(counter, batch_size=32).repeat()
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    x, y = common.regression(64)
    monitor = kerasdoctor.Monitor(data=pipeline, probe_size=64, verbose=0, config=False)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[monitor])
    assert [f.code for f in monitor.report if f.code == "KD000"] == []
    trace = monitor.trace() if callable(monitor.trace) else monitor.trace
    assert {u.layer for u in trace.units} == {"hidden"}
    assert counter.count <= 64 + 32  # two batches of 32: the probe batch, no more
