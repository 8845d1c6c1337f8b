"""`kerasdoctor explain` on pasted error text: every backend's wording, TensorFlow's long kernel
errors, PyTorch's multi-line tensor reprs, ANSI codes; and no finding for errors it does not know.

The messages below are what Keras 3.15.1 raised on TensorFlow 2.21, JAX 0.10 and PyTorch 2.13
(see `test_kd5_backends.py`, which raises them for real); shapes show the batch size (32) on JAX
and PyTorch, `(None, ...)` on TensorFlow.
"""

from __future__ import annotations

import json

import pytest

import kerasdoctor
from kerasdoctor.cli import main

BOLD, RESET = "\x1b[1m", "\x1b[0m"


def wrapped(inner: str, cls: str = "Sequential", inputs: str = "shape=(32, 12)") -> str:
    """Keras's traceback-filtering wrapper around an error raised in a layer's call()."""
    return (
        f"Exception encountered when calling {cls}.call().\n\n{BOLD}{inner}{RESET}\n\n"
        f"Arguments received by {cls}.call():\n  • inputs=jnp.ndarray({inputs}, dtype=float32)\n"
        "  • training=False\n  • mask=None"
    )


def tf_kernel_error(node: str, real: str, frames: int = 60) -> str:
    """TensorFlow's InvalidArgumentError text: ~60 frames of full paths around the real line."""
    stack = "".join(
        f'  File "/home/user/.venv/lib/python3.11/site-packages/keras/src/backend/tensorflow/'
        f'trainer_module_{i:02d}.py", line {100 + i}, in one_step_on_data_function_{i}\n\n'
        for i in range(frames)
    )
    return (
        f"Graph execution error:\n\nDetected at node {node} defined at (most recent call last):\n"
        f'  File "/home/user/train.py", line 20, in <module>\n\n{stack}{real}\n'
        f"\t [[{{{{node {node}}}}}]] [Op:__inference_multi_step_on_iterator_965]"
    )


def torch_tensor_repr(rows: int = 28) -> str:
    """How PyTorch prints a (32, 28, 28) batch: many lines, with blank lines between blocks."""
    row = "[1., 1., 1.,  ..., 1., 1., 1.]"
    block = ",\n         ".join([row] * 3 + ["..."] + [row] * 3)
    return "tensor([[" + block + "],\n\n        [[" + block + "]]])"


SEED_K_TEXT = "Received a label value of 10 which is outside the valid range of [0, 10).  Label values: " + " ".join(
    str(v) for v in [7, 2, 4, 10, 1, 8, 3, 9, 4, 4, 9, 5, 3, 9, 1, 2, 4, 5, 9, 9, 2, 5, 7, 6, 3, 9, 10, 1, 6, 7, 2, 5]
)
SEED_K_NODE = (
    "compile_loss/sparse_categorical_crossentropy/SparseSoftmaxCrossEntropyWithLogits/"
    "SparseSoftmaxCrossEntropyWithLogits"
)
TORCH_INPUT = wrapped(
    f"Invalid input shape for input {torch_tensor_repr()} with name 'keras_tensor' and path ''. "
    "Expected shape (None, 28, 28, 3), but input has incompatible shape torch.Size([32, 28, 28])",
    inputs="shape=torch.Size([32, 28, 28])",
)

