"""Which label the brush writes: it follows the review, can be pinned, and can be picked from the image.

A corrector reviews label after label (a per-label row, N / Shift+N through
the error regions, the overlay's label filter) and then paints. A brush that
kept its old label painted the wrong organ, and when the overlay showed only
the reviewed label the stroke did not even show. So:

* **follow**: every change of review focus sets the brush label, unless the
  Edit panel's *Pin* button is down (a corrector painting one label while
  looking at others pins it);
* **eyedropper**: I (or Ctrl+click with a paint tool) takes the label under
  the mouse in the mask being edited; background keeps the label and says so;
* **never an invisible stroke**: at the start of a stroke, if the overlay
  hides what the stroke changes (a label filter on another label, the other
  mask's label colours, the label switched off in the label list), the
  overlay is switched to show it and the status bar says what changed. This
  is the simplest rule that is always honest: the user sees every voxel the
  stroke writes, in the overlay that scores it. Hiding the whole overlay (S)
  is left alone: that is a deliberate look at the anatomy;
* **Protect other labels** is on by default and remembered (QSettings).
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui

from ...core.display import plane_to_voxel
from .. import settings as app_settings
from ..overlay_panel import KIND_CONFUSION, KIND_GT_LABELS, KIND_PRED_LABELS

LABEL_KIND_OF_TARGET = {"gt": KIND_GT_LABELS, "pred": KIND_PRED_LABELS}
PICK_KEY = "I"


class LabelFocus(QtCore.QObject):
    """Follow / pin / eyedropper for the brush label, and the visible-stroke rule.

    Parameters
    ----------
    editor : dicegui.gui.editor.controller.Editor

    Attributes
    ----------
    act_pick : QtGui.QAction
        Eyedropper (key I) on the window.
    """

    def __init__(self, editor):
        super().__init__(editor)
        self.editor = editor
        self.window = editor.window
        self.panel = editor.panel
        w = self.window
        self._review_label = None  # the overlay filter's label last followed
        self.act_pick = QtGui.QAction("Pick the label under the mouse", w)
        self.act_pick.setShortcut(QtGui.QKeySequence(PICK_KEY))
        tip = "Eyedropper (I, or Ctrl+click with the brush, eraser or fill): the brush takes the label under the mouse"
        self.act_pick.setToolTip(tip)
        self.act_pick.setStatusTip(tip)
        self.act_pick.triggered.connect(self.pick_under_mouse)
        w.addAction(self.act_pick)  # works whichever widget has focus
        self.panel.protect.setChecked(app_settings.protect_other_labels())
        self.panel.protect.toggled.connect(app_settings.set_protect_other_labels)
        self.panel.label.setToolTip(
            "Label the brush and fill write; it follows the label you review (per-label row, N / Shift+N, "
            "overlay filter) unless pinned; I picks the label under the mouse")
        w.overlay_panel.changed.connect(self._overlay_changed)
        w.scores.labelActivated.connect(self.follow)
        qa = getattr(w, "qa", None)
        if qa is not None:
            qa.navigator.regionSelected.connect(self._region_selected)

    # ------------------------------------------------------------ follow
    @property
    def pinned(self) -> bool:
        return self.panel.pin.isChecked()

    def follow(self, label) -> bool:
        """The review moved to ``label``: the brush takes it unless pinned. True if the brush label changed."""
        if label is None or int(label) <= 0 or self.pinned or self.window.session is None:
            return False
        if self.panel.active_label() == int(label):
            return False
        return self.panel.set_label(int(label))

    def _overlay_changed(self) -> None:
        label = self.window.overlay_panel.current_label()
        if label != self._review_label:
            self._review_label = label
            self.follow(label)

    def _region_selected(self, region) -> None:
        self.follow(self.region_label(region))

    def region_label(self, region) -> int | None:
        """The label an error region is about: its view's label, else the value of the mask that holds it."""
        if region.label is not None:
            return int(region.label)
        s = self.window.session
        mask = s.gt if region.kind == "FN" else s.pred  # a missed region is in the reference only
        if mask is None:
            return None
        return int(mask[region.focus_voxel()])

    # --------------------------------------------------------- eyedropper
    def pick(self, plane, index: int, pixel) -> int | None:
        """Take the label of the edited mask at screen ``pixel`` of ``plane``'s slice ``index``.

        Returns
        -------
        int or None
            The label picked; None when the pixel is off the image, the mask is
            missing, or it holds background there (the label is kept and the
            status bar says so).
        """
        s = self.window.session
        ed = self.editor
        mask = None if s is None else getattr(s, ed.target)
        if mask is None:
            return None
        ijk = plane_to_voxel(plane, int(index), int(pixel[0]), int(pixel[1]), s.shape)
        if any(not 0 <= c < n for c, n in zip(ijk, s.shape)):
            return None
        value = int(mask[ijk])
        where = "reference" if ed.target == "gt" else "prediction"
        if value == 0:
            ed.report(f"Eyedropper: background in the {where} here; the brush keeps label {ed.label}")
            return None
        name = s.label_name(value) if s.is_label_map else ""
        if not self.panel.set_label(value):
            ed._fill_panel()  # a label the list does not offer yet
            self.panel.set_label(value)
        ed.report(f"Eyedropper: brush label {value} {name}".rstrip() + f" (from the {where})")
        return value

    def hovered(self):
        """(plane, slice, pixel) under the mouse: the focused view first, else any view the mouse is over."""
        views = self.window.views
        st = views.state
        if st is None:
            return None
        planes = {p.name: p for p in self.window.session.planes}
        names = [st.focus] + [n for n in st.planes if n != st.focus]
        for name in names:
            view = views.view_of(name)
            if view.hovered_pixel is not None and name in planes:
                return planes[name], st.slice_of(name), view.hovered_pixel
        return None

    def pick_under_mouse(self) -> int | None:
        """Key I: the eyedropper at the mouse position (a message when the mouse is not over a view)."""
        if self.window.session is None:
            return None
        where = self.hovered()
        if where is None:
            self.editor.report("Eyedropper (I): point at the image with the mouse first")
            return None
        return self.pick(*where)

    # ------------------------------------------------- the visible stroke
    def stroke_label(self) -> int | None:
        """The label the coming stroke changes (None: it may change any label, an unprotected eraser)."""
        ed = self.editor
        erasing = ed.tool is not None and ed.tool.name == "eraser"
        return None if erasing and not ed.protect else ed.label

    def ensure_visible(self) -> str | None:
        """Make the overlay show what the coming stroke writes; the change made, in words (None: none needed)."""
        w = self.window
        s = w.session
        if s is None:
            return None
        panel = w.overlay_panel
        label = self.stroke_label()
        said = []
        kind = panel.current_kind()
        target_kind = LABEL_KIND_OF_TARGET[self.editor.target]
        if kind in LABEL_KIND_OF_TARGET.values() and kind != target_kind:
            panel.set_kind(target_kind if panel.kind.findData(target_kind) >= 0 else KIND_CONFUSION)
            said.append(f"the {'reference' if self.editor.target == 'gt' else 'prediction'} labels")
        shown = panel.current_label()
        if shown is not None and shown != label:
            panel.select_label(label)
            if panel.current_label() != label:  # a label new to this case: show every label
                panel.select_label(None)
            now = panel.current_label()
            said.append("all labels" if now is None else f"label {now} {s.label_name(now)}".rstrip())
        display = getattr(panel, "label_display", None)
        if display is not None and label is not None and display.factor(label) == 0:
            display.set_shown(label, True)
            if display.factor(label) == 0:
                display.set_opacity(label, 100)
            said.append(f"label {label} switched on")
        if not said:
            return None
        text = f"Overlay now shows {', '.join(said)}: the brush label was hidden"
        self.editor.report(text)
        return text
