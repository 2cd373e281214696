"""Errors raised by the file layer: one line naming the file and the problem."""
from __future__ import annotations

from pathlib import Path


class LoadError(ValueError):
    """A file cannot be read, or cannot be used as asked (values, geometry).

    The message is a single line that names the file and says what is wrong,
    suitable for showing to the user as is.
    """


class ActivationNeeded(LoadError):
    """A prediction holds a network's raw output: logits, or one channel per class.

    It can be read after an activation (a sigmoid for logits, a softmax or a
    sigmoid per channel for channels), which the window asks for and
    ``dicegui score`` takes as ``--sigmoid`` / ``--softmax``.

    Attributes
    ----------
    kind : {"logits", "channels"}
    name : str
        The file's name as messages give it.
    channels : int or None
        How many channels (``kind="channels"``).
    """

    def __init__(self, message: str, kind: str, name: str, channels: int | None = None):
        super().__init__(message)
        self.kind, self.name, self.channels = kind, name, channels


class SaveError(ValueError):
    """A volume cannot be written where or how it was asked."""


def file_label(path) -> str:
    """Short name of a file for messages (its name, or ``<array>``)."""
    if path is None:
        return "<array>"
    return Path(path).name or str(path)


def one_line(text: str) -> str:
    """Collapse a library's multi-line error text into one line."""
    return " ".join(str(text).split())
