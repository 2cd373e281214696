"""The 3-D error view: mesh data and colours (everywhere), drawing and picking under Xvfb with Mesa."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from dicegui.core.display import PLANES, voxel_to_plane
from dicegui.core.surface_mesh import default_limit, diverging_colors, error_surface


def test_offscreen_says_why_and_still_computes_the_meshes(views_window, qtbot):
    w = views_window
    ev = w.views.error_view
    assert ev.gl is None and "No OpenGL" in ev.message.text() and "slice views" in ev.message.text()
    assert ev.wait_for_mesh()
    s = w.session
    ref = error_surface(s.gt, s.pred, s.grid.spacing)
    np.testing.assert_array_equal(ev.surface.pred_vertices, ref.pred_vertices)
    np.testing.assert_array_equal(ev.surface.pred_distance_mm, ref.pred_distance_mm)
    np.testing.assert_allclose(ev.colors, diverging_colors(ref.pred_distance_mm,
                                                           default_limit(ref.pred_distance_mm, ref.spacing)))
    assert "all foreground" in ev.caption.text() and "outside (over-segmented)" in ev.legend.text()


def test_edits_rebuild_after_the_hand_rests(views_window, qtbot):
    w = views_window
    ev = w.views.error_view
    ev.timer.setInterval(100)
    assert ev.wait_for_mesh()
    before = len(ev.surface.pred_vertices)
    s = w.session
    # a real stroke: a dab of prediction far from the masks in the axial view
    w.editor.set_tool("brush")
    w.editor.panel.radius.setValue(2)
    w.views.set_cursor((3, 3, 12))
    w.set_plane("axial")
    QApplication.processEvents()
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    _, row, col = voxel_to_plane(PLANES["axial"], (3, 3, 12), s.shape)
    QTest.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     w.view.widget_pos_of(row, col))
    assert "updating" in ev.caption.text()
    with qtbot.waitSignal(ev.meshReady, timeout=20000):
        pass
    assert len(ev.surface.pred_vertices) > before  # the new island has a surface
    ref = error_surface(s.gt, s.pred, s.grid.spacing)
    np.testing.assert_array_equal(ev.surface.pred_distance_mm, ref.pred_distance_mm)


def test_focus_label_and_one_mask(views_window, qtbot, tmp_path, views_case, write_nifti):
    import nibabel as nib

    w = views_window
    ev = w.views.error_view
    gt = np.asarray(nib.load(views_case["gt"]).dataobj).copy()
    pred = np.asarray(nib.load(views_case["pred"]).dataobj).copy()
    gt[:20] *= 2  # two labels: 2 on one half, 1 on the other
    pred[:20] *= 2
    affine = nib.load(views_case["gt"]).affine
    labelled = {"image": views_case["image"], "gt": write_nifti(tmp_path / "gt2.nii.gz", gt, affine),
                "pred": write_nifti(tmp_path / "pred2.nii.gz", pred, affine)}
    assert w.open_paths(labelled, remember=False)
    w.overlay_panel.select_label(2)
    assert w.focus_label == 2
    assert ev.wait_for_mesh()
    s = w.session
    ref = error_surface(s.gt, s.pred, s.grid.spacing, label=2)
    assert ev.surface.label == 2 and "label 2" in ev.caption.text()
    np.testing.assert_array_equal(ev.surface.pred_vertices, ref.pred_vertices)
    w.editor.history.mark_discarded()
    assert w.open_paths({"image": views_case["image"], "pred": views_case["pred"]}, remember=False)
    assert ev.wait_for_mesh()
    assert len(ev.surface.ref_vertices) == 0 and np.all(np.isnan(ev.surface.pred_distance_mm))
    assert "One mask only" in ev.legend.text()


def test_hidden_pane_builds_nothing(views_window):
    w = views_window
    ev = w.views.error_view
    assert ev.wait_for_mesh()
    w.set_layout("1x3")
    QApplication.processEvents()
    generation = ev._generation
    ev.masks_edited()
    ev.rebuild()
    assert ev._generation == generation  # nothing computed for a pane nobody sees
    w.set_layout("2x2")
    QApplication.processEvents()
    assert ev.wait_for_mesh() and ev._generation > generation


def _spheres(shape=(40, 40, 30)):
    i, j, k = np.ogrid[:shape[0], :shape[1], :shape[2]]
    ref = (((i - 20) ** 2 + (j - 20) ** 2 + (k - 15) ** 2) <= 10 ** 2).astype(np.uint8)
    pred = (((i - 23) ** 2 + (j - 20) ** 2 + (k - 15) ** 2) <= 9 ** 2).astype(np.uint8) * 2
    return ref, pred


@pytest.fixture
def error_view(qtbot):
    from dicegui.gui.views.error_view_3d import ErrorView3D

    view = ErrorView3D()
    qtbot.addWidget(view)
    view.resize(400, 400)
    view.show()
    yield view
    view.shutdown()


def test_standalone_view_label_switch_and_missing_masks(error_view, qtbot):
    """The widget alone (as the layout places it): a label map, a label switch, one mask, no mask."""
    ev = error_view
    spacing = (0.9, 1.1, 2.0)
    ref, pred = _spheres()
    labels = ref.copy()
    labels[:, :, :4] = 3  # a slab of label 3 in the reference only
    assert "No OpenGL" in ev.message.text()
    ev.set_case(labels, pred, spacing)
    assert "updating" in ev.caption.text()
    assert ev.wait_for_mesh()
    expected = error_surface(labels, pred, spacing)
    np.testing.assert_array_equal(ev.surface.pred_distance_mm, expected.pred_distance_mm)
    assert "all foreground" in ev.caption.text() and "updating" not in ev.caption.text()
    ev.set_label(3)  # the prediction has no label 3: a shell alone
    assert ev.wait_for_mesh()
    assert ev.surface.label == 3 and len(ev.surface.pred_vertices) == 0 and len(ev.surface.ref_vertices) > 0
    assert "label 3" in ev.caption.text()
    ev.set_label(None)
    ev.set_case(None, pred, spacing)  # prediction only: its surface in one colour, no distances
    assert ev.wait_for_mesh()
    assert len(ev.surface.ref_vertices) == 0 and np.all(np.isnan(ev.surface.pred_distance_mm))
    assert np.all(ev.colors == ev.colors[0]) and "One mask only" in ev.legend.text()
    ev.set_case(ref, None, spacing)  # reference only: the shell
    assert ev.wait_for_mesh()
    assert len(ev.surface.pred_vertices) == 0 and len(ev.surface.ref_vertices) > 0
    ev.set_case(None, None, spacing)
    assert ev.surface is None and "no mask" in ev.caption.text()


def test_colours_are_the_diverging_map_of_the_surface_distances(error_view):
    ev = error_view
    spacing = (1.0, 1.0, 1.0)
    ref, pred = _spheres()
    ev.set_case(ref, pred, spacing)
    assert ev.wait_for_mesh()
    d = ev.surface.pred_distance_mm
    assert d.min() < 0 < d.max()  # shifted and smaller: both signs
    # the limit is the 95th percentile of |d| (numpy, independently), at least one voxel
    limit = max(float(np.percentile(np.abs(d), 95)), 1.0)
    assert ev.limit_mm == pytest.approx(limit)
    np.testing.assert_allclose(ev.colors, diverging_colors(d, limit))
    assert f"{limit:.1f} mm" in ev.legend.text()


def test_edits_are_debounced_into_one_rebuild(error_view, qtbot):
    ev = error_view
    ev.timer.setInterval(150)
    ref, pred = _spheres()
    ev.set_case(ref, pred, (1.0, 1.0, 1.0))
    assert ev.wait_for_mesh()
    generation = ev._generation
    pred[2:6, 2:6, 2:6] = 2  # an island of over-segmentation, written in place as the editor does
    for _ in range(5):  # a burst of dabs
        ev.masks_edited()
        qtbot.wait(20)
    assert ev._generation == generation and "updating" in ev.caption.text()  # nothing started mid-burst
    with qtbot.waitSignal(ev.meshReady, timeout=20000):
        pass
    assert ev._generation == generation + 1  # one rebuild for the whole burst
    island = np.linalg.norm(ev.surface.pred_vertices - 3.5, axis=1) < 4
    assert island.any() and np.all(ev.surface.pred_distance_mm[island] > 0)


def test_a_2d_image_says_there_is_no_surface(error_view):
    ev = error_view
    mask = np.zeros((30, 30, 1), np.uint8)
    mask[5:20, 5:20] = 1
    ev.set_case(mask, mask, (1.0, 1.0, 1.0))
    assert ev.wait_for_mesh()
    assert ev.surface is None and "2-D image" in ev.caption.text()
    ev.masks_edited()
    assert not ev.timer.isActive()


def test_normals_handed_to_pyqtgraph_are_its_own_computed_off_the_gui_thread():
    """pyqtgraph's MeshData loops over vertices in Python (seconds on a big case at the first paint);
    the view hands it normals computed in the worker: the same vectors as pyqtgraph's own loop
    on skimage's triangle winding (the picture before the change)."""
    gl = pytest.importorskip("pyqtgraph.opengl", reason="PyOpenGL not installed")
    from dicegui.core.surface_mesh import mask_mesh, vertex_normals
    from dicegui.gui.views.error_view_3d import _mesh_data

    ref, _ = _spheres()
    verts, faces = mask_mesh(ref, (0.9, 1.1, 2.0))
    given = _mesh_data(verts, faces, vertex_normals(verts, faces)).vertexNormals()
    theirs = gl.MeshData(vertexes=verts, faces=faces[:, ::-1]).vertexNormals()
    np.testing.assert_allclose(given, theirs, atol=1e-5)


