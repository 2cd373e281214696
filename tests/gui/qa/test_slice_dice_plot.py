"""Per-slice Dice plot: values equal overlap() of each slice, clicks jump, edits are followed."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from dicegui.core.display import PLANES, plane_image
from dicegui.core.edits import record_edit
from dicegui.core.metrics import overlap
from dicegui.gui.qa.edit_step import push_edit


def _expected(session, plane, label=None):
    """Dice of every slice by overlap() on the slice's own arrays; nan where both masks are empty."""
    out = []
    for i in range(session.n_slices(plane)):
        g, p = plane_image(session.gt, plane, i), plane_image(session.pred, plane, i)
        if label is not None:
            g, p = g == label, p == label
        if not (np.any(g) or np.any(p)):
            out.append(np.nan)
        else:
            out.append(overlap(g, p)["dice"])
    return np.array(out)


def test_plot_values_equal_overlap_of_each_slice(window):
    assert window.open_demo("totalseg")
    qa = window.qa
    qa.wait()
    s = window.session
    axial = PLANES["axial"]
    np.testing.assert_allclose(qa.slice_plot.values, _expected(s, axial), rtol=0, atol=1e-12, equal_nan=True)
    # the current slice is marked
    assert qa.slice_plot.current == window.index and qa.slice_plot.cursor.value() == window.index
    # another plane: the plot follows the slice axis
    window.set_plane("coronal")
    qa.wait()
    coronal = PLANES["coronal"]
    assert qa.slice_plot.values.size == s.n_slices(coronal)
    np.testing.assert_allclose(qa.slice_plot.values, _expected(s, coronal), rtol=0, atol=1e-12, equal_nan=True)
    # one label focused (the liver): that label's Dice per slice
    window.overlay_panel.select_label(5)
    qa.wait()
    np.testing.assert_allclose(qa.slice_plot.values, _expected(s, coronal, label=5), rtol=0, atol=1e-12,
                               equal_nan=True)


