"""Saving corrected masks: where to, asking before replacing, errors as dialogs.

Masks are written by :func:`dicegui.core.io.save_mask` (atomic, original
grid, header, dtype and value coding). Defaults, as in ITK-SNAP's "save
segmentation" but never replacing an original silently:

* the first save of a mask goes to ``<stem>_corrected<ext>`` beside its file
  (asking before replacing an existing file of that name); later saves of
  the same mask go to the file it was last saved to;
* demo cases and masks that were not read from a file ask for a path;
* "Save as…" always asks (the file dialog confirms replacing).

A failed save (read-only folder, full disk, …) shows a dialog naming the
file and the reason; the edits stay in memory and the mask stays modified.
"""
from __future__ import annotations

import traceback
from pathlib import Path

from PySide6 import QtWidgets

from ..dialogs import FILE_FILTER
from .edit_panel import TARGET_WORDS

MASK_WORDS = {"gt": "reference (ground truth)", "pred": "prediction"}


class MaskSaver:
    """Saves the open case's masks for the editor.

    Attributes
    ----------
    saved_paths : dict
        ``{role: Path}`` where each mask was last saved in this session.
    """

    def __init__(self, editor):
        self.editor = editor
        self.saved_paths: dict[str, Path] = {}

    @property
    def window(self):
        return self.editor.window

    def reset(self) -> None:
        self.saved_paths = {}

    def has_mask(self, role: str) -> bool:
        s = self.window.session
        return s is not None and getattr(s.case, f"{role}_mask", None) is not None

    def default_path(self, role: str) -> Path | None:
        """Where "Save" writes ``role`` without asking, or None when it must ask."""
        if role in self.saved_paths:
            return self.saved_paths[role]
        s = self.window.session
        vol = getattr(s.case, role, None)
        if s.demo or vol is None or vol.path is None:
            return None  # never write into the shipped demo folder
        from ...core.io import corrected_path

        return corrected_path(vol.path)

    def suggested_path(self, role: str) -> Path:
        """Starting point of the "Save as" dialog."""
        from ...core.io import corrected_path

        s = self.window.session
        vol = getattr(s.case, role, None)
        if role in self.saved_paths:
            return self.saved_paths[role]
        if vol is not None and vol.path is not None:
            suggestion = corrected_path(vol.path)
            return Path.home() / suggestion.name if s.demo else suggestion
        return Path.home() / f"{role}_corrected.nii.gz"

    def save(self, role: str, path=None, *, ask: bool = False) -> Path | None:
        """Save one mask; the file written, or None (cancelled or failed, with a dialog)."""
        if not self.has_mask(role):
            return None
        self.editor.finish_stroke()
        overwrite = False
        if path is None and not ask:
            path = self.default_path(role)
            if path is not None:
                if role in self.saved_paths:
                    overwrite = True  # the file this session wrote
                elif path.exists():
                    if not self._confirm_replace(path):
                        return None
                    overwrite = True
        if path is None:
            path = self._ask_path(role)
            if path is None:
                return None
            overwrite = True  # the file dialog asked before replacing
        return self._write(role, Path(path), overwrite)

    def save_as(self, role: str, path=None) -> Path | None:
        """Save one mask to a chosen file (asks when ``path`` is None; replaces an existing one)."""
        if path is None:
            return self.save(role, ask=True)
        if not self.has_mask(role):
            return None
        self.editor.finish_stroke()
        return self._write(role, Path(path), overwrite=True)

    def save_modified(self) -> bool:
        """Save every mask with unsaved edits; True when all of them were written."""
        for role in ("gt", "pred"):
            if self.editor.history.is_modified(role) and self.save(role) is None:
                return False
        return True

    # ----------------------------------------------------------- internals
    def _write(self, role: str, path: Path, overwrite: bool) -> Path | None:
        from ...core.io import save_mask

        w = self.window
        try:
            out = save_mask(w.session.case, role, path, overwrite=overwrite)
        except Exception as exc:  # never lose the edits to a failed write
            if not isinstance(exc, (OSError, ValueError)):
                traceback.print_exc()
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            text = reason if path.name in reason else f"{path}: {reason}"
            w._report_error(f"Could not save the {TARGET_WORDS[role]}",
                            f"{text}\nYour edits are still open; save them somewhere else.")
            return None
        self.saved_paths[role] = Path(out)
        self.editor.history.mark_saved(role)
        w.statusBar().showMessage(f"Saved the {MASK_WORDS[role]} to {out}", 8000)
        self.editor.maskSaved.emit(role, Path(out))
        return Path(out)

    def _confirm_replace(self, path: Path) -> bool:
        box = QtWidgets.QMessageBox
        answer = box.question(self.window, "Replace file?",
                              f"{path.name} already exists in {path.parent}.\nReplace it?",
                              box.StandardButton.Yes | box.StandardButton.No, box.StandardButton.No)
        return answer == box.StandardButton.Yes

    def _ask_path(self, role: str) -> Path | None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self.window, f"Save the {MASK_WORDS[role]} as", str(self.suggested_path(role)), FILE_FILTER)
        return Path(path) if path else None
