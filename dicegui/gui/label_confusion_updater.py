"""Keeps the scores panel's label-confusion box and the label-set note of the open case current.

Both come from one :func:`dicegui.core.label_confusion.label_confusion` pass
over the two label maps (about 0.1 s on a 300×512×512 case). That pass is
made when a case opens, and again a moment after the last edit
(``masksEdited``, emitted on every brush dab, only restarts a timer): a dab
stays as cheap as before, and the matrix follows each stroke once it ends.
Binary masks have no label to confuse: nothing is computed and the box is
hidden.

The label-set note ("reference uses labels 0/1/2, prediction 0/1/2/4: ...")
is added to the window's banner of case warnings when the case opens; an
empty mask (a new segmentation) has no label set to compare and gives none.
"""
from __future__ import annotations

from PySide6 import QtCore

from ..core.label_confusion import label_confusion, label_set_warning

# Recompute this long after the last edit (a brush drag edits many times a second).
DELAY_MS = 400


class LabelConfusionUpdater(QtCore.QObject):
    """Fills ``window.scores``' label-confusion box and notes differing label sets in ``window.banner``."""

    def __init__(self, window, delay_ms: int = DELAY_MS):
        super().__init__(window)
        self.window = window
        self.result: dict | None = None
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.refresh)
        window.sessionChanged.connect(self._session_changed)
        window.masksEdited.connect(self._timer.start)

    @property
    def pending(self) -> bool:
        """An edit is waiting for its recomputation."""
        return self._timer.isActive()

    def swapped_voxels(self) -> int | None:
        """Voxels foreground in both masks with different labels, or None while unknown or out of date."""
        if self.result is None or self.pending:
            return None
        return int(self.result["swapped_voxels"])

    def refresh(self) -> None:
        """Count the label pairs of the current masks now and show them."""
        self._timer.stop()
        s = self.window.session
        if s is None or not s.has_scores or not s.is_label_map:
            self.result = None
        else:
            try:
                self.result = label_confusion(s.gt, s.pred)
            except ValueError as exc:  # TooManyLabels: a map of instance ids, not organs
                self.result = None
                self.window.statusBar().showMessage(f"Label confusion not shown: {exc}", 10000)
        names = s.case.label_names if s is not None else {}
        per_voxel = s.size_per_voxel if s is not None else 1.0
        unit = s.size_unit if s is not None else "mL"
        self.window.scores.set_confusion(self.result, names, per_voxel, unit)
        # the legend's volume count of swaps comes from here
        self.window._update_legend()

    def _session_changed(self) -> None:
        self.refresh()
        note = self.label_set_note()
        banner = self.window.banner
        if note and note not in banner.text():
            banner.setText("\n".join(t for t in (banner.text(), note) if t))
            banner.setVisible(True)

    def label_set_note(self) -> str | None:
        """The label-set warning of the shown masks (None: same labels, binary, or a mask empty)."""
        r = self.result
        if r is None or r["gt_labels"] == [0] or r["pred_labels"] == [0]:
            return None
        # background is in both by nature: the note is about structures, as dicegui score writes it
        return label_set_warning([v for v in r["gt_labels"] if v != 0], [v for v in r["pred_labels"] if v != 0],
                                 self.window.session.case.label_names)
