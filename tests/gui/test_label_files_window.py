"""A label file beside a mask: its names and colours reach the window (scores table, pickers, overlay)."""
from __future__ import annotations

import json

import numpy as np
from PySide6.QtWidgets import QApplication

from dicegui.core.display import PLANES, plane_image


def test_sidecar_names_and_colours_in_the_window(window, tmp_path, write_nifti):
    gt = np.zeros((20, 22, 6), np.uint8)
    gt[4:10, 5:15, 2:4] = 1
    gt[12:18, 5:15, 2:4] = 2
    pred = gt.copy()
    pred[4:6] = 0
    paths = {"gt": write_nifti(tmp_path / "gt.nii.gz", gt), "pred": write_nifti(tmp_path / "pred.nii.gz", pred)}
    (tmp_path / "gt.labels.json").write_text(json.dumps({
        "format": "dicegui-labels", "version": 1,
        "labels": {"1": {"name": "left lobe", "color": [10, 200, 30]}, "2": {"name": "right lobe"}}}))
    assert window.open_paths(paths, remember=False), window.last_error
    names = {row[0]: row[1] for row in window.scores.per_label_rows()}
    assert names[1] == "left lobe" and names[2] == "right lobe"
    combo = window.editor.panel.label
    assert any("left lobe" in combo.itemText(i) for i in range(combo.count()))
    assert tuple(window.label_palette()[1]) == (10, 200, 30)  # the annotator's colour, as in the file
    # the reference's label colours on screen: label 1's pixels use that colour
    window.overlay_panel.set_kind("gt_labels")
    QApplication.processEvents()
    window.set_plane("axial")
    window.set_slice(2)
    view = window.view
    codes = view.overlay_item.codes
    shown = plane_image(window.session.gt, PLANES["axial"], 2)
    lut = window._lut()
    rgb = lut[codes[shown == 1]][:, :3] if lut.ndim == 2 else None
    opacity = window.overlay_panel.current_opacity()
    assert rgb is not None and len(rgb)
    # premultiplied by the overlay's opacity: (10, 200, 30) at 50 % reads (5, 100, 15)
    np.testing.assert_allclose(rgb, np.tile(np.array([10, 200, 30]) * opacity, (len(rgb), 1)), atol=1)
    window.editor.history.mark_discarded()