# (exception type, message, rule): each backend's text for each fault.
MESSAGES = [
    ("ValueError", "Input 0 with name 'None' of layer 'conv2d' is incompatible with the layer: expected min_ndim=4, found ndim=3. Full shape received: (None, 28, 28)", "KD501"),
    ("ValueError", "Input 0 with name 'None' of layer 'lstm' is incompatible with the layer: expected ndim=3, found ndim=2. Full shape received: (None, 10)", "KD501"),
    ("ValueError", "Input 0 with name 'None' of layer 'lstm' is incompatible with the layer: expected ndim=3, found ndim=4. Full shape received: (32, 28, 28, 1)", "KD501"),
    ("ValueError", wrapped("Input 0 with name 'None' of layer 'hidden' is incompatible with the layer: expected axis -1 of input shape to have value 10, but received input with shape (32, 12)"), "KD501"),
    ("ValueError", wrapped("Input 0 with name 'None' of layer 'conv2d' is incompatible with the layer: expected axis -1 of input shape to have value 3, but received input with shape (None, 3, 28, 28)"), "KD501"),
    ("InvalidArgumentError", tf_kernel_error("sequential_1/hidden_1/BiasAdd", "Matrix size-incompatible: In[0]: [32,12], In[1]: [10,4]"), "KD501"),
    ("ValueError", wrapped("Invalid input shape for input Tensor(\"data:0\", shape=(None, 784), dtype=float32) with name 'keras_tensor' and path ''. Expected shape (None, 28, 28, 1), but input has incompatible shape (None, 784)"), "KD502"),
    ("ValueError", wrapped("Invalid input shape for input JitTracer(float32[32,28,28]) with name 'keras_tensor' and path ''. Expected shape (None, 28, 28, 3), but input has incompatible shape (32, 28, 28)"), "KD502"),
    ("ValueError", TORCH_INPUT, "KD502"),
    ("ValueError", "Input 0 with name 'feat' of layer 'functional' is incompatible with the layer: expected shape=(None, 4), found shape=(5, 6)", "KD502"),
    ("ValueError", "Arguments `target` and `output` must have the same shape. Received: target.shape=(None, 1), output.shape=(None, 10)", "KD503"),
    ("ValueError", "Arguments `target` and `output` must have the same shape. Received: target.shape=torch.Size([32, 1]), output.shape=torch.Size([32, 2])", "KD503"),
    ("ValueError", "Arguments `target` and `output` must have the same rank (ndim). Received: target.shape=(None, 10), output.shape=(None, 28, 10)", "KD503"),
    ("ValueError", "Argument `output` must have rank (ndim) `target.ndim - 1`. Received: target.shape=(None, 3), output.shape=(None, 3)", "KD503"),
    ("ValueError", "Arguments `target` and `output` must have the same shape up until the last dimension: target.shape=(32, 3), output.shape=(32, 3)", "KD503"),
    ("ValueError", "Arguments `target` and `output` must have the same shape up until the last dimension: target.shape=torch.Size([32]), output.shape=torch.Size([32, 28, 10])", "KD503"),
    ("InvalidArgumentError", tf_kernel_error("gradient_tape/compile_loss/mse/sub/BroadcastGradientArgs", "Incompatible shapes: [32] vs. [32,3]"), "KD504"),
    ("ValueError", "Dimensions must be equal, but are 4 and 3 for '{{node compile_loss/mae/sub}} = Sub[T=DT_FLOAT](data_1, sequential_1/dense_1/BiasAdd)' with input shapes: [?,4], [?,3].", "KD504"),
    ("ValueError", "Incompatible shapes for broadcasting: shapes=[(32,), (32, 3)]", "KD504"),
    ("TypeError", "sub got incompatible shapes for broadcasting: (32, 4), (32, 3).", "KD504"),
    ("RuntimeError", "The size of tensor a (32) must match the size of tensor b (3) at non-singleton dimension 1", "KD504"),
    ("InvalidArgumentError", tf_kernel_error(SEED_K_NODE, SEED_K_TEXT), "KD505"),
    ("IndexError", "Target 10 is out of bounds.", "KD505"),
    ("InvalidArgumentError", tf_kernel_error("sequential_1/embedding_1/GatherV2", "indices[0,0] = 50 is not in [0, 50)"), "KD505"),
    ("IndexError", wrapped("index out of range in self", cls="Embedding"), "KD505"),
    ("ValueError", "Data cardinality is ambiguous. Make sure all arrays contain the same number of samples.'x' sizes: 100\n'y' sizes: 90\n", "KD506"),
    ("ValueError", "Invalid dtype: str96", "KD507"),
    ("ValueError", "Invalid dtype: object", "KD507"),
    ("ValueError", "You must call `compile()` before using the model.", "KD508"),
    ("AttributeError", "'Sequential' object has no attribute 'optimizer'", "KD508"),
    ("ValueError", "Could not interpret optimizer identifier: adamw2", "KD509"),
    ("ValueError", "Could not interpret loss identifier: categorical_crossentropyy", "KD509"),
    ("ValueError", "Could not interpret metric identifier: acuracy", "KD509"),
    ("ValueError", "Could not interpret activation function identifier: relux", "KD509"),
    ("ValueError", "Could not interpret optimizer identifier: <class 'keras.src.optimizers.adam.Adam'>", "KD509"),
    ("ValueError", "Argument `learning_rate` should be float, or an instance of LearningRateSchedule, or a callable (that takes in the current iteration value and returns the corresponding learning rate value). Received instead: learning_rate=10", "KD510"),
    ("ValueError", "`steps_per_execution` must be 1 with the PyTorch backend. Received: steps_per_execution=10", "KD510"),
    ("ValueError", "Argument `validation_split` is only supported for tensors or NumPy arrays.Found incompatible type in the input: [<class 'generator'>]", "KD510"),
    ("ValueError", "Argument(s) not recognized: {'lr': 0.01}", "KD510"),
    ("ValueError", "Unrecognized keyword arguments passed to Conv2D: {'border_mode': 'same'}", "KD510"),
    ("TypeError", "JAXTrainer.fit() got an unexpected keyword argument 'nb_epoch'", "KD510"),
    ("KeyError", "\"The path: ('c',) in the `loss` argument, can't be found in either the model's output (`y_pred`) or in the labels (`y_true`).\"", "KD511"),
    ("ValueError", "Expected keys ['cls', 'reg'] in loss dict, but found loss.keys()=['cls', 'regx']", "KD511"),
    ("ValueError", "y_true and y_pred have different structures.\ny_true: *\ny_pred: {'a': '*', 'b': '*'}\n", "KD511"),
]