def test_clicking_a_point_jumps_to_its_slice(window, qtbot):
    window.open_demo("totalseg")
    qa = window.qa
    qa.wait()
    plot = qa.slice_plot
    target = 3 if window.index != 3 else 4
    assert np.isfinite(plot.values[target])
    qtbot.mouseClick(plot.plot.viewport(), Qt.MouseButton.LeftButton, pos=plot.point_position(target))
    assert window.index == target
    assert plot.current == target
    # a click beside the points (below the curve) goes to the nearest slice too
    other = 20
    pos = plot.point_position(other)
    pos.setY(pos.y() + 40)
    qtbot.mouseClick(plot.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert window.index == other


def test_plot_follows_edits(window):
    window.open_demo("totalseg")
    qa = window.qa
    qa.wait()
    s = window.session
    axial = PLANES["axial"]
    i = window.index
    # erase the prediction on the current slice: that slice's Dice becomes 0 (reference still there)
    idx = [slice(None)] * 3
    idx[axial.axis] = i
    where = np.nonzero(s.pred[tuple(idx)])
    coords = [None] * 3
    rest = [a for a in range(3) if a != axial.axis]
    coords[axial.axis] = np.full(where[0].size, i)
    coords[rest[0]], coords[rest[1]] = where
    delta = record_edit(s.live, "pred", tuple(coords), 0, scope="slice", axis=axial.axis, slice_index=i,
                        tool="erase", label=None)
    push_edit(window, delta, "erase slice")
    qa.wait()
    assert qa.slice_plot.values[i] == 0.0
    np.testing.assert_allclose(qa.slice_plot.values, _expected(s, axial), rtol=0, atol=1e-12, equal_nan=True)
    # undo (the editor's history): the plot is back to the original values
    window.editor.undo()
    qa.wait()
    np.testing.assert_allclose(qa.slice_plot.values, _expected(s, axial), rtol=0, atol=1e-12, equal_nan=True)
    assert qa.slice_plot.values[i] > 0.5
    window.editor.history.mark_discarded()


def test_two_d_image_has_no_per_slice_plot(window, tmp_path):
    from PIL import Image

    a = np.zeros((6, 7), np.uint8)
    a[1:4, 1:4] = 1
    b = np.zeros_like(a)
    b[1:4, 2:5] = 1
    Image.fromarray(a).save(tmp_path / "gt.png")
    Image.fromarray(b).save(tmp_path / "pred.png")
    qa = window.qa
    dock = qa.docks["slice_dice"]
    assert not dock.isHidden()
    assert window.open_paths({"gt": tmp_path / "gt.png", "pred": tmp_path / "pred.png"}, remember=False)
    qa.wait()
    # one slice: no plot with a single point on a meaningless axis, and no way to bring it back
    assert dock.isHidden()
    assert not dock.toggleViewAction().isEnabled()
    assert qa.slice_plot.values.size == 0
    qa.show_panel("slice-dice")
    assert dock.isHidden()
    # a volume again: the plot comes back
    assert window.open_demo("totalseg")
    qa.wait()
    assert not dock.isHidden() and dock.toggleViewAction().isEnabled()
    assert qa.slice_plot.values.size == window.session.n_slices(window.plane)


def _hover(viewport, pos):
    """A mouse move without buttons onto ``pos``, as the pointer makes it."""
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    for p in (QPointF(pos) + QPointF(3, 3), QPointF(pos)):
        QApplication.sendEvent(viewport, QMouseEvent(QEvent.Type.MouseMove, p, viewport.mapToGlobal(p),
                                                     Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                                                     Qt.KeyboardModifier.NoModifier))


def test_plot_is_tall_fits_its_axis_to_the_values_and_hover_shows_the_counts(window, qtbot):
    from PySide6.QtWidgets import QApplication

    from dicegui.gui.qa.slice_dice_plot import MIN_PLOT_HEIGHT

    assert window.open_demo("totalseg")
    qa = window.qa
    qa.show_panel("slice-dice")
    qa.wait()
    plot = qa.slice_plot
    QApplication.processEvents()
    assert plot.plot.height() >= MIN_PLOT_HEIGHT == 160
    s = window.session
    values = plot.values[np.isfinite(plot.values)]
    lo, hi = plot.plot.getPlotItem().vb.viewRange()[1]
    # fitted: every point is inside, with a margin of a tenth of the spread (at least 0.02), within 0 … 1.05
    spread = max(values.max(), plot.volume_dice) - min(values.min(), plot.volume_dice)
    pad = max(0.02, 0.1 * spread)
    assert lo == max(0.0, min(values.min(), plot.volume_dice) - pad)
    assert hi == min(1.05, max(values.max(), plot.volume_dice) + pad)
    qtbot.mouseClick(plot.full_axis, Qt.MouseButton.LeftButton)
    assert tuple(plot.plot.getPlotItem().vb.viewRange()[1]) == (0.0, 1.05)
    qtbot.mouseClick(plot.full_axis, Qt.MouseButton.LeftButton)
    assert plot.plot.getPlotItem().vb.viewRange()[1][0] == lo

    # hovering over a point shows the slice's Dice and its counts, as numpy counts them
    i = int(np.flatnonzero(np.isfinite(plot.values))[len(values) // 2])
    _hover(plot.plot.viewport(), plot.point_position(i))
    vb = plot.plot.getPlotItem().vb  # pyqtgraph puts a scatter's tip on its view box
    qtbot.waitUntil(lambda: vb.toolTip() != "", timeout=3000)
    g = plane_image(s.gt, PLANES["axial"], i) != 0
    p = plane_image(s.pred, PLANES["axial"], i) != 0
    tp, fp, fn = (int(np.count_nonzero(x)) for x in (g & p, p & ~g, g & ~p))
    assert vb.toolTip() == (f"slice {i}: Dice {2 * tp / (2 * tp + fp + fn):.4f}\n"
                                     f"TP {tp:,} · FP {fp:,} · FN {fn:,} voxels")


def test_a_fitted_axis_keeps_dice_units(window):
    # pyqtgraph rescales a 0.90 … 0.98 axis to "Dice (x0.001)" with ticks 900 … 980 unless told not to
    assert window.open_demo("totalseg")
    window.qa.wait()
    axis = window.qa.slice_plot.plot.getPlotItem().getAxis("left")
    assert axis.labelText == "Dice" and axis.autoSIPrefixScale == 1.0 and "x0.001" not in axis.labelString()
