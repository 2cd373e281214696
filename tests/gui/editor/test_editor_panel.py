"""The Edit panel and captions: target shown clearly, named labels, new labels, tool keys, menus."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from dicegui.core.metrics import per_label
from dicegui.core.overlay import label_palette


def test_target_switch_is_shown_on_the_panel_and_the_view(edit_window, qtbot):
    w = edit_window
    ed = w.editor
    qtbot.keyClick(w.view, Qt.Key.Key_B)
    ed.panel.target_buttons["gt"].click()
    assert ed.target == "gt" and ed.panel.target_buttons["gt"].isChecked()
    assert not ed.panel.target_buttons["pred"].isChecked()
    caption = w.view.tool_caption
    assert caption.isVisibleTo(w) and "Reference (GT)" in caption.text() and "Brush" in caption.text()
    ed.panel.target_buttons["pred"].click()
    assert ed.target == "pred" and "Prediction" in caption.text()
    # radius in voxels, with mm
    ed.panel.radius.setValue(3)
    mm = 3 * min(w.view.pixel_mm)
    assert f"r 3 ({mm:.1f} mm)" in caption.text()
    assert ed.panel.radius_mm.text().startswith(f"= {mm:.1f} mm")
    # Esc: navigation, no caption, no outline
    qtbot.keyClick(w.view, Qt.Key.Key_Escape)
    assert ed.tool is None and not caption.isVisibleTo(w) and ed.act_navigate.isChecked()


def test_binary_masks_have_one_label_and_no_protection(edit_window):
    p = edit_window.editor.panel
    assert p.label.count() == 1 and p.active_label() == 1 and not p.label.isEnabled()
    assert not p.protect.isEnabled()


def test_label_picker_lists_named_labels_and_new_labels_get_colours(window, label_window, ui):
    w = label_window
    ed = w.editor
    p = ed.panel
    assert [p.label.itemData(i) for i in range(p.label.count())] == [1, 2, 3]
    assert "new label" in p.label.itemText(2)
    p.set_label(3)
    ed.set_tool("brush")
    ed.panel.radius.setValue(2)
    ed.panel.set_target("pred")
    w.set_slice(0)
    ui.click((10, 10))
    assert 3 in w.session.labels
    assert [p.label.itemData(i) for i in range(p.label.count())] == [1, 2, 3, 4]
    assert p.active_label() == 3
    # label colours: the new label is drawn in its palette colour, not clipped to another's
    w.overlay_panel.set_kind("pred_labels")
    item = w.view.overlay_item
    shown = ui.screen_slice("pred") == 3
    assert shown.any()
    lut = item.lut
    assert len(lut) >= 2 * 4
    colours = {tuple(c) for c in item.rgba()[shown & ((item.codes & 1) == 0)]}
    assert colours == {tuple(lut[6])}
    rgb = label_palette(4)[3].astype(int)
    alpha = int(lut[6][3])
    assert tuple(lut[6][:3]) == tuple((rgb * alpha + 127) // 255)
    # the per-label table follows
    rows = {r[0]: r for r in w.scores.per_label_rows()}
    ref = per_label(w.session.case.gt_mask, w.session.case.pred_mask)["labels"][3]
    assert 3 in rows and rows[3][2] == f"{ref['dice']:.4f}"


def test_demo_label_names_in_the_picker(window):
    assert window.open_demo("totalseg")
    window.runner.cancel()
    p = window.editor.panel
    texts = [p.label.itemText(i) for i in range(p.label.count())]
    assert "5  liver" in texts
    names = window.session.case.label_names
    assert len(texts) == len(set(names) | set(window.session.labels)) + 1
    p.set_label(5)
    window.editor.set_tool("fill")
    assert "label 5 liver" in window.view.tool_caption.text()
    window.editor.set_tool(None)


def test_menus_and_toolbar_hold_the_editing_actions(edit_window):
    w = edit_window
    ed = w.editor
    menus = {a.text().replace("&", ""): a.menu() for a in w.menuBar().actions() if a.menu()}
    assert "Edit" in menus
    titles = [a.text() for a in menus["Edit"].actions()]
    assert "Brush" in titles and "Eraser" in titles and "Fill" in titles and "Navigate" in titles
    file_titles = [a.text() for a in menus["File"].actions()]
    assert any("Save edited masks" in t for t in file_titles)
    assert any("Save prediction" in t for t in file_titles)
    assert any("Save reference" in t for t in file_titles)
    assert any("as…" in t for t in file_titles)
    shortcuts = {a.text(): [s.toString() for s in a.shortcuts()] for a in ed.act_tool.values()}
    assert shortcuts["Brush"] == ["B"] and shortcuts["Eraser"] == ["E"] and shortcuts["Fill"] == ["F"]
    assert shortcuts["Navigate"] == ["Esc"]
    assert [s.toString() for s in ed.act_redo.shortcuts()] == ["Ctrl+Shift+Z", "Ctrl+Y"]
    assert ed.history_dock.widget() is ed.undo_view


def test_editing_is_disabled_without_any_mask(window, case_files, qtbot):
    # one mask is enough to edit (issue 10, tests/gui/editor/test_single_mask_editing.py); none is not
    assert window.open_paths({"image": case_files["image"]}, remember=False)
    ed = window.editor
    # B answers with the reason instead of doing nothing silently, and the tool stays Navigate
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_B)
    assert ed.tool is None and ed.act_navigate.isChecked() and not ed.act_tool["brush"].isChecked()
    assert "new segmentation" in window.statusBar().currentMessage()
    assert "new segmentation" in ed.act_tool["brush"].toolTip()
    assert not ed.panel.fill_holes.isEnabled()
    assert "new segmentation" in ed.panel.toolTip()  # the reason is on screen
    image = window.session.image.copy()
    ed.set_tool("brush")  # even if forced, a press does nothing
    assert not ed.press((5, 5), Qt.KeyboardModifier.NoModifier)
    np.testing.assert_array_equal(window.session.image, image)
