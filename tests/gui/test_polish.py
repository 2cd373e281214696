"""Small things a user reads: the window caption's decimals, 2-D images without a slice slider, pixel units
in the slice caption, the keyboard-shortcut list, and a cohort table none of whose cases can be opened."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6 import QtGui

from dicegui.gui.main_window import KEYBOARD_SHORTCUTS

ROOT = Path(__file__).resolve().parents[2]


def _png(path, rows, cols):
    a = np.zeros((8, 10), np.uint8)
    a[rows[0]:rows[1], cols[0]:cols[1]] = 255
    Image.fromarray(a).save(path)
    return path


def test_window_caption_keeps_decimals_for_a_small_window(window, tmp_path):
    npy = tmp_path / "zscored.npy"  # a z-scored MRI: intensities of a few units around 0
    np.save(npy, np.linspace(-2.0, 2.0, 4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6))
    assert window.open_paths({"image": npy})
    window.window_level.hist.setLevels(-0.7, 0.1)
    # width 0.8, level -0.3: log10(0.8) = -0.097, floor -1, so 2 - (-1) = 3 decimals
    assert window.view.window_caption.text() == "W 0.800  L -0.300"
    window.window_level.hist.setLevels(-1000.0, 1000.0)  # CT-sized window: whole numbers
    assert window.view.window_caption.text() == "W 2000  L 0"


def test_2d_image_hides_the_slice_slider_and_a_volume_brings_it_back(window, tmp_path, write_nifti):
    gt = _png(tmp_path / "gt.png", (2, 6), (2, 7))
    pred = _png(tmp_path / "pred.png", (2, 6), (4, 9))
    assert window.open_paths({"gt": gt, "pred": pred})
    assert window.session.grid.is_2d
    assert window.slider.isHidden() and window.slice_label.isHidden()
    assert window.view.caption.text() == "2-D image"
    vol = np.zeros((6, 7, 5), np.uint8)
    vol[2:4, 2:5, 1:4] = 1
    assert window.open_paths({"gt": write_nifti(tmp_path / "g.nii.gz", vol),
                              "pred": write_nifti(tmp_path / "p.nii.gz", vol)})
    assert window.slider.isVisibleTo(window) and window.slice_label.isVisibleTo(window)
    assert window.slice_label.text() == f"slice {window.index:>4} / 4"


def test_slice_caption_and_scale_bar_use_pixels_without_a_voxel_size(window, tmp_path, write_nifti):
    npy = tmp_path / "volume.npy"
    np.save(npy, np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6))
    units_while_drawing = []
    window.sliceChanged.connect(lambda *_: units_while_drawing.append(window.view.length_unit))
    assert window.open_paths({"image": npy})
    # the first slice is drawn (inside set_session) with the right unit already on the scale bar
    assert units_while_drawing and set(units_while_drawing) == {"px"}
    window.set_plane("axial")
    window.set_slice(3)
    # identity affine, no spacing: axial slice k lies at S = k (in pixels)
    assert window.view.caption.text().endswith("S 3.0 px"), window.view.caption.text()
    affine = np.diag([1.0, 1.0, 2.5, 1.0])
    assert window.open_paths({"image": write_nifti(tmp_path / "v.nii.gz", np.zeros((4, 5, 6), np.float32), affine)})
    window.set_plane("axial")
    window.set_slice(2)
    assert window.view.caption.text().endswith("S 5.0 mm"), window.view.caption.text()  # 2 slices × 2.5 mm


def _bound_keys(window) -> set[str]:
    fmt = QtGui.QKeySequence.SequenceFormat.PortableText
    return {k.toString(fmt) for a in window.actions() for k in a.shortcuts() if not k.isEmpty()}


def test_every_listed_shortcut_is_bound_and_every_bound_one_is_listed(window, message_boxes):
    listed = {k for row in KEYBOARD_SHORTCUTS for k in row.keys}
    bound = _bound_keys(window)
    assert listed - bound == set()  # nothing promised that does not exist
    quit_keys = {k.toString(QtGui.QKeySequence.SequenceFormat.PortableText) for k in window.act_quit.shortcuts()}
    assert bound - listed - quit_keys == set()  # nothing bound that the help leaves out
    # the keys the brief asks for, written out by hand
    for key in ("1", "2", "3", "R", "S", "O", "A", "D", "B", "E", "F", "Esc", "[", "]", "Ctrl+Z", "Ctrl+Shift+Z",
                "Ctrl+Y", "Ctrl+S", "Ctrl+Shift+S", "N", "Shift+N", "Ctrl+Left", "Ctrl+Right", "Alt+N", "Alt+P",
                "Ctrl+Shift+L"):
        assert key in listed, key
    gestures = " ".join(row.gesture for row in KEYBOARD_SHORTCUTS)
    for gesture in ("Wheel", "PgUp", "PgDn", "Home", "End", "Ctrl+wheel", "Shift+wheel"):
        assert gesture in gestures, gesture
    window.act_shortcuts.trigger()
    kind, title, text = message_boxes[-1]
    assert title == "Keyboard shortcuts"
    for row in KEYBOARD_SHORTCUTS:
        assert row.what in text


def test_cohort_none_of_whose_cases_opens_says_why_and_saves_the_worklist(tmp_path):
    import nibabel as nib

    data, table = tmp_path / "data", tmp_path / "table"
    data.mkdir()
    table.mkdir()
    mask = np.zeros((6, 6, 3), np.uint8)
    mask[1:4, 1:4, 1] = 1
    for name in ("g.nii.gz", "p.nii.gz"):
        nib.save(nib.Nifti1Image(mask, np.eye(4)), str(data / name))
    (table / "results.csv").write_text("case,gt,pred,dice\n"
                                       "c1,../data/g.nii.gz,../data/p.nii.gz,1.0\n"
                                       "c2,../data/g.nii.gz,../data/p.nii.gz,0.5\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DICEGUI_SETTINGS_DIR=str(tmp_path / "settings"),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    png = tmp_path / "out.png"
    proc = subprocess.run([sys.executable, "-m", "dicegui", "--cohort", str(table / "results.csv"),
                           "--screenshot", str(png)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    # the table, the worst case first (c2, Dice 0.5) and why it is refused
    assert "results.csv" in lines[0] and "case c2" in lines[0] and "leads outside" in lines[0]
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_screenshot_without_a_display_renders_offscreen(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    env.update(DICEGUI_SETTINGS_DIR=str(tmp_path / "settings"),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    png = tmp_path / "demo.png"
    proc = subprocess.run([sys.executable, "-m", "dicegui", "--demo", "accuracy-trap", "--screenshot", str(png)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr  # not Qt's abort (134) for want of an X server
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
