"""Generate the seeded part of the corpus: mutants of a few correct subject programs.

Each subject below is a small, correct Keras 3 program on seeded synthetic numpy data. Each
mutation operator rewrites one or two lines of a subject into a known fault (the way the
faults of the hand-written corpus look: a wrong output activation, a wrong loss, labels in
the wrong encoding, a learning rate 1000 times too large or 100000 times too small, FTRL or
a tiny-step SGD instead of Adam, the input normalisation removed, the channel axis dropped,
`from_logits` flipped, the wrong number of output units).

For every (subject, operator) pair that applies, it writes

    bench/corpus/mutants/<subject>__<operator>_buggy.py   the mutant
    bench/corpus/mutants/<subject>__<operator>_fixed.py   the unmutated subject

with the corpus header (`Source`, `Symptom`, `Fault category`, `Fix`, `Needs-training`; see
bench/corpus/README.md), so that `python -m bench.score` scores mutants like the other pairs.
The fixed programs are identical copies of their subject, one per mutant, to keep the
`<slug>_buggy.py` / `<slug>_fixed.py` layout of the corpus.

The generated files are committed (they are small text). Regenerate them after editing this
file, and check that the committed ones are current:

    python bench/corpus/mutate.py            # rewrite bench/corpus/mutants/
    python bench/corpus/mutate.py --check    # exit 1 if a generated file is missing or stale
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

OUT = Path(__file__).resolve().parent / "mutants"

# --------------------------------------------------------------------------------------------
# Subjects: correct programs. Lines that operators rewrite are written out literally.
# --------------------------------------------------------------------------------------------

SUBJECTS: dict[str, tuple[str, str]] = {
    "mlp_classifier": (
        "A 10-class MLP on standardised tabular features",
        """
        import numpy as np
        import keras

        keras.utils.set_random_seed(0)
        rng = np.random.default_rng(0)

        n, classes = 2000, 10
        centers = rng.normal(0, 1, size=(classes, 16))
        labels = rng.integers(0, classes, size=n)
        scales = np.array([1.0, 10.0, 100.0, 1000.0] * 4)
        x = ((centers[labels] + rng.normal(0, 0.7, size=(n, 16))) * scales + 50.0).astype("float32")
        x = (x - x.mean(axis=0)) / x.std(axis=0)
        y = labels

        model = keras.Sequential(
            [
                keras.Input((16,)),
                keras.layers.Dense(64, activation="relu", name="hidden"),
                keras.layers.Dense(10, activation="softmax", name="out"),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=1e-3),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        model.fit(x, y, batch_size=64, epochs=3, validation_split=0.2, verbose=2)
        """,
    ),
    "small_cnn": (
        "A small CNN on 28x28 grey images stored as uint8",
        """
        import numpy as np
        import keras

        keras.utils.set_random_seed(0)
        rng = np.random.default_rng(0)

        n, classes = 1200, 10
        templates = rng.integers(0, 256, size=(classes, 28, 28))
        labels = rng.integers(0, classes, size=n)
        images = np.clip(templates[labels] + rng.integers(-60, 61, size=(n, 28, 28)), 0, 255)
        images = images.astype("uint8")
        x = images.astype("float32") / 255.0
        x = x[..., np.newaxis]
        y = keras.utils.to_categorical(labels, classes)

        model = keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                keras.layers.Conv2D(16, 3, activation="relu", name="conv"),
                keras.layers.MaxPooling2D(2, name="pool"),
                keras.layers.Flatten(name="flatten"),
                keras.layers.Dense(10, activation="softmax", name="out"),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=1e-3),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        model.fit(x, y, batch_size=64, epochs=2, verbose=2)
        """,
    ),
    "lstm_classifier": (
        "An LSTM binary classifier on sequences of 20 steps",
        """
        import numpy as np
        import keras

        keras.utils.set_random_seed(0)
        rng = np.random.default_rng(0)

        n = 1000
        x = rng.normal(0, 1, size=(n, 20, 8)).astype("float32")
        y = (x[:, :, 0].mean(axis=1) > 0).astype("float32")

        model = keras.Sequential(
            [
                keras.Input((20, 8)),
                keras.layers.LSTM(32, name="lstm"),
                keras.layers.Dense(1, activation="sigmoid", name="out"),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=1e-3),
            loss="binary_crossentropy",
            metrics=["accuracy"],
        )
        model.fit(x, y, batch_size=32, epochs=2, validation_split=0.2, verbose=2)
        """,
    ),
    "regression_mlp": (
        "A regression MLP on house features in their raw units, standardised",
        """
        import numpy as np
        import keras

        keras.utils.set_random_seed(0)
        rng = np.random.default_rng(0)

        n = 1500
        area = rng.uniform(40, 250, n)
        rooms = rng.integers(1, 8, n)
        year = rng.integers(1900, 2022, n)
        income = rng.uniform(15000, 120000, n)
        x = np.stack([area, rooms, year, income], axis=1).astype("float32")
        y = (0.8 * area + 5 * rooms + 0.05 * (year - 1900) + income / 4000 + rng.normal(0, 5, n))
        y = ((y - 150.0) / 60.0).astype("float32").reshape(-1, 1)
        x = (x - x.mean(axis=0)) / x.std(axis=0)

        model = keras.Sequential(
            [
                keras.Input((4,)),
                keras.layers.Dense(64, activation="relu", name="hidden"),
                keras.layers.Dense(1, name="out"),
            ]
        )
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse", metrics=["mae"])
        model.fit(x, y, batch_size=32, epochs=3, validation_split=0.2, verbose=2)
        """,
    ),
}

ADAM = "optimizer=keras.optimizers.Adam(learning_rate=1e-3)"


@dataclass(frozen=True)
class Operator:
    """A mutation: per subject, the (old, new) text replacements that plant the fault."""

    name: str
    category: str
    symptom: str
    fix: str
    edits: dict[str, tuple[tuple[str, str], ...]]
    needs_training: str = "no"


OPERATORS: tuple[Operator, ...] = (
    Operator(
        "wrong_output_activation",
        "activation-loss",
        "The output activation does not match the loss: sigmoid outputs under a categorical "
        "cross-entropy, or a softmax over the single unit of a binary classifier (always 1.0).",
        "Restore the subject's output activation.",
        {
            "mlp_classifier": (('activation="softmax", name="out"', 'activation="sigmoid", name="out"'),),
            "small_cnn": (('activation="softmax", name="out"', 'activation="sigmoid", name="out"'),),
            "lstm_classifier": (('activation="sigmoid", name="out"', 'activation="softmax", name="out"'),),
        },
    ),
    Operator(
        "wrong_loss",
        "activation-loss",
        "The loss does not match the output: binary cross-entropy on a 10-way softmax, "
        "or categorical cross-entropy on one sigmoid unit.",
        "Restore the subject's loss.",
        {
            "mlp_classifier": (('loss="sparse_categorical_crossentropy"', 'loss="binary_crossentropy"'),),
            "lstm_classifier": (('loss="binary_crossentropy"', 'loss="categorical_crossentropy"'),),
        },
    ),
    Operator(
        "loss_for_other_task",
        "loss-task",
        "A loss for another task: mean squared error on a softmax classifier, or a "
        "categorical cross-entropy on a regression target.",
        "Restore the subject's loss.",
        {
            "small_cnn": (('loss="categorical_crossentropy"', 'loss="mse"'),),
            "regression_mlp": (
                ('keras.layers.Dense(1, name="out")', 'keras.layers.Dense(1, activation="softmax", name="out")'),
                ('loss="mse"', 'loss="categorical_crossentropy"'),
            ),
        },
    ),
    Operator(
        "label_encoding",
        "label-encoding",
        "Labels in the wrong encoding for the loss: one-hot labels with a sparse loss, "
        "integer labels with a one-hot loss, or -1/1 labels with binary cross-entropy.",
        "Restore the subject's label encoding.",
        {
            "mlp_classifier": (("y = labels\n", "y = keras.utils.to_categorical(labels, classes)\n"),),
            "small_cnn": (
                ("y = keras.utils.to_categorical(labels, classes)\n", "y = labels.reshape(-1, 1)\n"),
            ),
            "lstm_classifier": (
                ('y = (x[:, :, 0].mean(axis=1) > 0).astype("float32")\n',
                 'y = np.where(x[:, :, 0].mean(axis=1) > 0, 1.0, -1.0).astype("float32")\n'),
            ),
        },
    ),
    Operator(
        "lr_x1000",
        "learning-rate",
        "The learning rate is 1000 times the subject's: Adam(learning_rate=1.0).",
        "Adam(learning_rate=1e-3).",
        {s: ((ADAM, "optimizer=keras.optimizers.Adam(learning_rate=1.0)"),) for s in SUBJECTS},
    ),
    Operator(
        "lr_div_1e5",
        "learning-rate",
        "The learning rate is 100000 times smaller than the subject's: Adam(learning_rate=1e-8).",
        "Adam(learning_rate=1e-3).",
        {s: ((ADAM, "optimizer=keras.optimizers.Adam(learning_rate=1e-8)"),) for s in SUBJECTS},
    ),
    Operator(
        "optimizer_ftrl",
        "optimizer",
        "Adam swapped for FTRL with Keras's defaults: a per-coordinate step of 0.003 that only "
        "shrinks, on a network of several layers.",
        "Adam(learning_rate=1e-3).",
        {s: ((ADAM, "optimizer=keras.optimizers.Ftrl()"),) for s in SUBJECTS},
    ),
    Operator(
        "optimizer_sgd_tiny",
        "learning-rate",
        "Adam swapped for plain SGD with a tiny step: SGD(learning_rate=1e-6).",
        "Adam(learning_rate=1e-3).",
        {s: ((ADAM, "optimizer=keras.optimizers.SGD(learning_rate=1e-6)"),) for s in SUBJECTS},
    ),
    Operator(
        "remove_normalisation",
        "unscaled-inputs",
        "The input scaling step is removed: raw pixels 0..255, or raw features in the "
        "tens of thousands, reach the first layer.",
        "Restore the scaling step.",
        {
            "mlp_classifier": (("x = (x - x.mean(axis=0)) / x.std(axis=0)\n", ""),),
            "small_cnn": (('x = images.astype("float32") / 255.0\n', 'x = images.astype("float32")\n'),),
            "regression_mlp": (("x = (x - x.mean(axis=0)) / x.std(axis=0)\n", ""),),
        },
    ),
    Operator(
        "remove_channel_axis",
        "input-shape",
        "The channel axis of the grey images is left out, in the data and in the Input: "
        "Conv2D receives rank-3 input (n, 28, 28). (Dropping it from the data alone is not "
        "a fault in Keras 3: Input((28, 28, 1)) appends the missing axis of 1 itself.)",
        "x = x[..., np.newaxis] and keras.Input((28, 28, 1)).",
        {
            "small_cnn": (
                ("x = x[..., np.newaxis]\n", ""),
                ("keras.Input((28, 28, 1))", "keras.Input((28, 28))"),
            )
        },
    ),
    Operator(
        "from_logits_flip",
        "from-logits",
        "from_logits=True on a loss whose model already outputs probabilities (softmax or "
        "sigmoid): the activation is applied twice.",
        "Restore the loss without from_logits=True.",
        {
            "mlp_classifier": (
                ('loss="sparse_categorical_crossentropy"',
                 "loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)"),
            ),
            "small_cnn": (
                ('loss="categorical_crossentropy"', "loss=keras.losses.CategoricalCrossentropy(from_logits=True)"),
            ),
            "lstm_classifier": (
                ('loss="binary_crossentropy"', "loss=keras.losses.BinaryCrossentropy(from_logits=True)"),
            ),
        },
    ),
    Operator(
        "output_units",
        "output-units",
        "The output layer has the wrong number of units: 9 units for 10 classes, 2 units for "
        "a binary target of shape (n,), 3 units for one regression target.",
        "Restore the subject's number of output units.",
        {
            "mlp_classifier": (("keras.layers.Dense(10, ", "keras.layers.Dense(9, "),),
            "small_cnn": (("keras.layers.Dense(10, ", "keras.layers.Dense(9, "),),
            "lstm_classifier": (('keras.layers.Dense(1, activation="sigmoid"', 'keras.layers.Dense(2, activation="sigmoid"'),),
            "regression_mlp": (('keras.layers.Dense(1, name="out")', 'keras.layers.Dense(3, name="out")'),),
        },
    ),
)


def header(subject: str, op: Operator, which: str) -> str:
    title = SUBJECTS[subject][0]
    lines = [
        f"{title}, mutated by {op.name} ({which}).",
        "",
        f"Source: bench/corpus/mutate.py, subject {subject}, operator {op.name}",
        f"Symptom: {op.symptom}",
        f"Fault category: {op.category}",
        f"Fix: {op.fix}",
        f"Needs-training: {op.needs_training}",
        "",
        "Generated by bench/corpus/mutate.py: edit that file and rerun it, not this one.",
    ]
    return '"""' + "\n".join(lines) + '\n"""\n\n'


def generate() -> dict[Path, str]:
    """Every generated file and its text."""
    files: dict[Path, str] = {}
    for op in OPERATORS:
        for subject, edits in op.edits.items():
            source = textwrap.dedent(SUBJECTS[subject][1]).lstrip("\n")
            mutant = source
            for old, new in edits:
                if mutant.count(old) != 1:
                    raise SystemExit(f"{subject}/{op.name}: {old!r} occurs {mutant.count(old)} times")
                mutant = mutant.replace(old, new)
            slug = f"{subject}__{op.name}"
            files[OUT / f"{slug}_buggy.py"] = header(subject, op, "buggy") + mutant
            files[OUT / f"{slug}_fixed.py"] = header(subject, op, "fixed") + source
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the files are current")
    args = parser.parse_args(argv)
    files = generate()
    if args.check:
        stale = [p for p, text in files.items() if not p.is_file() or p.read_text() != text]
        extra = [p for p in OUT.glob("*.py") if p not in files]
        for p in stale + extra:
            print(f"{'stale' if p in stale else 'not generated'}: {p.relative_to(OUT.parent)}")
        return 1 if stale or extra else 0
    OUT.mkdir(exist_ok=True)
    for p in OUT.glob("*.py"):
        if p not in files:
            p.unlink()
    for p, text in files.items():
        p.write_text(text)
    print(f"{len(files) // 2} mutants written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
