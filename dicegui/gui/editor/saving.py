"""Saving corrected masks: where to, asking before replacing, errors as dialogs.

Masks are written by :func:`dicegui.core.io.save_mask` (atomic, original
grid, header, dtype and value coding), or as a DICOM SEG or RT Structure
Set referencing the case's image series when the file chosen ends in
``.dcm`` (:func:`dicegui.core.io.dicom_case.save_case_mask`; the kind is the
filter chosen in the Save dialog, else the kind the mask was read from). Saving one's work is done on purpose,
never silently into the input's folder (which may be a shared, read-mostly
one):

* the first save of a mask in a case opens a Save dialog pre-filled with
  ``<stem>_corrected<ext>`` in the folder masks were last saved to (a
  setting), else beside the input; a new segmentation is offered as
  ``<image stem>_<prediction|reference><ext>``; the demo starts in the home
  folder, never the install folder;
* later saves of the same mask go to the chosen file without asking, also
  after File ▸ New segmentation re-opens the same case;
* "Save as…" always asks (the file dialog confirms replacing);
* before replacing a file this window read or wrote, it checks that nobody
  else changed it since (:mod:`dicegui.core.io.file_stamps`) and asks;
* a probability-map prediction is saved as its corrected 0/1 mask, which
  the user is told once per case before the first save.

The window title names the files the masks will be saved to (:meth:`MaskSaver.title_suffix`).

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
#: Save-dialog filters that write a DICOM object, and the kind each writes.
DICOM_FILTERS = {"DICOM SEG (*.dcm)": "seg", "DICOM RT Structure Set (*.dcm)": "rtstruct"}
SAVE_FILTER = FILE_FILTER.replace(";;All files (*)", ";;" + ";;".join(DICOM_FILTERS) + ";;All files (*)")


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
        self.dicom_kinds: dict[str, str] = {}  # {role: "seg"|"rtstruct"} chosen in the Save dialog
        self._case = None  # the case saved_paths belong to
        # {absolute path: FileStamp} of the files this window read or wrote, to notice another writer
        self.stamps: dict = {}
        self._probability_told = False

    @property
    def window(self):
        return self.editor.window

    def reset(self) -> None:
        """A case was opened: forget the chosen files, unless it is the same case re-shown."""
        s = self.window.session
        case = s.case if s is not None else None
        if case is None or case is not self._case:
            self.saved_paths = {}
            self.dicom_kinds = {}
            self._probability_told = False
            self._stamp_inputs(s)
        self._case = case

    def has_mask(self, role: str) -> bool:
        s = self.window.session
        return s is not None and getattr(s.case, f"{role}_mask", None) is not None

    def default_path(self, role: str) -> Path | None:
        """Where "Save" writes ``role`` without asking (the file chosen before), or None: ask."""
        return self.saved_paths.get(role)

    def suggested_path(self, role: str) -> Path:
        """What the Save dialog is pre-filled with: ``<last save folder or input's folder>/<name>_corrected<ext>``."""
        if role in self.saved_paths:
            return self.saved_paths[role]
        return self._start_folder(role) / self._suggested_name(role)

    def _suggested_name(self, role: str) -> str:
        from ...core.io import corrected_path
        from ...core.new_segmentation import ROLE_WORDS, new_mask_suffix

        s = self.window.session
        vol = getattr(s.case, role, None)
        if vol is not None and vol.path is not None:
            return corrected_path(vol.path).name
        image = s.paths.get("image")
        stem = _stem(Path(image)) if image is not None else "segmentation"
        return f"{stem}_{ROLE_WORDS[role]}{new_mask_suffix(s.case)}"

    def _start_folder(self, role: str) -> Path:
        from ..settings import last_save_folder

        folder = last_save_folder()
        if folder is not None:
            return folder
        s = self.window.session
        if s.demo:
            return Path.home()  # never the install folder
        source = getattr(s.case, role, None)
        for path in (getattr(source, "path", None), s.paths.get(role), s.paths.get("image")):
            if path is not None:
                return Path(path).parent
        return Path.home()

    def title_suffix(self) -> str:
        """``"saves to pred_corrected.nii.gz"`` for the window title ("" before any file is chosen).

        Masks with edits but no file yet read ``"prediction not saved yet"``.
        """
        parts = [f"saves to {self.saved_paths[r].name}" for r in ("gt", "pred") if r in self.saved_paths]
        unsaved = [r for r in ("gt", "pred") if r not in self.saved_paths and self.editor.history.is_modified(r)]
        parts += [f"{MASK_WORDS[r].split(' ')[0]} not saved yet" for r in unsaved]
        return " · ".join(parts)

    def save(self, role: str, path=None, *, ask: bool = False) -> Path | None:
        """Save one mask; the file written, or None (cancelled or failed, with a dialog)."""
        if not self.has_mask(role):
            return None
        self.editor.finish_stroke()
        overwrite = False
        if path is None and not ask:
            path = self.default_path(role)
            if path is not None:
                overwrite = True  # the file chosen for this mask in this case
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
    def _stamp_inputs(self, session) -> None:
        from ...core.io.file_stamps import stamp

        for role in ("gt", "pred"):
            vol = getattr(session.case, role, None) if session is not None else None
            if vol is not None and vol.path is not None:
                st = stamp(vol.path)
                if st is not None:
                    self.stamps[st.path] = st

    def _conflict_answer(self, path: Path) -> str:
        """``"replace"`` when ``path`` may be written; ``"save_as"`` or ``"cancel"`` when it changed on disk.

        A file that changed since this window read or wrote it (another
        window, another program) is not replaced without asking.
        """
        from ...core.io.file_stamps import changed_since

        before = self.stamps.get(str(path.absolute()))
        why = None if before is None else changed_since(before)
        return "replace" if why is None else ask_on_conflict(self.window, why)

    def _probability_accepted(self, role: str) -> bool:
        """A probability-map prediction is saved as its corrected 0/1 mask: say so once per case."""
        info = getattr(self.window.session.case, f"{role}_info", None)
        if role != "pred" or info is None or info.kind != "probability" or self._probability_told:
            return True
        box = QtWidgets.QMessageBox
        answer = box.question(
            self.window, "Saving a probability map as a mask",
            "The prediction was opened as a probability map and thresholded to a mask "
            f"({info.message}). The file saved holds the corrected mask (0 and 1), not probabilities.",
            box.StandardButton.Save | box.StandardButton.Cancel, box.StandardButton.Save)
        if answer == box.StandardButton.Cancel:
            return False
        self._probability_told = True
        return True

    def _write(self, role: str, path: Path, overwrite: bool) -> Path | None:
        from ...core.io.dicom_case import save_case_mask
        from ...core.io.file_stamps import stamp

        w = self.window
        answer = "cancel"
        if self._probability_accepted(role):
            answer = self._conflict_answer(path)
        if answer == "save_as":
            other = self._ask_path(role, start=free_sibling(path))
            if other is not None:
                return self._write(role, other, overwrite=True)  # the file dialog asked before replacing
        if answer != "replace":
            w.statusBar().showMessage(f"Not saved: the {MASK_WORDS[role]} is still open with its edits", 8000)
            return None
        try:
            out = save_case_mask(w.session.case, role, path, kind=self.dicom_kinds.get(role), overwrite=overwrite)
        except Exception as exc:  # never lose the edits to a failed write
            if not isinstance(exc, (OSError, ValueError)):
                traceback.print_exc()
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            text = reason if path.name in reason else f"{path}: {reason}"
            w._report_error(f"Could not save the {TARGET_WORDS[role]}",
                            f"{text}\nYour edits are still open; save them somewhere else.")
            return None
        self.saved_paths[role] = Path(out)
        written = stamp(out)
        if written is not None:
            self.stamps[written.path] = written
        from ..settings import set_last_save_folder

        set_last_save_folder(Path(out).parent)
        self.editor.history.mark_saved(role)
        w.statusBar().showMessage(f"Saved the {MASK_WORDS[role]} to {out}", 8000)
        self.editor.maskSaved.emit(role, Path(out))
        self.editor.update_title()
        return Path(out)

    def _replace_asked(self, path: Path) -> bool:
        return _replace_question(self.window, path)

    def _ask_path(self, role: str, start: Path | None = None) -> Path | None:
        """The file chosen in a Save dialog (None: cancelled); a DICOM filter also sets the kind written."""
        start = start if start is not None else self.suggested_path(role)
        source = str(getattr(getattr(self.window.session.case, role, None), "source_format", "") or "")
        preset = next((f for f, kind in DICOM_FILTERS.items() if source == f"dicom-{kind}"), "")
        path, chosen = QtWidgets.QFileDialog.getSaveFileName(
            self.window, f"Save the {MASK_WORDS[role]} as", str(start), SAVE_FILTER, preset)
        if not path:
            return None
        kind = DICOM_FILTERS.get(chosen)
        if kind is not None:
            if not path.lower().endswith(".dcm"):
                path += ".dcm"
                if Path(path).exists() and not self._replace_asked(Path(path)):
                    return None  # the dialog asked about the name typed, not this one
            self.dicom_kinds[role] = kind
        elif chosen:
            self.dicom_kinds.pop(role, None)
        return Path(path)