# Errors no rule knows: they must produce no finding at all.
UNKNOWN = [
    ("ZeroDivisionError", "division by zero"),
    ("KeyError", "'learning_rate'"),
    ("ValueError", "math domain error"),
    ("IndexError", "index 5 is out of bounds for axis 0 with size 3"),
    ("IndexError", "index 10 is out of bounds for axis 1 with size 10"),  # numpy, no labels given
    ("ValueError", "could not broadcast input array from shape (3,) into shape (2,)"),
    ("RuntimeError", "CUDA out of memory. Tried to allocate 2.00 GiB"),
    ("TypeError", "fit() got an unexpected keyword argument 'epoch'"),
    ("ValueError", "Unrecognized keyword arguments passed to Dense: {'unit': 3}"),
    ("AttributeError", "'NoneType' object has no attribute 'shape'"),
    ("FileNotFoundError", "[Errno 2] No such file or directory: 'data.csv'"),
]


def traceback(kind: str, message: str) -> str:
    module = {"InvalidArgumentError": "tensorflow.python.framework.errors_impl."}.get(kind, "")
    return (
        "Traceback (most recent call last):\n"
        '  File "/home/user/train.py", line 20, in <module>\n'
        "    model.fit(x, y, epochs=5)\n"
        '  File "/home/user/.venv/lib/python3.11/site-packages/keras/src/utils/traceback_utils.py", '
        "line 122, in error_handler\n    raise e.with_traceback(filtered_tb) from None\n"
        f"{module}{kind}: {message}\n"
    )


@pytest.mark.parametrize("kind, message, code", MESSAGES, ids=[f"{m[2]}-{i}" for i, m in enumerate(MESSAGES)])
def test_each_backend_message_is_explained(kind, message, code):
    for text in (message, f"{kind}: {message}", traceback(kind, message)):
        report = kerasdoctor.explain(text)
        assert [f.code for f in report.findings] == [code], f"{text[:200]!r}\n{report.to_text()}"
        rendered = report.to_text()
        assert "torch.Size" not in rendered and "\x1b[" not in rendered and "tensor([[" not in rendered


@pytest.mark.parametrize("kind, message", UNKNOWN)
def test_unknown_errors_give_no_finding(kind, message):
    assert not kerasdoctor.explain(traceback(kind, message)).findings


def test_tensorflow_kernel_error_is_reduced_to_its_real_line(tmp_path, capsys):
    """Seed K on TensorFlow: a 9 kB message, explained from its one real line."""
    text = traceback("InvalidArgumentError", tf_kernel_error(SEED_K_NODE, SEED_K_TEXT))
    assert len(text) > 7000
    path = tmp_path / "traceback.txt"
    path.write_text(text)
    assert main(["explain", str(path)]) == 0
    out = capsys.readouterr().out
    assert "KD505" in out and "1-based" in out and "y = y - 1" in out
    assert "trainer_module" not in out  # none of the 60 frames is repeated


def test_torch_multiline_tensor_repr_and_ansi_codes(tmp_path, capsys):
    text = traceback("ValueError", TORCH_INPUT)
    assert text.count("\n") > 10 and BOLD in text
    path = tmp_path / "traceback.txt"
    path.write_text(text)
    assert main(["explain", str(path)]) == 0
    out = capsys.readouterr().out
    assert "KD502" in out and "(None, 28, 28, 3)" in out and "keras.Input((28, 28, 1))" in out
    assert "\x1b[1m" not in out and "tensor([[" not in out and "torch.Size" not in out


def test_explain_reads_stdin_and_writes_json(monkeypatch, capsys):
    import io

    text = traceback("ValueError", "Could not interpret loss identifier: binary_crossentropyy")
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert main(["explain", "-", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    finding = report["findings"][0]
    assert finding["code"] == "KD509"
    assert finding["fix"] == "loss='binary_crossentropy'"


def test_unknown_error_exits_1_with_no_finding(tmp_path, capsys):
    path = tmp_path / "traceback.txt"
    path.write_text(traceback("ZeroDivisionError", "division by zero"))
    assert main(["explain", str(path)]) == 1
    out = capsys.readouterr().out
    assert "KD5" not in out and "does not recognise" in out


def test_explain_without_a_model_names_the_layer_class_from_its_default_name():
    report = kerasdoctor.explain(MESSAGES[0][1])
    assert "Layer 'conv2d' (Conv2D) expects 4-D input (batch, height, width, channels)" in (
        report.findings[0].message
    )
    named = kerasdoctor.explain(MESSAGES[0][1].replace("'conv2d'", "'features'"))
    assert "Layer 'features' expects input of at least 4 dimensions" in named.findings[0].message
    assert "x = x[..., None]" in named.findings[0].fix


def test_other_objects_without_an_optimizer_are_not_explained():
    report = kerasdoctor.explain("AttributeError: 'MyTrainer' object has no attribute 'optimizer'")
    assert not report.findings


def test_explain_command_imports_no_backend(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "error.txt"
    path.write_text("ValueError: Could not interpret loss identifier: msee\n")
    code = (
        f"import sys; from kerasdoctor.cli import main; rc = main(['explain', {str(path)!r}]); "
        "print('LOADED', [m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "KD509" in done.stdout and "LOADED []" in done.stdout, done.stdout + done.stderr
