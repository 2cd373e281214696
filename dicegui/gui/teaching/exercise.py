"""'Hide the reference' exercise: a student paints without seeing the truth, then reveals it and the scores.

While hidden, everything that would give the reference away is put out of
sight: the overlay shows the prediction's labels only (the TP/FP/FN choice is
locked), the legend's TP/FP/FN counts, the scores dock, the QA docks (per-slice
Dice, error regions), the status bar's voxel readout (it names the
reference's value), the case banner (its notes count and name the reference's
labels) and the 3-D view (its grey shell is the reference) are hidden. The
views move to the middle of the volume, a place that says nothing about where
the structure is, and the reference cannot be edited. Reveal puts every one
of them back as it was and scores the attempt: :attr:`HideReference.attempts`
keeps the overlap scores of every reveal of the case, for the student to see
the progress.
"""
from __future__ import annotations

from PySide6 import QtCore

from ..overlay_panel import KIND_CONFUSION, KIND_PRED_LABELS


class HideReference(QtCore.QObject):
    """Hides and reveals the reference in a window.

    Parameters
    ----------
    window : MainWindow
    docks : callable
        Returns the dock widgets to hide besides the scores dock (the QA docks).

    Signals
    -------
    changed(bool)
        True when the reference was hidden, False when revealed.
    """

    changed = QtCore.Signal(bool)

    def __init__(self, window, docks=lambda: ()):
        super().__init__(window)
        self.window = window
        self._docks = docks
        self.hidden = False
        self._saved = {}
        #: overlap scores (``dicegui.core.metrics.overlap``'s dict) at each reveal of this case
        self.attempts: list[dict] = []
        self._case = None
        window.sessionChanged.connect(self._session_changed)

    def _targets(self):
        w = self.window
        return [w.right_dock, *self._docks()]

    def hide(self) -> None:
        """Hide the reference and every score."""
        if self.hidden:
            return
        w = self.window
        panel = w.overlay_panel
        self._saved = {
            "kind": panel.current_kind(),
            "docks": [(d, d.isVisible()) for d in self._targets()],
            "widgets": [(x, x.isVisible()) for x in (w.cursor_label, w.banner, w.views.error_view)],
            "target": w.editor.panel.target(),
        }
        self.hidden = True
        for dock, _ in self._saved["docks"]:
            dock.setVisible(False)
        for widget, _ in self._saved["widgets"]:
            widget.setVisible(False)
        self._lock_overlay()
        self._lock_reference()
        if w.session is not None:  # a neutral place: not the structure's slice the teacher had open
            w.views.set_cursor(tuple(n // 2 for n in w.session.shape))
        self.changed.emit(True)

    def _lock_reference(self) -> None:
        """The student paints the prediction; the hidden reference is not theirs to change."""
        panel = self.window.editor.panel
        if panel.target_buttons["pred"].isEnabled():
            panel.set_target("pred")
        panel.target_buttons["gt"].setEnabled(False)

    def _lock_overlay(self) -> None:
        panel = self.window.overlay_panel
        if panel.kind.findData(KIND_PRED_LABELS) >= 0:
            panel.set_kind(KIND_PRED_LABELS)
        else:  # no prediction yet: nothing may be drawn from the reference
            panel.shown.setChecked(False)
        panel.kind.setEnabled(False)
        for lab in panel.count_labels.values():
            lab.setVisible(False)

    def reveal(self) -> None:
        """Show the reference, the TP/FP/FN overlay and the scores again."""
        if not self.hidden:
            return
        w = self.window
        panel = w.overlay_panel
        self.hidden = False
        panel.kind.setEnabled(True)
        for key, lab in panel.count_labels.items():
            lab.setVisible(not key.startswith("mismatch/") or panel.class_boxes["mismatch"].isVisibleTo(panel))
        panel.shown.setChecked(True)
        kind = KIND_CONFUSION if panel.kind.findData(KIND_CONFUSION) >= 0 else self._saved.get("kind")
        if kind is not None:
            panel.set_kind(kind)
        for dock, visible in self._saved.get("docks", []):
            dock.setVisible(visible)
        for widget, visible in self._saved.get("widgets", []):
            widget.setVisible(visible)
        s = w.session
        w.editor.panel.target_buttons["gt"].setEnabled(s is not None and s.gt is not None)
        if s is not None and s.has_scores:
            self.attempts.append(dict(s.live.overlap()))
        self.changed.emit(False)

    def toggle(self) -> None:
        self.reveal() if self.hidden else self.hide()

    def _session_changed(self) -> None:
        s = self.window.session
        case = None if s is None else s.case
        if case is not self._case:
            self.attempts = []
            self._case = case
        if self.hidden:  # a new case resets the overlay and editing choices: lock them again
            self._lock_overlay()
            self._lock_reference()
