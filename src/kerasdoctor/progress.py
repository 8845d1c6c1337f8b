"""A status line on a terminal: what `kerasdoctor run` and `demo` are doing right now.

One line on stderr, rewritten in place (`\\r` then erase-line) and erased when the work is done,
so nothing of it stays in the scrollback. It shows only when the stream is a terminal; in a
pipe, a file, CI logs or with `--format json`/`sarif` it writes nothing at all.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Iterator
from typing import TextIO

_ERASE = "\r\x1b[2K"


class StatusLine:
    """A single rewritten status line.

    Args:
        stream: Where to write; `sys.stderr` (looked up when used) by default.
        enabled: Force on or off; by default on only when `stream` is a terminal.

    Example:

    ```python
    status = StatusLine()
    with status("kerasdoctor: importing Keras…"):
        import keras
    ```
    """

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None):
        self._stream = stream
        self._enabled = enabled
        self._shown = False

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    @property
    def enabled(self) -> bool:
        if self._enabled is not None:
            return self._enabled
        try:
            return bool(self.stream.isatty())
        except (AttributeError, ValueError):  # a closed or unusual stream
            return False

    def show(self, text: str | None) -> None:
        """Show `text` in place of the current status; `None` erases it."""
        if text is None:
            self.clear()
            return
        if not self.enabled:
            return
        width = shutil.get_terminal_size((80, 24)).columns - 1
        line = text if len(text) <= width else text[: max(width - 1, 1)] + "…"
        self._write(_ERASE + line)
        self._shown = True

    def clear(self) -> None:
        """Erase the status line, if one is shown."""
        if self._shown:
            self._write(_ERASE)
            self._shown = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: the status is not worth a crash
            self._enabled = False

    __call__ = show

    @contextlib.contextmanager
    def during(self, text: str) -> Iterator[None]:
        """Show `text` while the block runs, then erase it."""
        self.show(text)
        try:
            yield
        finally:
            self.clear()
