"""The editor: wires the tools, the undo history, the Edit panel and saving into the main window.

What happens at a brush dab (the hot path, once per mouse-move event)::

    SliceView.mouseMoveEvent → Editor.move → BrushTool.move
      → Stroke.add (core: segment footprint, LiveScore.apply)
      → Editor.region_changed → MainWindow.masks_changed(rectangle)
        (volume/slice/per-label scores from LiveScore's counts, overlay codes
        of the touched rectangle only, Qt repaints that rectangle)
      → ΔDice of the stroke so far in the scores panel

Keys (window shortcuts): B brush, E eraser, F fill, Esc navigate (cancels a
stroke in progress), [ ] brush size (also Shift+wheel), Ctrl+Z undo,
Ctrl+Shift+Z / Ctrl+Y redo, Ctrl+S save edited masks. S / O / A / D (overlay)
belong to the window.
"""
from __future__ import annotations

import math

import numpy as np
import shiboken6
from PySide6 import QtCore, QtGui, QtWidgets

from ...core import overlay as ov
from ...core.display import PLANES, plane_to_voxel
from ...core.edits import (Brush, apply_cleanup, brush_radius_mm, describe, foreground_change, label_changes,
                           plane_axes)
from ...core.edits.change_report import edit_report
from . import background_effect
from .brush_cursor import BrushCursor
from .brush_tool import BrushTool
from .cleanup_effects import FillHolesEffect, RemoveIslandsEffect
from .edit_panel import MAX_RADIUS, TARGET_COLORS, TARGET_TITLES, EditPanel
from .eraser_tool import EraserTool
from .fill_tool import FillTool
from .intensity_range import IntensityRangeWidget
from .interpolate_effect import InterpolateEffect
from .label_focus import LabelFocus
from .new_segmentation import NewSegmentation
from .saving import MASK_WORDS, MaskSaver
from .undo import ROLES, EditHistory

AXIS_NAMES = {plane.axis: name for name, plane in PLANES.items()}
NOTHING_TO_EDIT = "nothing to edit: open a mask or start a new segmentation (File ▸ New segmentation)"