def _replace_question(parent, path: Path) -> bool:
    box = QtWidgets.QMessageBox
    answer = box.question(parent, "Replace the file?", f"{path.name} already exists in {path.parent}. Replace it?",
                          box.StandardButton.Yes | box.StandardButton.No, box.StandardButton.No)
    return answer == box.StandardButton.Yes


def ask_on_conflict(parent, why: str) -> str:
    """Ask what to do with a file that changed on disk: ``"replace"``, ``"save_as"`` or ``"cancel"``.

    Save As… is the default button: it keeps both versions.
    """
    box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, "The file changed on disk",
                                f"{why}.\n\nReplace it with this window's mask (the other changes are lost), "
                                "save this window's mask to another file, or cancel?", parent=parent)
    role = QtWidgets.QMessageBox.ButtonRole
    replace = box.addButton("Replace", role.DestructiveRole)
    save_as = box.addButton("Save As…", role.AcceptRole)
    box.addButton(QtWidgets.QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(save_as)
    box.exec()
    clicked = box.clickedButton()
    return "replace" if clicked is replace else "save_as" if clicked is save_as else "cancel"


def free_sibling(path: Path) -> Path:
    """``path`` with ``_2``, ``_3``… before its format suffix: the first name not taken in its folder."""
    stem, suffix = _stem(path), path.name[len(_stem(path)):]
    for n in range(2, 10_000):
        candidate = path.with_name(f"{stem}_{n}{suffix}")
        if not candidate.exists():
            return candidate
    return path


def _stem(path: Path) -> str:
    """File name without its format suffix (``.nii.gz`` and ``.seg.nrrd`` whole)."""
    name = path.name
    for suffix in (".nii.gz", ".seg.nrrd"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem
