"""Error-region navigator: the list, N / Shift+N stepping and centring, fixing a region as an undo step."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from scipy import ndimage

from dicegui.core.display import voxel_to_plane
from dicegui.core.metrics import overlap
from dicegui.gui.qa.view_tools import view_centre_pixel


@pytest.fixture
def demo(window):
    assert window.open_demo("totalseg")
    window.qa.show_panel("navigator")
    window.qa.wait()
    yield window
    window.editor.history.mark_discarded()  # no "unsaved edits" question at teardown


def test_list_matches_an_independent_labelling(demo):
    s = demo.session
    nav = demo.qa.navigator
    fn_mask = (s.gt != 0) & (s.pred == 0)
    fp_mask = (s.pred != 0) & (s.gt == 0)
    face = ndimage.generate_binary_structure(3, 1)
    fn_labels, n_fn = ndimage.label(fn_mask, structure=face)
    _, n_fp = ndimage.label(fp_mask, structure=face)
    kinds = [r.kind for r in nav.regions]
    assert kinds.count("FN") == n_fn and kinds.count("FP") == n_fp
    assert sum(r.voxels for r in nav.regions if r.kind == "FN") == int(fn_mask.sum())
    # the first row is the region with the most Dice to gain: recompute every FN gain by hand
    ov = overlap(s.gt, s.pred)
    tp, fp, fn = ov["tp"], ov["fp"], ov["fn"]
    sizes = np.bincount(fn_labels.ravel())[1:]
    best_fn = max(2 * (tp + n) / (2 * (tp + n) + fp + fn - n) for n in sizes) - ov["dice"]
    assert nav.regions[0].dice_gain >= best_fn - 1e-15
    assert demo.qa.navigator.table.rowCount() == len(nav.regions) == 3868  # all of them: no cap reached
    assert nav.table.item(0, 5).text() == f"+{nav.regions[0].dice_gain:.4f}"


def test_n_and_shift_n_step_through_regions_and_centre_the_view(demo, qtbot):
    nav = demo.qa.navigator
    view = demo.view
    view.setFocus()
    shape = demo.session.shape

    def check_on(i):
        assert nav.current == i
        region = nav.regions[i]
        ijk = region.focus_voxel()
        assert demo.session.gt[ijk] != demo.session.pred[ijk] or region.kind == "FP"
        index, row, col = voxel_to_plane(demo.plane, ijk, shape)
        assert demo.index == index
        r, c = view_centre_pixel(view)
        assert abs(r - row) < 0.5 and abs(c - col) < 0.5
        assert nav.box_item.isVisible()

    qtbot.keyClick(view, Qt.Key.Key_N)
    check_on(0)
    qtbot.keyClick(view, Qt.Key.Key_N)
    check_on(1)
    qtbot.keyClick(view, Qt.Key.Key_N)
    check_on(2)
    qtbot.keyClick(view, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    check_on(1)
    # clicking a row goes there too
    nav.table.cellClicked.emit(5, 0)
    check_on(5)


def test_fixing_a_region_changes_dice_by_the_listed_gain_and_undoes(demo):
    s = demo.session
    nav = demo.qa.navigator
    before_gt, before_pred = s.gt.copy(), s.pred.copy()
    for kind in ("FN", "FP"):
        i = next(k for k, r in enumerate(nav.regions) if r.kind == kind)
        nav.go_to(i)
        region = nav.regions[i]
        listed = float(nav.table.item(i, 5).text())
        dice_before = overlap(s.gt, s.pred)["dice"]
        voxels = region.index()
        assert nav.fix_current()
        after = overlap(s.gt, s.pred)
        assert after["dice"] - dice_before == pytest.approx(region.dice_gain, abs=1e-12)
        assert after["dice"] - dice_before == pytest.approx(listed, abs=5e-5)  # the table's 4 decimals
        # FN: the reference's labels copied into the prediction; FP: erased
        expected = s.gt[voxels] if kind == "FN" else 0
        assert np.all(s.pred[voxels] == expected)
        # the scores panel and the list follow
        assert demo.scores.text("dice") == f"{after['dice']:.4f}"
        assert nav.regions[0].dice_before == pytest.approx(after["dice"], abs=1e-15)
    history = demo.editor.history
    assert history.count == 2 and "region" in history.texts()[-1]
    demo.editor.undo()
    demo.editor.undo()
    np.testing.assert_array_equal(s.pred, before_pred)
    np.testing.assert_array_equal(s.gt, before_gt)
    assert s.live.overlap() == overlap(s.gt, s.pred)


def test_large_volumes_are_listed_in_the_worker(demo):
    nav = demo.qa.navigator
    sync = [(r.kind, r.voxels, r.box) for r in nav.regions]
    nav.sync_limit = 0  # everything goes to the worker thread
    try:
        nav.refresh()
        assert nav.wait()
        assert [(r.kind, r.voxels, r.box) for r in nav.regions] == sync
        # an edit while a listing runs: the old result is dropped and the list redone
        nav.refresh()
        demo.masks_changed()
        assert nav.stale
        assert nav.wait()
        assert not nav.stale and len(nav.regions) == len(sync)
    finally:
        nav.sync_limit = type(nav).sync_limit


def test_label_focus_lists_that_label_only(demo):
    demo.overlay_panel.select_label(8)  # right adrenal gland
    demo.qa.wait()
    s = demo.session
    nav = demo.qa.navigator
    g, p = s.gt == 8, s.pred == 8
    assert sum(r.voxels for r in nav.regions if r.kind == "FN") == int((g & ~p).sum())
    assert sum(r.voxels for r in nav.regions if r.kind == "FP") == int((p & ~g).sum())
    assert "label 8" in nav.summary.text()


def test_slices_column_follows_the_plane(demo):
    nav = demo.qa.navigator
    nav.go_to(0)
    demo.set_plane("coronal")
    first, last = nav.regions[0].slice_range[demo.plane.axis]
    assert nav.table.item(0, 4).text() == (f"{first}" if first == last else f"{first}–{last}")
    assert nav.current == 0 and "coronal slice" in nav.detail.text()


def test_label_swaps_are_listed_and_visited(window, tmp_path, write_nifti):
    """A reference-1 block partly predicted as 2: one swap region, found where numpy finds it."""
    gt = np.zeros((20, 24, 8), np.uint8)
    gt[2:8, 2:10, 2:6] = 1
    gt[10:16, 2:10, 2:6] = 2
    pred = gt.copy()
    pred[2:8, 2:5, 2:6] = 2  # swap
    pred[17:19, 15:18, 3:5] = 2  # FP
    folder = tmp_path / "swap"
    folder.mkdir()
    affine = np.diag([0.8, 1.2, 2.5, 1.0])
    paths = {"gt": write_nifti(folder / "gt.nii.gz", gt, affine),
             "pred": write_nifti(folder / "pred.nii.gz", pred, affine)}
    assert window.open_paths(paths, remember=False), window.last_error
    window.runner.cancel()
    window.qa.show_panel("navigator")
    window.qa.wait()
    nav = window.qa.navigator
    s = window.session
    swapped = (s.gt != 0) & (s.pred != 0) & (s.gt != s.pred)
    components, n = ndimage.label(swapped, structure=ndimage.generate_binary_structure(3, 1))
    assert n == 1
    assert [r.kind for r in nav.regions] == ["FP", "swap"]
    i = 1
    assert nav.table.item(i, 1).text() == "swap" and nav.table.item(i, 2).text() == "72"
    assert nav.table.item(i, 5).text() == "ref 1 → pred 2"
    assert "1 label swaps" in nav.summary.text()
    rect = nav.table.visualItemRect(nav.table.item(i, 0))
    QTest.mouseClick(nav.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    region = nav.regions[i]
    assert region.box == ndimage.find_objects(components)[0]
    ijk = region.focus_voxel()
    assert swapped[ijk]
    index, row, col = voxel_to_plane(window.plane, ijk, s.shape)
    assert window.index == index
    r, c = view_centre_pixel(window.view)
    assert abs(r - row) < 0.5 and abs(c - col) < 0.5
    assert "label swap" in nav.detail.text() and "reference 1 → prediction 2" in nav.detail.text()
    assert nav.fix_button.text() == "Give reference labels"
    QTest.mouseClick(nav.fix_button, Qt.MouseButton.LeftButton)
    assert not ((s.gt != 0) & (s.pred != 0) & (s.gt != s.pred)).any()
    assert np.array_equal(s.pred[swapped], s.gt[swapped])
    assert [r.kind for r in nav.regions] == ["FP"]
    window.editor.undo()
    assert np.array_equal((s.gt != s.pred) & (s.gt != 0) & (s.pred != 0), swapped)
    window.editor.history.mark_discarded()


def test_show_label_swaps_alone_reaches_a_large_swap_behind_one_voxel_specks(window, tmp_path, write_nifti, qtbot):
    """A corrector fixing a swap: the full list puts it after every FP speck; "Show: Label swaps" lists it first."""
    gt = np.zeros((24, 24, 10), np.uint8)
    gt[2:10, 2:12, 2:8] = 1
    gt[12:20, 2:12, 2:8] = 2
    pred = gt.copy()
    pred[2:10, 2:6, 2:8] = 2  # large swap: reference 1 predicted as 2
    pred[12:14, 2:4, 4:6] = 1  # small swap: reference 2 predicted as 1
    specks = [(22, 20, 1), (22, 16, 3), (20, 22, 5), (16, 22, 7), (22, 22, 9)]
    for ijk in specks:  # one-voxel false positives, each a positive (tiny) Dice gain
        pred[ijk] = 2
    folder = tmp_path / "swaps"
    folder.mkdir()
    paths = {"gt": write_nifti(folder / "gt.nii.gz", gt), "pred": write_nifti(folder / "pred.nii.gz", pred)}
    assert window.open_paths(paths, remember=False), window.last_error
    window.runner.cancel()
    window.qa.show_panel("navigator")
    window.qa.wait()
    nav = window.qa.navigator
    s = window.session
    swapped = (s.gt != 0) & (s.pred != 0) & (s.gt != s.pred)
    components, n = ndimage.label(swapped, structure=ndimage.generate_binary_structure(3, 1))
    sizes = sorted(np.bincount(components.ravel())[1:].tolist(), reverse=True)
    assert n == 2 and sizes == [8 * 4 * 6, 2 * 2 * 2]
    # the full list: the five specks first, then the swaps
    assert [r.kind for r in nav.regions] == ["FP"] * len(specks) + ["swap", "swap"]
    # "Show" ▸ Label swaps (the arrow keys are the slice's, so the entry is picked as the other combo tests do)
    combo = nav.kind_filter
    assert combo.itemText(3) == "Label swaps (2)" and combo.itemText(0) == "All kinds (7)"
    combo.setCurrentIndex(combo.findData("swap"))
    assert combo.currentData() == "swap"
    assert [r.voxels for r in nav.regions] == sizes and nav.table.rowCount() == 2
    assert nav.table.item(0, 5).text() == "ref 1 → pred 2"  # reference label first, as the detail line says
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_N)
    big = components == components[nav.regions[0].focus_voxel()]
    assert int(big.sum()) == sizes[0] and nav.current == 0
    assert window.index == voxel_to_plane(window.plane, nav.regions[0].focus_voxel(), s.shape)[0]
    QTest.mouseClick(nav.fix_button, Qt.MouseButton.LeftButton)
    assert np.array_equal(s.pred[big], s.gt[big])
    # still only swaps: the small one is left, and the filter stays on
    assert combo.currentData() == "swap" and [r.voxels for r in nav.regions] == [sizes[1]]
    assert combo.itemText(3) == "Label swaps (1)"
    # the box is as wide as its longest entry (the counts came after it was first shown)
    nav.kind_filter.addItem("All kinds (1,234,567) and more", None)
    widest = combo.fontMetrics().horizontalAdvance(combo.itemText(combo.count() - 1))
    assert combo.sizeHint().width() > widest
    combo.removeItem(combo.count() - 1)
    window.editor.history.mark_discarded()


def test_a_region_group_picked_in_the_overlay_is_named_in_the_navigator_summary(window, tmp_path, write_nifti):
    gt = np.zeros((16, 16, 6), np.uint8)
    gt[2:8, 2:8, 1:5] = 1
    gt[8:14, 2:8, 1:5] = 4
    pred = gt.copy()
    pred[2:8, 2:4, 1:5] = 0
    folder = tmp_path / "wt"
    folder.mkdir()
    paths = {"gt": write_nifti(folder / "gt.nii.gz", gt), "pred": write_nifti(folder / "pred.nii.gz", pred)}
    assert window.open_paths(paths, remember=False), window.last_error
    window.runner.cancel()
    window.structures.regions.set_groups({"TC": (1, 4)}, remember=False)
    window.qa.show_panel("navigator")
    window.qa.wait()
    nav = window.qa.navigator
    assert "(all foreground)" in nav.summary.text()
    combo = window.overlay_panel.label
    combo.setCurrentIndex(combo.count() - 1)  # the last entry: region TC
    assert "region TC" in combo.currentText()
    assert "not region TC alone" in nav.summary.text()
    combo.setCurrentIndex(0)
    assert "(all foreground)" in nav.summary.text()


def test_size_kind_and_connectivity_filters_say_what_they_hide(demo, qtbot):
    from PySide6.QtCore import Qt

    s = demo.session
    nav = demo.qa.navigator
    fn_mask = (s.gt != 0) & (s.pred == 0)
    fp_mask = (s.pred != 0) & (s.gt == 0)

    def sizes(mask, full):
        labels, n = ndimage.label(mask, structure=ndimage.generate_binary_structure(3, 3 if full else 1))
        return np.bincount(labels.ravel())[1:]
    swap_mask = (s.gt != 0) & (s.pred != 0) & (s.gt != s.pred)  # label swaps: listed on the foreground view
    fn6, fp6, sw6 = sizes(fn_mask, False), sizes(fp_mask, False), sizes(swap_mask, False)
    # at least 3 voxels: the rows are the regions of 3 voxels or more, the rest counted in the summary
    nav.min_size.setValue(3)
    every = np.concatenate([fn6, fp6, sw6])
    big, small = int((every >= 3).sum()), int((every < 3).sum())
    assert nav.table.rowCount() == len(nav.regions) == big
    assert all(r.voxels >= 3 for r in nav.regions)
    small_voxels = int(every[every < 3].sum())
    assert f"{small:,} smaller regions hidden ({small_voxels:,} voxels" in nav.summary.text()
    # missed regions only
    nav.kind_filter.setCurrentIndex(1)
    assert nav.table.rowCount() == int((fn6 >= 3).sum())
    assert f"{int((fn6 < 3).sum()):,} smaller regions hidden ({int(fn6[fn6 < 3].sum()):,} voxels" in nav.summary.text()
    # in mL: the demo's voxels are 0.027 mL (3 x 3 x 3 mm), so 0.1 mL means 4 voxels or more
    assert s.size_per_voxel == pytest.approx(0.027)
    nav.size_unit.setCurrentIndex(1)
    assert nav.min_size.value() == pytest.approx(3 * 0.027)  # the same threshold, in mL
    nav.min_size.setValue(0.1)
    assert nav.min_voxels() == 4 and nav.table.rowCount() == int((fn6 >= 4).sum())
    # regions joined by edges and corners too: ndimage's 26-connected count, fewer and larger
    nav.size_unit.setCurrentIndex(0)
    nav.min_size.setValue(1)
    nav.kind_filter.setCurrentIndex(0)
    nav.connectivity.setCurrentIndex(2)
    nav.wait()
    fn26, fp26, sw26 = sizes(fn_mask, True), sizes(fp_mask, True), sizes(swap_mask, True)
    assert nav.table.rowCount() == len(fn26) + len(fp26) + len(sw26) < len(every)
    assert all(r.connectivity == 3 for r in nav.regions)
    assert "hidden" not in nav.summary.text()
    # N steps through what is listed
    nav.connectivity.setCurrentIndex(0)
    nav.wait()
    nav.min_size.setValue(50)
    assert nav.table.rowCount() >= 2
    qtbot.keyClick(demo.view, Qt.Key.Key_N)
    qtbot.keyClick(demo.view, Qt.Key.Key_N)
    assert nav.current == 1 and nav.regions[1].voxels >= 50


def test_a_big_volume_is_listed_only_once_looked_at(window, qtbot):
    # Above sync_limit the listing holds the regions' label images; it waits
    # until the Errors panel comes to the front or N asks for a region.
    nav = window.qa.navigator
    nav.sync_limit = 1000  # the demo counts as big here
    assert window.open_demo("totalseg")
    qtbot.wait(50)
    assert nav.deferred and nav.regions == [] and nav.pool.activeThreadCount() == 0
    assert "listed when this panel is shown" in nav.summary.text()
    s = window.session
    face = ndimage.generate_binary_structure(3, 1)
    n_fn = ndimage.label((s.gt != 0) & (s.pred == 0), structure=face)[1]
    n_fp = ndimage.label((s.pred != 0) & (s.gt == 0), structure=face)[1]
    # N lists in the worker, then takes its step
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: nav.current == 0, timeout=30000)
    kinds = [r.kind for r in nav.regions]
    assert kinds.count("FN") == n_fn and kinds.count("FP") == n_fp and not nav.deferred
    ijk = nav.regions[0].focus_voxel()
    assert window.index == voxel_to_plane(window.plane, ijk, s.shape)[0]
    # another case: deferred again until the panel comes to the front
    window.qa.docks["errors"].hide()
    assert window.open_demo("totalseg")
    qtbot.wait(50)
    assert nav.deferred and nav.regions == []
    window.qa.show_panel("navigator")
    qtbot.waitUntil(lambda: len(nav.regions) == len(kinds), timeout=30000)
    assert nav.current is None  # shown, not stepped
    window.editor.history.mark_discarded()
