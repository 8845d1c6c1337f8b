"""Benchmark: kerasdoctor on large models: `diagnose()` on KerasHub task models next to
constructing them, and the `Monitor`'s overhead on a 200-layer model.

Budgets (issue 8):
- `diagnose()` on a KerasHub task model built from config (no weights, no download) costs
  under 5% of the time it takes to construct the model.
- The `Monitor` at its defaults costs at most 3% of the step time of a model with 200 layers.

Part 1 builds BertTextClassifier, GemmaCausalLM and ViTImageClassifier from config
(`--size base`: BERT-base, a 6-layer Gemma with a 32k vocabulary and ViT-B/16, about 100M
parameters each; `--size tiny`: the configurations tests/test_keras_hub.py uses), `--builds`
times each (the first build on JAX also compiles an XLA kernel per weight shape, so
"construct" is the median of the later builds, the first one is printed too), then times
`diagnose(model)` (median of `--repeats` after one warm-up).

Part 2 trains a pre-norm residual MLP of 200 layers (49 blocks of LayerNormalization, Dense,
Dense, Add, width 64, plus input, 2 padding Dense layers and the head) with and without `Monitor()` at its
defaults, in interleaved rounds on the same compiled model, and compares the process CPU time
per step of each epoch after the first of each `fit()` (median over rounds of the rounds'
on/off ratios; min-max shows the noise), as bench/bench_monitor.py does.

Run:
    KERAS_BACKEND=jax .venv/bin/python -m bench.bench_scale
    KERAS_BACKEND=tensorflow .venv/bin/python -m bench.bench_scale --only monitor
    KERAS_BACKEND=torch .venv/bin/python -m bench.bench_scale --only hub --size tiny

Options: `--only hub|monitor`, `--size base|tiny`, `--builds N` (default 2), `--repeats N`
(default 5), `--rounds N` (default 5), `--epochs N` per fit (default 3, the first untimed),
`--steps N` per epoch (default: per backend, about a second of CPU).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

import numpy as np

HUB_RATIO_BUDGET = 0.05
MONITOR_RATIO_BUDGET = 1.03
BATCH = 32
LAYERS = 200
STEPS = {"jax": 400, "tensorflow": 200, "torch": 60}  # about a second of CPU per epoch

SIZES = {
    "tiny": {
        "bert": dict(
            vocabulary_size=100,
            num_layers=2,
            num_heads=2,
            hidden_dim=16,
            intermediate_dim=32,
            max_sequence_length=16,
        ),
        "gemma": dict(
            vocabulary_size=100,
            num_layers=2,
            num_query_heads=2,
            num_key_value_heads=1,
            hidden_dim=16,
            intermediate_dim=32,
            head_dim=8,
        ),
        "vit": dict(
            image_shape=(32, 32, 3),
            patch_size=8,
            num_layers=2,
            num_heads=2,
            hidden_dim=16,
            mlp_dim=32,
        ),
    },
    "base": {  # the published base configurations (Gemma: 6 layers, 32k vocabulary)
        "bert": dict(
            vocabulary_size=30522,
            num_layers=12,
            num_heads=12,
            hidden_dim=768,
            intermediate_dim=3072,
            max_sequence_length=512,
        ),
        "gemma": dict(
            vocabulary_size=32000,
            num_layers=6,
            num_query_heads=8,
            num_key_value_heads=1,
            hidden_dim=1024,
            intermediate_dim=8192,
            head_dim=128,
        ),
        "vit": dict(
            image_shape=(224, 224, 3),
            patch_size=16,
            num_layers=12,
            num_heads=12,
            hidden_dim=768,
            mlp_dim=3072,
        ),
    },
}


# --------------------------------------------------------------------------------------------
# part 1: diagnose() on KerasHub task models
# --------------------------------------------------------------------------------------------


def hub_models(size: str) -> dict:
    import keras_hub

    config = SIZES[size]
    return {
        "BertTextClassifier": lambda: keras_hub.models.BertTextClassifier(
            backbone=keras_hub.models.BertBackbone(**config["bert"]),
            num_classes=3,
            preprocessor=None,
        ),
        "GemmaCausalLM": lambda: keras_hub.models.GemmaCausalLM(
            backbone=keras_hub.models.GemmaBackbone(**config["gemma"]), preprocessor=None
        ),
        "ViTImageClassifier": lambda: keras_hub.models.ViTImageClassifier(
            backbone=keras_hub.models.ViTBackbone(**config["vit"]),
            num_classes=5,
            preprocessor=None,
        ),
    }


def bench_hub(size: str, builds: int, repeats: int) -> bool:
    import gc

    import keras

    import kerasdoctor

    print(
        f"\n## diagnose() on KerasHub task models ({size} configurations), backend="
        f"{keras.backend.backend()}; budget: diagnose < {HUB_RATIO_BUDGET:.0%} of construct"
    )
    print(
        f"{'model':20} {'params':>12} {'first build s':>14} {'construct s':>12} "
        f"{'diagnose ms':>12} {'ratio':>7}  findings"
    )
    ok = True
    for name, build in hub_models(size).items():
        times = []
        model = None
        for _ in range(max(builds, 1)):
            model = None
            gc.collect()
            keras.backend.clear_session()
            started = time.perf_counter()
            model = build()
            times.append(time.perf_counter() - started)
        construct = statistics.median(times[1:]) if len(times) > 1 else times[0]
        report = kerasdoctor.diagnose(model, config=False)  # warm-up
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            report = kerasdoctor.diagnose(model, config=False)
            runs.append(time.perf_counter() - started)
        diagnose = statistics.median(runs)
        ratio = diagnose / construct
        alarms = [f.code for f in report if f.severity in ("error", "warning")]
        verdict = "ok" if ratio < HUB_RATIO_BUDGET and not alarms else "OVER BUDGET"
        ok &= verdict == "ok"
        print(
            f"{name:20} {model.count_params():12,d} {times[0]:14.2f} {construct:12.2f} "
            f"{diagnose * 1e3:12.1f} {ratio:7.2%}  {[f.code for f in report] or 'none'}  {verdict}"
        )
        model = None
    return ok


# --------------------------------------------------------------------------------------------
# part 2: the Monitor on a 200-layer model
# --------------------------------------------------------------------------------------------


def deep_model():
    """A pre-norm residual MLP with exactly `LAYERS` layers (Input included), which trains.

    (With the norm after the addition instead, 50 blocks deep, the loss stays at chance and
    the early layers barely move: the Monitor rightly reports KD404 and KD410 then.)
    """
    import keras

    width = 64
    inputs = keras.Input((width,), name="input")
    h = inputs
    blocks = (LAYERS - 2) // 4  # Input + 4 per block + head
    for i in range(blocks):
        a = keras.layers.LayerNormalization(name=f"block{i}_norm")(h)
        a = keras.layers.Dense(width, activation="relu", name=f"block{i}_dense_a")(a)
        a = keras.layers.Dense(width, name=f"block{i}_dense_b")(a)
        h = keras.layers.Add(name=f"block{i}_add")([h, a])
    extra = LAYERS - 2 - 4 * blocks  # pad with cheap layers up to exactly LAYERS
    for i in range(extra):
        h = keras.layers.Dense(width, activation="relu", name=f"extra{i}")(h)
    outputs = keras.layers.Dense(10, activation="softmax", name="head")(h)
    model = keras.Model(inputs, outputs, name="deep")
    assert len(model.layers) == LAYERS, len(model.layers)
    return model


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


def bench_monitor(rounds: int, epochs: int, steps: int) -> bool:
    import keras

    from kerasdoctor import Monitor

    keras.utils.set_random_seed(0)
    model = deep_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((steps * BATCH, 64)).astype("float32")
    y = np.argmax(x[:, :10], axis=1)
    print(
        f"\n## Monitor() at its defaults on a {len(model.layers)}-layer model "
        f"({model.count_params():,d} parameters), backend={keras.backend.backend()}, "
        f"{os.cpu_count()} CPUs, batch {BATCH}, {steps} steps/epoch, {rounds} rounds x "
        f"{epochs - 1} timed epochs; budget: ratio <= {MONITOR_RATIO_BUDGET}"
    )
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # compile, warm up
    per_step: dict[str, list[float]] = {"off": [], "on": []}
    wall: dict[str, list[float]] = {"off": [], "on": []}
    ratios: list[float] = []
    updates = []
    order = random.Random(0)
    for _ in range(rounds):
        conditions = ["off", "on"]
        order.shuffle(conditions)
        medians = {}
        for condition in conditions:
            timer = _timer()
            monitor = Monitor(config=False, verbose=0)
            callbacks = [timer] + ([monitor] if condition == "on" else [])
            model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=callbacks)
            cpu = [c / steps for c in timer.cpu[1:]]
            per_step[condition] += cpu
            wall[condition] += [w / steps for w in timer.wall[1:]]
            medians[condition] = statistics.median(cpu)
            if condition == "on":
                trace = monitor.trace() if callable(monitor.trace) else monitor.trace
                updates.append(len(trace.updates))
                if monitor.report.findings:
                    print(f"  (the Monitor reported {monitor.report.codes})")
        ratios.append(medians["on"] / medians["off"])
    ratio = statistics.median(ratios)
    verdict = "ok" if ratio <= MONITOR_RATIO_BUDGET else "OVER BUDGET"
    print(
        f"{'cpu ms/step off':>16} {'on':>8} {'ratio':>7} {'(rounds min-max)':>17} "
        f"{'wall ms/step off':>17} {'on':>8} {'update measurements/fit':>24}"
    )
    print(
        f"{statistics.median(per_step['off']) * 1e3:16.3f} "
        f"{statistics.median(per_step['on']) * 1e3:8.3f} {ratio:7.3f} "
        f"{min(ratios):.3f}-{max(ratios):.3f}".rjust(0)
        + f" {statistics.median(wall['off']) * 1e3:17.3f} {statistics.median(wall['on']) * 1e3:8.3f}"
        f" {statistics.median(updates):24.0f}  {verdict}"
    )
    return ratio <= MONITOR_RATIO_BUDGET


def main(argv: list[str] | None = None) -> int:
    import keras

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("hub", "monitor"), default=None)
    parser.add_argument("--size", choices=tuple(SIZES), default="base")
    parser.add_argument("--builds", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=None)
    args = parser.parse_args(argv)
    ok = True
    if args.only in (None, "hub"):
        try:
            import keras_hub  # noqa: F401
        except Exception as error:
            print(f"keras_hub is unavailable ({type(error).__name__}: {error}): part 1 skipped")
        else:
            ok &= bench_hub(args.size, args.builds, args.repeats)
    if args.only in (None, "monitor"):
        steps = args.steps or STEPS.get(keras.backend.backend(), 200)
        ok &= bench_monitor(args.rounds, args.epochs, steps)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