_XVFB_SCRIPT = textwrap.dedent('''
    import numpy as np
    from PySide6 import QtCore, QtWidgets
    from PySide6.QtTest import QTest
    app = QtWidgets.QApplication([])
    from dicegui.gui.views.error_view_3d import ErrorView3D
    i, j, k = np.ogrid[:48, :48, :48]
    ref = ((i - 24) ** 2 + (j - 24) ** 2 + (k - 24) ** 2 <= 12 ** 2).astype(np.uint8)
    view = ErrorView3D()
    assert view.gl is not None, view.reason
    view.resize(500, 500)
    view.show()

    def drawn(pred):
        view.set_case(ref, pred.astype(np.uint8), (1.0, 1.0, 1.0))
        assert view.wait_for_mesh()
        for _ in range(5):
            app.processEvents()
        img = view.gl.grabFramebuffer()
        arr = np.array(img.convertToFormat(img.Format.Format_RGBA8888).constBits())
        rgb = arr.reshape(img.height(), img.width(), 4)[..., :3].astype(int)
        return (rgb[..., 0] > rgb[..., 2] + 60).sum(), (rgb[..., 2] > rgb[..., 0] + 60).sum()

    # a prediction larger than the reference is vermillion (outside), a smaller one blue (inside)
    red, blue = drawn((i - 24) ** 2 + (j - 24) ** 2 + (k - 24) ** 2 <= 16 ** 2)
    print("PIXELS larger", red, blue)
    assert red > 500 and blue < red / 20, (red, blue)
    red, blue = drawn((i - 24) ** 2 + (j - 24) ** 2 + (k - 24) ** 2 <= 8 ** 2)
    print("PIXELS smaller", red, blue)
    assert blue > 200 and red < blue / 20, (red, blue)
    pred = ((i - 27) ** 2 + (j - 24) ** 2 + (k - 24) ** 2 <= 12 ** 2).astype(np.uint8)
    spacing = np.array((1.0, 0.8, 1.5))  # anisotropic: mm and voxels differ on every axis
    view.set_case(ref, pred, tuple(spacing))
    assert view.wait_for_mesh()
    for _ in range(5):
        app.processEvents()
    # picking: project the mesh with the view's own matrices, take the front-most vertex near a
    # point off the centre (what the depth test shows there), and click on its pixel with a real
    # mouse click: the cursor must go to a mask voxel beside that vertex
    gl = view.gl
    w, h = gl.width(), gl.height()
    m = gl.projectionMatrix((0, 0, w, h), (0, 0, w, h)) * gl.viewMatrix()
    M = np.array(m.data(), float).reshape(4, 4).T  # QMatrix4x4.data() is column-major
    s = view.surface
    verts = np.concatenate([s.pred_vertices, s.ref_vertices]).astype(float)
    clip = np.c_[verts, np.ones(len(verts))] @ M.T
    ndc = clip[:, :3] / clip[:, 3:]
    px, py = (ndc[:, 0] + 1) / 2 * w, (1 - ndc[:, 1]) / 2 * h
    union = (pred | ref).astype(bool)
    picked = []
    view.voxelPicked.connect(picked.append)
    for fx, fy in ((0.38, 0.42), (0.6, 0.55), (0.5, 0.3)):
        near = np.flatnonzero(np.hypot(px - fx * w, py - fy * h) < 12)
        assert near.size, (fx, fy)
        front = near[np.argmin(ndc[near, 2])]
        v = verts[front]
        pos = QtCore.QPoint(int(round(px[front])), int(round(py[front])))
        QTest.mouseClick(gl, QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier, pos)
        app.processEvents()
        assert picked, ("no pick", fx, fy)
        got = np.array(picked.pop())
        assert union[tuple(got)], ("picked voxel outside both masks", got)
        # beside the vertex: the vertex lies halfway between an inside and an outside voxel centre
        assert np.all(np.abs(got - v / spacing) <= 1.0 + 1e-6), ("picked", got, "vertex", v / spacing)
        print("PICKED", got, "vertex", v / spacing)
    # a drag rotates and never moves the cursor, even when it comes back to where it began
    azimuth = gl.opts["azimuth"]
    QTest.mousePress(gl, QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier, pos)
    for dx in (10, 20, 30):
        QTest.mouseMove(gl, pos + QtCore.QPoint(dx, 0))
    turned = gl.opts["azimuth"]
    for dx in (20, 10, 0):
        QTest.mouseMove(gl, pos + QtCore.QPoint(dx, 0))
    QTest.mouseRelease(gl, QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier, pos)
    app.processEvents()
    assert turned != azimuth and not picked, (azimuth, turned, picked)
    print("DRAGGED", azimuth, turned, gl.opts["azimuth"])
''')


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run not installed: no X server to draw on")
def test_draws_and_picks_under_xvfb(tmp_path):
    pytest.importorskip("OpenGL", reason="PyOpenGL not installed")
    script = tmp_path / "draw3d.py"
    script.write_text(_XVFB_SCRIPT)
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env["QT_QPA_PLATFORM"] = "xcb"
    env["LIBGL_ALWAYS_SOFTWARE"] = "1"  # Mesa's software renderer: the same pixels on any machine
    out = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1024x768x24", sys.executable, str(script)],
                         capture_output=True, text=True, timeout=180, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "PIXELS" in out.stdout and "PICKED" in out.stdout and "DRAGGED" in out.stdout


