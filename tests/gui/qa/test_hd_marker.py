"""HD95 marker: the pair drawn on the slice realises the HD95 of the masks, measured independently."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from dicegui.core.display import voxel_to_plane
from dicegui.gui.qa.view_tools import view_centre_pixel

medpy_binary = pytest.importorskip("medpy.metric.binary")


def test_marker_shows_the_hd95_pair_with_its_length(window):
    assert window.open_demo("totalseg")
    qa = window.qa
    window.overlay_panel.select_label(1)  # spleen
    qa.show_panel("navigator")
    marker = qa.hd_marker
    marker.show_box.setChecked(True)
    qa.wait()
    s = window.session
    g, p = s.gt == 1, s.pred == 1
    spacing = s.grid.spacing
    pair = marker.pair
    assert pair is not None
    # HD95 = the larger of the two directed 95th percentiles of border-to-border distances,
    # measured here with scipy's exact Euclidean distance transform
    border = lambda m: m & ~ndimage.binary_erosion(m, structure=ndimage.generate_binary_structure(3, 1))
    dt_p = ndimage.distance_transform_edt(~border(p), sampling=spacing)
    dt_g = ndimage.distance_transform_edt(~border(g), sampling=spacing)
    d_gp = dt_p[border(g)]
    d_pg = dt_g[border(p)]
    hd95 = max(np.percentile(d_gp, 95), np.percentile(d_pg, 95))
    assert pair.value == pytest.approx(hd95, abs=1e-9)
    # the two voxels lie on the borders and are that far apart (the segment drawn)
    src, tgt = np.array(pair.source), np.array(pair.target)
    first, second = (g, p) if pair.direction == "gt->pred" else (p, g)
    assert border(first)[tuple(src)] and border(second)[tuple(tgt)]
    assert pair.distance == pytest.approx(float(np.linalg.norm((src - tgt) * spacing)), abs=1e-9)
    assert pair.distance >= pair.value - 1e-9
    assert f"HD95 = {pair.value:.2f} mm" in marker.status.text()
    # drawn where the voxels are on the current plane
    marker.go_to()
    index, row, col = voxel_to_plane(window.plane, pair.source, s.shape)
    assert window.index == index
    pts = marker.drawn_points()
    row_mm, col_mm = window.view.pixel_mm
    assert pts[0] == pytest.approx(((col + 0.5) * col_mm, (row + 0.5) * row_mm))
    _, row2, col2 = voxel_to_plane(window.plane, pair.target, s.shape)
    r, c = view_centre_pixel(window.view)
    assert r == pytest.approx((row + row2) / 2, abs=0.5) and c == pytest.approx((col + col2) / 2, abs=0.5)
    assert marker.text.isVisible() and f"{pair.value:.1f} mm" in marker.text.toPlainText()
    # HD (maximum) instead: the Hausdorff distance as medpy computes it
    marker.which.setCurrentIndex(1)
    qa.wait()
    assert marker.pair.value == pytest.approx(medpy_binary.hd(p, g, voxelspacing=spacing), abs=1e-9)
    # hidden when unticked
    marker.show_box.setChecked(False)
    assert marker.drawn_points() == []


def test_tied_border_voxels_are_counted_and_stepped_through(window, qtbot, tmp_path, write_nifti):
    from PySide6.QtCore import Qt

    # the hand-worked shifted cube of tests/core/test_surface.py: HD = 3 voxels, 116 reference border
    # voxels tied at it (the face at x=5 and the 4 x 4 centre of the face at x=14)
    gt = np.zeros((24, 20, 20), np.uint8)
    gt[5:15, 5:15, 5:15] = 1
    pred = np.roll(gt, 3, axis=0)
    paths = {"gt": write_nifti(tmp_path / "gt.nii.gz", gt), "pred": write_nifti(tmp_path / "pred.nii.gz", pred)}
    assert window.open_paths(paths, remember=False), window.last_error
    qa = window.qa
    qa.show_panel("navigator")
    marker = qa.hd_marker
    marker.which.setCurrentIndex(1)  # HD (maximum)
    marker.show_box.setChecked(True)
    qa.wait()
    assert marker.tie_count == 116 and len(marker.ties) == 116
    assert marker.tie_label.text() == "1 / 116"
    assert "116 reference border voxels</b> are this far: this is number 1" in marker.status.text()
    face = {(5, y, z) for y in range(5, 15) for z in range(5, 15)}
    buried = {(14, y, z) for y in range(8, 12) for z in range(8, 12)}
    seen = {marker.pair.source}
    for k in range(2, 118):
        qtbot.mouseClick(marker.next_button, Qt.MouseButton.LeftButton)
        assert marker.tie_label.text() == f"{(k - 1) % 116 + 1} / 116"
        seen.add(marker.pair.source)
        assert marker.pair.distance == pytest.approx(3.0)
    assert seen == face | buried
    # each step goes to the voxel: the three views through it
    assert tuple(window.views.state.cursor) == marker.pair.source
    assert marker.tie_label.text() == "1 / 116"  # round the ring once
    qtbot.mouseClick(marker.prev_button, Qt.MouseButton.LeftButton)
    assert marker.tie_label.text() == "116 / 116"
