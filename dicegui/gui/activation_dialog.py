"""Asking how to read a prediction that holds a network's raw output (logits, or a channel per class).

The core refuses such a file with :class:`~dicegui.core.io.errors.ActivationNeeded`
rather than guessing; the window turns the refusal into a question, because
the choice is the lesson: a sigmoid for one structure's logits; a softmax
when each voxel is exactly one class, a sigmoid per channel when classes may
overlap. The answer becomes the keywords of
:func:`dicegui.core.io.opening.open_case`.
"""
from __future__ import annotations

from PySide6 import QtWidgets

SIGMOID = "Apply a sigmoid"
SOFTMAX = "Softmax across the channels"
SIGMOID_EACH = "Sigmoid per channel"


def activation_question(exc) -> tuple[str, str, tuple[str, ...]]:
    """(title, text, button texts) of the question for an ``ActivationNeeded``."""
    if exc.kind == "logits":
        text = (f"{exc}\n\nThese values look like logits, a network's raw scores. A sigmoid turns each into a "
                "probability (foreground where it reaches 0.5); the teaching panel then shows what the raw "
                "values would have done to soft Dice.")
        return "Logits in the prediction", text, (SIGMOID,)
    text = (f"{exc}\n\nSoftmax: each voxel is exactly one class (organs that do not overlap), the label is the "
            "channel with the highest probability. Sigmoid per channel: classes may overlap (tumour regions); "
            "a voxel takes its highest channel that reaches 0.5. Channel 0 is the background.")
    return f"{exc.channels} channels in the prediction", text, (SOFTMAX, SIGMOID_EACH)


def ask_activation(parent, exc) -> dict | None:
    """Ask how to read the prediction; the :func:`open_case` keywords, or None (cancelled)."""
    title, text, choices = activation_question(exc)
    box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Question, title, text, parent=parent)
    buttons = {box.addButton(c, QtWidgets.QMessageBox.ButtonRole.AcceptRole): c for c in choices}
    box.addButton(QtWidgets.QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(next(iter(buttons)))
    box.exec()
    return keywords_for(buttons.get(box.clickedButton()))


def keywords_for(choice: str | None) -> dict | None:
    """The :func:`open_case` keywords of an answer (None: cancelled)."""
    return {SIGMOID: {"sigmoid": True}, SOFTMAX: {"channels": "softmax"},
            SIGMOID_EACH: {"channels": "sigmoid"}}.get(choice)