def test_a_region_group_picked_in_the_overlay_is_meshed_as_its_union(views_window, tmp_path, views_case,
                                                                      write_nifti):
    import nibabel as nib

    from dicegui.gui.region_focus import RegionFocus

    w = views_window
    ev = w.views.error_view
    gt = np.asarray(nib.load(views_case["gt"]).dataobj).copy()
    pred = np.asarray(nib.load(views_case["pred"]).dataobj).copy()
    gt[:20] *= 4  # labels 4 and 1: the region "TC" = 1, 4 is the whole of each mask
    pred[:18] *= 4  # ... with the label boundary two voxels off in the prediction (a swap inside TC)
    affine = nib.load(views_case["gt"]).affine
    labelled = {"image": views_case["image"], "gt": write_nifti(tmp_path / "gt4.nii.gz", gt, affine),
                "pred": write_nifti(tmp_path / "pred4.nii.gz", pred, affine)}
    assert w.open_paths(labelled, remember=False)
    w.structures.regions.set_groups({"TC": (1, 4), "ET": (4,)}, remember=False)
    combo = w.overlay_panel.label
    combo.setCurrentIndex(next(i for i in range(combo.count())
                               if isinstance(combo.itemData(i), RegionFocus) and combo.itemData(i).name == "ET"))
    assert ev.wait_for_mesh()
    s = w.session
    assert "region ET (4)" in ev.caption.text()
    ref = error_surface(s.gt == 4, s.pred == 4, s.grid.spacing)
    np.testing.assert_array_equal(ev.surface.pred_vertices, ref.pred_vertices)
    np.testing.assert_array_equal(ev.surface.pred_distance_mm, ref.pred_distance_mm)
    combo.setCurrentIndex(next(i for i in range(combo.count())
                               if isinstance(combo.itemData(i), RegionFocus) and combo.itemData(i).name == "TC"))
    assert ev.wait_for_mesh()
    assert "region TC (1, 4)" in ev.caption.text()
    union = error_surface(np.isin(s.gt, (1, 4)), np.isin(s.pred, (1, 4)), s.grid.spacing)
    np.testing.assert_array_equal(ev.surface.pred_vertices, union.pred_vertices)
    np.testing.assert_array_equal(ev.surface.pred_distance_mm, union.pred_distance_mm)
    # the union hides the swap: its surface is the foreground's, unlike label 4's alone
    assert len(union.pred_vertices) != len(ref.pred_vertices)
    w.structures.regions.set_groups({}, remember=False)