class Editor(QtCore.QObject):
    """Mask editing for a :class:`~dicegui.gui.main_window.MainWindow`.

    Attributes
    ----------
    history : EditHistory
        The undo stack of the open case.
    panel : EditPanel
        Settings dock content.
    tools : dict
        ``{"brush"|"eraser"|"fill": EditTool}``.
    tool : EditTool or None
        The active tool; None is navigation (left-drag pans).
    saver : MaskSaver

    Signals
    -------
    maskSaved(str, object)
        A mask (``"gt"``/``"pred"``) was written to a file (its Path).
    """

    maskSaved = QtCore.Signal(str, object)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        from ..settings import undo_memory_limit

        self.history = EditHistory(self, memory_limit=undo_memory_limit())
        self.saver = MaskSaver(self)
        self.tools = {t.name: t for t in (BrushTool(self), EraserTool(self), FillTool(self))}
        self.tool = None
        self.background = None  # a clean-up being planned in a worker (BackgroundEffect)
        self.fill_holes_effect = FillHolesEffect()
        self.remove_islands_effect = RemoveIslandsEffect()
        self.interpolate_effect = InterpolateEffect()
        self.panel = EditPanel()
        self.cursor = BrushCursor()
        window.view.vb.addItem(self.cursor, ignoreBounds=True)
        self._dice_before_stroke = None
        self._dice_before_apply = None
        self._last_change = None  # (ΔDice, text) shown in the scores panel
        self._hover = None

        self._build_actions()
        self._build_docks()
        self._build_menus()
        self._build_toolbar()
        self._build_correction_tools()
        self.new_segmentation = NewSegmentation(self)  # File ▸ New segmentation, toolbar button
        self.label_focus = LabelFocus(self)  # brush label follows the review; eyedropper; visible strokes
        self._stroke_note = None  # what the overlay had to change to show the stroke
        self._label_before = None  # (label, Dice) of the edited label before the edit
        window.views.edit_handler = self  # every slice view hands its mouse to the editor
        window.sessionChanged.connect(self._session_changed)
        window.sliceChanged.connect(self._slice_changed)
        self.history.aboutToApply.connect(self._about_to_apply)
        self.history.applied.connect(self._applied)
        self.history.modifiedChanged.connect(self._modified_changed)
        self.history.dropped.connect(self._steps_dropped)
        self.history.stack.indexChanged.connect(lambda _i: self._update_actions())
        p = self.panel
        p.targetChanged.connect(lambda _w: self._settings_changed())
        p.labelChanged.connect(lambda _k: self._settings_changed())
        p.brushChanged.connect(self._settings_changed)
        p.fillHolesRequested.connect(self.fill_holes)
        p.removeIslandsRequested.connect(self.remove_islands)
        self._update_actions()
        self._settings_changed()

    # ================================================================== UI
    def _action(self, text, slot, shortcuts=(), tip=None, checkable=False, data=None) -> QtGui.QAction:
        act = QtGui.QAction(text, self.window)
        if shortcuts:
            act.setShortcuts([QtGui.QKeySequence(s) for s in shortcuts])
        if tip:
            act.setToolTip(tip)
            act.setStatusTip(tip)
        act.setCheckable(checkable)
        if data is not None:
            act.setData(data)
        act.triggered.connect(slot)
        self.window.addAction(act)  # shortcuts work whichever widget has focus
        return act

    def _build_actions(self) -> None:
        self.tool_group = QtGui.QActionGroup(self)
        self.tool_group.setExclusive(True)
        self.act_navigate = self._action("Navigate", lambda: self.set_tool(None), ("Esc",),
                                         "Navigate (Esc): left-drag pans, no editing", True, "")
        self.act_tool = {"": self.act_navigate}
        for name, tool in self.tools.items():
            self.act_tool[name] = self._action(tool.title, lambda _=False, n=name: self.choose_tool(n),
                                               (tool.shortcut,), tool.tip, True, name)
        for act in self.act_tool.values():
            self.tool_group.addAction(act)
        self.act_navigate.setChecked(True)
        self.act_undo = self._action("Undo", self.undo, (QtGui.QKeySequence.StandardKey.Undo,),
                                     "Undo the last edit (Ctrl+Z)")
        self.act_redo = self._action("Redo", self.redo, ("Ctrl+Shift+Z", "Ctrl+Y"),
                                     "Redo (Ctrl+Shift+Z or Ctrl+Y)")
        self.act_smaller = self._action("Smaller brush", lambda: self.resize_brush(-1), ("[",),
                                        "Brush radius −1 voxel ([ or Shift+wheel)")
        self.act_larger = self._action("Larger brush", lambda: self.resize_brush(1), ("]",),
                                       "Brush radius +1 voxel (] or Shift+wheel)")
        self.act_fill_holes = self._action("Fill holes of the active label", self.fill_holes,
                                           tip=self.fill_holes_effect.tip)
        self.act_remove_islands = self._action("Remove small islands of the active label", self.remove_islands,
                                               tip=self.remove_islands_effect.tip)
        self.act_save = self._action("&Save edited masks", self.save_modified, (QtGui.QKeySequence.StandardKey.Save,),
                                     "Save every mask with unsaved edits (a corrected copy beside the original)")
        self.act_save_role = {
            role: self._action(f"Save {MASK_WORDS[role]}", lambda _=False, r=role: self.saver.save(r),
                               tip=f"Save the {MASK_WORDS[role]} (to <name>_corrected beside the original)")
            for role in ROLES
        }
        self.act_save_as = self._action("Save edit target &as…", lambda: self.saver.save_as(self.target),
                                        ("Ctrl+Shift+S",), "Save the mask being edited to a file you choose")

    def _build_docks(self) -> None:
        w = self.window
        self.panel.add_tool_actions([self.act_navigate, *(self.act_tool[n] for n in self.tools)])
        self.edit_dock = QtWidgets.QDockWidget("Edit masks", w)
        self.edit_dock.setObjectName("edit_dock")
        self.edit_dock.setWidget(self.panel)
        self.edit_dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable)
        w.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, self.edit_dock)
        left = getattr(w, "left_dock", None)
        if left is not None:
            w.splitDockWidget(self.edit_dock, left, QtCore.Qt.Orientation.Vertical)
        self.undo_view = QtWidgets.QUndoView(self.history.stack)
        self.undo_view.setEmptyLabel("Opened case (no edits)")
        self.undo_view.setToolTip("Edit history: click a line to go back to that state")
        self.history_dock = QtWidgets.QDockWidget("Edit history", w)
        self.history_dock.setObjectName("history_dock")
        self.history_dock.setWidget(self.undo_view)
        self.history_dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                                      | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable)
        w.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.history_dock)
        right = getattr(w, "right_dock", None)
        if right is not None:
            w.splitDockWidget(right, self.history_dock, QtCore.Qt.Orientation.Vertical)
            w.resizeDocks([right, self.history_dock], [760, 150], QtCore.Qt.Orientation.Vertical)

    def _menu(self, title: str):
        for act in self.window.menuBar().actions():
            if act.menu() is not None and act.text().replace("&", "") == title:
                return act.menu()
        return None

    def _build_menus(self) -> None:
        bar = self.window.menuBar()
        file_menu = self._menu("File")
        if file_menu is not None:
            before = getattr(self.window, "act_export_scores", None)
            saves = [self.act_save, *self.act_save_role.values(), self.act_save_as]
            if before is not None and before in file_menu.actions():
                file_menu.insertActions(before, saves)
                file_menu.insertSeparator(before)
            else:
                file_menu.addSeparator()
                file_menu.addActions(saves)
        edit_menu = QtWidgets.QMenu("&Edit", bar)
        edit_menu.addAction(self.act_undo)
        edit_menu.addAction(self.act_redo)
        edit_menu.addSeparator()
        for act in self.act_tool.values():
            edit_menu.addAction(act)
        edit_menu.addSeparator()
        edit_menu.addAction(self.act_smaller)
        edit_menu.addAction(self.act_larger)
        edit_menu.addSeparator()
        edit_menu.addAction(self.act_fill_holes)
        edit_menu.addAction(self.act_remove_islands)
        edit_menu.addSeparator()
        edit_menu.addAction(self.history_dock.toggleViewAction())
        view_menu = self._menu("View")
        if view_menu is not None:
            bar.insertMenu(view_menu.menuAction(), edit_menu)
        else:
            bar.addMenu(edit_menu)
        self.edit_menu = edit_menu

    def _build_toolbar(self) -> None:
        tb = self.window.addToolBar("Edit")
        tb.setObjectName("edit_toolbar")
        tb.setMovable(False)
        for act in self.act_tool.values():
            tb.addAction(act)
        tb.addSeparator()
        tb.addAction(self.act_undo)
        tb.addAction(self.act_redo)
        tb.addSeparator()
        tb.addAction(self.act_save)
        self.toolbar = tb

    # ============================================================== state
    @property
    def undo_stack(self) -> QtGui.QUndoStack:
        """The case's QUndoStack, shared with other panels that edit masks (issue 6)."""
        return self.history.stack

    @property
    def session(self):
        return self.window.session

    @property
    def live(self):
        """What edits write through: LiveScore with both masks, a MaskStore with one."""
        return self.window.session.edits

    @property
    def target(self) -> str:
        return self.panel.target()

    @property
    def label(self) -> int:
        return self.panel.active_label()

    @property
    def protect(self) -> bool:
        return self.panel.protect.isEnabled() and self.panel.protect.isChecked()

    @property
    def radius(self) -> int:
        return self.panel.radius.value()

    @property
    def sphere(self) -> bool:
        return self.panel.sphere.isChecked() and not self.session.grid.is_2d

    @property
    def axis(self) -> int:
        return self.window.plane.axis

    @property
    def slice_index(self) -> int:
        return self.window.index

    @property
    def spacing(self) -> tuple[float, float, float]:
        return self.session.grid.spacing

    def can_edit(self) -> bool:
        s = self.session
        # while a worker plans a clean-up the mask must stay as it read it
        return s is not None and s.edits is not None and self.background is None

    def brush(self, erase: bool = False) -> Brush:
        """The core brush for the current settings."""
        protect = self.protect
        return Brush(radius=self.radius, label=self.label, erase=erase,
                     erase_only_label=erase and protect, protect_other_labels=protect and not erase,
                     sphere=self.sphere, intensity_range=self.intensity_range)

    def radius_mm(self) -> float:
        return brush_radius_mm(self.radius, self.window.view.pixel_mm)

    def plane_point(self, pixel) -> tuple[int, int]:
        """In-plane position (along ``plane_axes(axis)``) of screen pixel ``(row, col)``."""
        w = self.window
        ijk = plane_to_voxel(w.plane, w.index, int(pixel[0]), int(pixel[1]), self.session.shape)
        u, v = plane_axes(w.plane.axis)
        return ijk[u], ijk[v]

    def screen_region(self, box):
        """``(r0, r1, c0, c1)`` of the current slice covered by a mask box, or None off the slice."""
        w = self.window
        plane, shape = w.plane, self.session.shape
        if not box[plane.axis].start <= w.index < box[plane.axis].stop:
            return None

        def span(axis, flip):
            a, b, n = box[axis].start, box[axis].stop, shape[axis]
            return (n - b, n - a) if flip else (a, b)

        r0, r1 = span(plane.row_axis, plane.row_flip)
        c0, c1 = span(plane.col_axis, plane.col_flip)
        return r0, r1, c0, c1

    def scope_args(self, scope: str) -> dict:
        if scope == "volume":
            return {"axis": None, "slice_index": None}
        return {"axis": self.axis, "slice_index": self.slice_index}

    def current_dice(self) -> float | None:
        """Volume Dice of the focus (foreground or the overlay's label); None with one mask."""
        scores = self.session.volume_scores(self.window.focus_label)
        return None if scores is None else float(scores["dice"])

    def report(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)

    # ============================================================== tools
    def set_tool(self, name: str | None) -> None:
        """Activate ``"brush"``, ``"eraser"``, ``"fill"``, or navigation (None / "")."""
        if self.tool is not None and self.tool.busy:
            if name:  # switching tools mid-drag keeps what was painted
                self.tool.finish()
            else:  # Esc abandons the stroke
                self.tool.cancel()
            self.window.view.end_editing()
        self.tool = self.tools[name] if name else None
        act = self.act_tool[name or ""]
        if not act.isChecked():
            act.setChecked(True)
        vp = self.window.view.viewport()
        if self.tool is None:
            vp.unsetCursor()
        else:
            vp.setCursor(self.tool.cursor)
        self._settings_changed()

    def choose_tool(self, name: str) -> bool:
        """A tool picked by its key or button: refused with the reason in the status bar when nothing is editable."""
        if self.session is not None and not self.can_edit():
            self.act_tool[self.tool.name if self.tool is not None else ""].setChecked(True)
            self.report(f"{self.tools[name].title}: {NOTHING_TO_EDIT}")
            return False
        self.set_tool(name)
        return True

    def finish_stroke(self) -> None:
        """Record a stroke in progress (before undo, save, slice change...)."""
        if self.tool is not None and self.tool.busy:
            self.tool.finish()
            self.window.view.end_editing()

    def cancel_stroke(self) -> None:
        if self.tool is not None and self.tool.busy:
            self.tool.cancel()
            self.window.view.end_editing()

    def resize_brush(self, steps: int) -> None:
        r = self.panel.radius
        r.setValue(int(np.clip(r.value() + int(steps), 0, MAX_RADIUS)))

    # ------------------------------------------------- view's edit handler
    def press(self, pixel, modifiers) -> bool:
        if self.tool is None or self.session is None:
            return False
        if modifiers & QtCore.Qt.KeyboardModifier.ControlModifier:  # eyedropper: pick, never paint
            self.label_focus.pick(self.window.plane, self.window.index, pixel)
            return True
        if not self.can_edit():
            return False
        if self.panel.target() == "gt" and self._reference_hidden():
            self.report("The reference is hidden (exercise): paint the prediction; reveal to edit the reference")
            return True
        return self.tool.press(pixel, modifiers)

    def _reference_hidden(self) -> bool:
        qa = getattr(self.window, "qa", None)
        return qa is not None and qa.teaching.exercise.hidden

    def move(self, pixel) -> None:
        if self.tool is not None:
            self.tool.move(pixel)

    def release(self, pixel) -> None:
        if self.tool is not None:
            self.tool.release(pixel)

    def hover(self, pos) -> None:
        self._hover = pos
        if pos is None or self.tool is None or not self.tool.shows_brush or self.session is None:
            self.cursor.move_to(None)
            return
        self.cursor.move_to((math.floor(pos[0]), math.floor(pos[1])))

    def wheel(self, steps: int) -> bool:
        if self.tool is not None and self.tool.shows_brush:
            self.resize_brush(steps)
            return True
        return False

    # ------------------------------------------------- tools report back
    def stroke_started(self) -> None:
        self._stroke_note = self.label_focus.ensure_visible()  # before the Dice: the focus may change
        self._dice_before_stroke = self.current_dice()
        self._label_before = self._label_dice(self.label)
        self.act_undo.setEnabled(True)  # Ctrl+Z mid-drag ends the stroke and undoes it

    def stroke_cancelled(self) -> None:
        self._dice_before_stroke = None
        self._stroke_note = None
        self.window.scores.sort_per_label()
        self._show_last_change()
        self._update_actions()

    def region_changed(self, box, live: bool = False, labels=None) -> None:
        """Masks changed inside ``box`` (tuple of slices, view order): refresh scores and overlay.

        ``labels``: the only labels whose counts changed (a dab), so only their
        per-label rows are rewritten; None: any.
        """
        region = self.screen_region(box)
        self.window.masks_changed(region, box, labels=labels)
        if live and self._dice_before_stroke is not None and self.session.has_scores:
            self.window.scores.set_last_change(self.current_dice() - self._dice_before_stroke, "this stroke")

    def commit(self, delta) -> None:
        """One stroke or click ended: its delta becomes one undo step (none if nothing changed)."""
        before, self._dice_before_stroke = self._dice_before_stroke, None
        note, self._stroke_note = self._stroke_note, None
        self.window.scores.sort_per_label()  # rows were updated in place during the drag
        if delta is None:
            self._show_last_change()
            self._update_actions()
            return
        text = describe(delta, None if self.session.grid.is_2d else AXIS_NAMES)
        dropped_before = self.history.dropped_steps
        self.history.push(delta, text)
        self._note_labels(delta.new)
        dice = None if before is None else self.current_dice() - before
        detail = self.change_text(delta, dice, label_before=self._label_before)
        self._label_before = None
        if before is not None:
            self._last_change = (dice, "last stroke", detail)
        self._show_last_change()
        text = f"{text}: {detail}" + (f"  ·  {note}" if note else "")
        dropped = self.history.dropped_steps - dropped_before
        self.report(f"{text}  ·  {self._dropped_text(dropped)}" if dropped else text)

    def _show_last_change(self) -> None:
        scores = self.window.scores
        if self._last_change is None:
            scores.set_last_change(None)
        else:
            scores.set_last_change(*self._last_change)

    def _label_dice(self, label):
        """``(label, its volume Dice)`` of a label map, to report the edited label's ΔDice; else None."""
        s = self.session
        if label is None or s is None or not s.is_label_map or s.live is None:
            return None
        return int(label), float(s.volume_scores(int(label))["dice"])

    def change_text(self, delta, dice_change=None, undo: bool = False, label_before=None) -> str:
        """What an edit did to each label and the foreground, ΔDice of the focus and of the edited label.

        ``label_before``: ``(label, Dice)`` of the edited label before the edit.
        """
        s = self.session
        changes = label_changes(delta)
        fg = foreground_change(delta)
        if undo:
            changes, fg = {k: -v for k, v in changes.items()}, -fg
        focus = self.window.focus_label
        dice = {}
        if self._reference_hidden():  # the exercise: a ΔDice would tell the student how close the stroke came
            label_before = dice_change = None
        if label_before is not None and label_before[0] != focus:
            dice[f"label {label_before[0]}"] = self._label_dice(label_before[0])[1] - label_before[1]
        if dice_change is not None:
            dice["foreground" if focus is None else f"label {focus}"] = dice_change
        return edit_report(changes, fg, names=s.case.label_names if s.is_label_map else {},
                           size_per_voxel=s.size_per_voxel, size_unit=s.size_unit, dice_changes=dice)

    # ============================================================ effects
    def _run_effect(self, effect, *args):
        """Run a whole-mask effect as one undo step; its delta (None if nothing changed, refused or sent to a worker).

        A whole-volume clean-up of a big mask is planned in a worker thread
        (:mod:`.background_effect`) and written when the plan arrives.
        """
        if not self.can_edit():
            return None
        self.finish_stroke()
        before = self.current_dice()
        label_before = self._label_dice(self.label)
        scope = self.panel.scope_key()
        try:
            big = self._mask_size() >= background_effect.BACKGROUND_VOXELS
            if scope == "volume" and hasattr(effect, "plan") and big:
                self._plan_in_background(effect, effect.settings(self, scope, *args), before, label_before)
                return None
            delta = effect.run(self, scope, *args)
        except ValueError as exc:
            self.report(str(exc))
            return None
        return self._effect_done(effect, delta, before, label_before)

    def _mask_size(self) -> int:
        mask = self.live.gt if self.target == "gt" else self.live.pred
        return 0 if mask is None else int(mask.size)

    def _plan_in_background(self, effect, settings: dict, before, label_before) -> None:
        live = self.live

        def done(plan, message: str) -> None:
            self.background = None
            self._update_actions()
            if plan is None:
                self.report(f"{effect.title}: {message}")
                return
            self._effect_done(effect, apply_cleanup(live, plan), before, label_before)

        self.background = background_effect.BackgroundEffect(
            self.window, effect.title, lambda progress: effect.plan(live, settings, progress), done)
        self._update_actions()
        self.background.start()

    def _effect_done(self, effect, delta, before, label_before):
        if delta is None:
            self.report(f"{effect.title}: nothing to change")
            return None
        self._label_before = label_before
        self.region_changed(delta.box)
        self._dice_before_stroke = before
        self.commit(delta)
        return delta

    def fill_holes(self) -> None:
        self._run_effect(self.fill_holes_effect)

    def remove_islands(self) -> None:
        self._run_effect(self.remove_islands_effect, self.panel.island_size.value())

    # ============================================ correction tools (issue 10)
    def _build_correction_tools(self) -> None:
        """Interpolate action and button, the editable intensity range, the fill's ask-above limit."""
        effect = self.interpolate_effect
        self.act_interpolate = self._action(effect.title, self.interpolate, (effect.shortcut,), effect.tip)
        self.edit_menu.insertAction(self.act_fill_holes, self.act_interpolate)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.act_interpolate)
        button = QtWidgets.QToolButton()
        button.setDefaultAction(self.act_interpolate)
        button.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)
        self.interpolate_button = button
        self.intensity = IntensityRangeWidget()
        self.panel.add_row("Slices", button)
        self.panel.add_row("Intensity", self.intensity)
        self.panel.add_row("Fill", self.tools["fill"].ask_above)
        levels = getattr(self.window, "window_level", None)
        if levels is not None:
            levels.levelsChanged.connect(lambda lo, hi: self.intensity.set_levels((lo, hi)))
        self.window.sessionChanged.connect(self._correction_session_changed)
        self._correction_session_changed()

    def _correction_session_changed(self) -> None:
        s = self.session
        self.act_interpolate.setEnabled(self.can_edit() and not s.grid.is_2d)
        self.intensity.set_image(s is not None and s.image is not None, tuple(self.window.levels))

    @property
    def intensity_range(self) -> tuple[float, float] | None:
        """The editable intensity range ``(low, high)``, or None when it is off or there is no image."""
        s = self.session
        if s is None or s.image is None:
            return None
        return self.intensity.value()

    def interpolate(self) -> None:
        """Fill the slices between annotated slices of the active label across the focused view (one step)."""
        delta = self._run_effect(self.interpolate_effect)
        if delta is not None:
            self.report(self.interpolate_effect.summary(delta, self.window.plane.name))

    # =============================================================== undo
    def undo(self) -> None:
        if self.background is not None:
            return
        self.finish_stroke()
        self.history.undo()

    def redo(self) -> None:
        if self.background is not None:
            return
        self.finish_stroke()
        self.history.redo()

    def _about_to_apply(self, delta, undo: bool) -> None:
        self._dice_before_apply = self.current_dice()
        self._label_before = self._label_dice(delta.label)

    def _applied(self, delta, undo: bool) -> None:
        self.region_changed(delta.box)
        self._note_labels(delta.old if undo else delta.new)
        word = "undo" if undo else "redo"
        now = self.current_dice()
        dice = None if self._dice_before_apply is None or now is None else now - self._dice_before_apply
        detail = self.change_text(delta, dice, undo=undo, label_before=self._label_before)
        if dice is not None:
            self._last_change = (dice, word, detail)
            self._show_last_change()
        text = describe(delta, None if self.session.grid.is_2d else AXIS_NAMES)
        self.report(f"{word.capitalize()}: {text}: {detail}")

    def _steps_dropped(self, n: int) -> None:
        self.report(self._dropped_text(n))

    def _dropped_text(self, n: int) -> str:
        mb = self.history.memory_limit / (1024 * 1024)
        return f"Undo history limit reached ({mb:g} MB): oldest {n} step{'s' if n != 1 else ''} dropped"

    def _note_labels(self, values) -> None:
        """New labels painted into a label map join the session's labels (colour table size)."""
        s = self.session
        if not s.is_label_map or values.size == 0:
            return
        top = int(values.max())
        if top <= s.max_label:
            return
        new = {int(v) for v in np.unique(values) if v} - set(s.labels)
        s.labels = sorted(set(s.labels) | new)
        self.window._lut_cache = None  # the label colour table must cover the new label
        self.window._redraw_overlay()
        self._fill_panel()  # offer the next new label

    # ====================================================== window events
    def _session_changed(self) -> None:
        self.cancel_stroke()
        s = self.session
        # the case's title as the window set it; update_title adds the save target and Qt's [*] mark
        self._base_title = self.window.windowTitle().replace("[*]", "")
        self.history.reset(s.edits if s is not None else None)
        self.saver.reset()
        self._last_change = None
        self._show_last_change()
        if s is not None:
            self._fill_panel()
        self.window.setWindowModified(False)
        self._update_actions()
        self._settings_changed()

    def _fill_panel(self) -> None:
        s = self.session
        targets = [r for r in ROLES if getattr(s, r) is not None]
        palette = ov.label_palette(max([s.max_label, *s.case.label_names.keys(), 1]) + 2, s.case.label_colors)
        self.panel.set_case(s.labels, s.case.label_names, s.is_label_map, palette, targets)

    def _slice_changed(self, _plane: str, _index: int) -> None:
        self.finish_stroke()  # a stroke lives on one slice
        self._settings_changed()

    def _modified_changed(self, modified: bool) -> None:
        self.window.setWindowModified(modified)
        self._update_actions()

    def _update_actions(self) -> None:
        parts = (self.history.stack, self.panel.fill_holes, self.panel.remove_islands, self.act_undo)
        if not all(shiboken6.isValid(o) for o in parts):  # the window is being destroyed
            return
        editable = self.can_edit()
        for name, act in self.act_tool.items():
            # open case, nothing to edit: the key still answers (choose_tool says why), the tip too
            act.setEnabled(editable or act is self.act_navigate or self.session is not None)
            if name:
                tip = self.tools[name].tip
                act.setToolTip(tip if editable or self.session is None else f"{tip}\n{NOTHING_TO_EDIT}")
        for w in (self.panel.fill_holes, self.panel.remove_islands):
            w.setEnabled(editable)
        self.act_fill_holes.setEnabled(editable)
        self.act_remove_islands.setEnabled(editable)
        stack = self.history.stack
        self.act_undo.setEnabled(stack.canUndo())
        self.act_redo.setEnabled(stack.canRedo())
        self.act_undo.setText(f"Undo {stack.undoText()}" if stack.canUndo() else "Undo")
        self.act_redo.setText(f"Redo {stack.redoText()}" if stack.canRedo() else "Redo")
        self.act_undo.setIconText("Undo")
        self.act_redo.setIconText("Redo")
        self.act_save.setEnabled(self.history.is_modified())
        for role, act in self.act_save_role.items():
            act.setEnabled(self.saver.has_mask(role) and self.history.is_modified(role))
        self.act_save_as.setEnabled(self.session is not None and self.saver.has_mask(self.target))
        self.update_title()
        if not editable and self.session is not None:
            self.panel.setToolTip(NOTHING_TO_EDIT)
        else:
            self.panel.setToolTip("")

    def _settings_changed(self) -> None:
        """Brush outline, radius text and the view's tool caption follow the settings."""
        view = self.window.view
        tool = self.tool
        if self.session is None:
            view.set_tool_caption(None)
            self.cursor.move_to(None)
            return
        mm = self.radius_mm()
        text = f"= {mm:.1f} mm"
        if self.panel.sphere.isChecked() and not self.session.grid.is_2d:
            reach = int(math.floor(mm / self.spacing[self.axis] + 1e-9))
            text += f", ±{reach} slice{'s' if reach != 1 else ''}"
        self.panel.set_radius_text(text)
        self.panel.sphere.setEnabled(not self.session.grid.is_2d)
        self.cursor.set_shape(self.radius, view.pixel_mm, erase=tool is not None and tool.name == "eraser")
        if tool is not None and tool.shows_brush and self._hover is not None:
            self.hover(self._hover)
        elif tool is None or not tool.shows_brush:
            self.cursor.move_to(None)
        self.act_save_as.setEnabled(self.saver.has_mask(self.target))
        if tool is None:
            view.set_tool_caption(None)
            return
        if not self.can_edit():
            view.set_tool_caption(f"{tool.title}: open a mask or start a new segmentation to edit", "#ffffff")
            return
        label = self.label
        name = self.session.label_name(label) if self.session.is_label_map else ""
        parts = [tool.title]
        if tool.shows_brush:
            parts.append(f"r {self.radius} ({mm:.1f} mm){' 3-D' if self.sphere else ''}")
        parts.append(f"→ {TARGET_TITLES[self.target]}")
        if self.session.is_label_map:
            parts.append(f"label {label} {name}".rstrip())
        view.set_tool_caption("  ·  ".join(parts), TARGET_COLORS[self.target])

    # ============================================================ saving
    def update_title(self) -> None:
        """Window title: the case, the files its masks will be saved to, Qt's unsaved-edits mark."""
        base = getattr(self, "_base_title", None)
        if self.session is None or base is None:
            return
        where = self.saver.title_suffix()
        title = f"{base} — {where}[*]" if where else f"{base}[*]"
        if self.window.windowTitle() != title:
            self.window.setWindowTitle(title)

    def save_modified(self) -> bool:
        return self.saver.save_modified()

    def confirm_discard(self, action: str = "continue") -> bool:
        """Ask about unsaved edits before they would be lost; True when it is fine to go on.

        Save writes every modified mask (stays put when a save fails or is
        cancelled), Discard goes on without saving, Cancel stays.
        """
        self.finish_stroke()
        if not self.history.is_modified():
            return True
        roles = [r for r in ROLES if self.history.is_modified(r)]
        words = " and the ".join(MASK_WORDS[r] for r in roles)
        box = QtWidgets.QMessageBox
        buttons = box.StandardButton.Save | box.StandardButton.Discard | box.StandardButton.Cancel
        answer = box.question(
            self.window, "Unsaved edits",
            f"The {words} {'have' if len(roles) > 1 else 'has'} unsaved edits.\n"
            f"Save them before you {action}?", buttons, box.StandardButton.Save)
        if answer == box.StandardButton.Save:
            return self.saver.save_modified()
        # Discard: go on; the edits are dropped when the next case replaces this one
        # (and stay, still marked unsaved, if opening it fails).
        return answer == box.StandardButton.Discard
