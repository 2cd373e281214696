"""What a dab updates piecewise equals what a full recompute shows (issue 14).

A dab rewrites only the overlay codes of its rectangle, moves the slice's
mismatch count by that rectangle's change, rewrites only the per-label rows
of the labels it changed (sorted once the stroke ends) and leaves the
overlay codes of other slices in a cache that the edit clears. After random
strokes of two labels over each other, erasing and undo, every one of those
must equal the same thing computed from the arrays from scratch with NumPy.
"""
from __future__ import annotations

import numpy as np

from dicegui.core import overlay as ov
from dicegui.gui.overlay_panel import KIND_CONFUSION


def _numpy_mismatch(ui) -> int:
    g, p = ui.screen_slice("gt"), ui.screen_slice("pred")
    return int(np.count_nonzero((g != 0) & (p != 0) & (g != p)))


def _numpy_rows(window) -> list[tuple[int, str]]:
    """(label, Dice text) of every label in either mask, worst Dice first, from the whole volumes."""
    g, p = np.asarray(window.session.gt), np.asarray(window.session.pred)
    rows = []
    for label in sorted((set(np.unique(g)) | set(np.unique(p))) - {0}):
        a, b = g == label, p == label
        dice = 2.0 * np.count_nonzero(a & b) / (np.count_nonzero(a) + np.count_nonzero(b))
        rows.append((int(label), dice))
    rows.sort(key=lambda r: r[1])
    return [(label, f"{dice:.4f}") for label, dice in rows]


def _check(window, ui) -> None:
    g, p = ui.screen_slice("gt"), ui.screen_slice("pred")
    full = ov.confusion_codes(g, p, label_maps=True)
    np.testing.assert_array_equal(window.view.overlay_item.codes, full)
    assert window.overlay_panel.count_labels["mismatch/slice"].text() == f"{_numpy_mismatch(ui):,}"
    shown = [(label, dice) for label, _name, dice in window.scores.per_label_rows()]
    expected = _numpy_rows(window)
    assert sorted(shown) == sorted(expected)
    # ties keep any order: compare the Dice column as read down the table
    assert [d for _, d in shown] == [d for _, d in expected]


def test_random_strokes_and_undo_match_a_full_recompute(label_window, ui):
    window = label_window
    ed = window.editor
    window.overlay_panel.set_kind(KIND_CONFUSION)
    window.overlay_panel.select_label(None)  # foreground: mismatching labels get their own code
    ed.panel.set_target("pred")
    ed.panel.protect.setChecked(False)  # labels paint over each other: mismatches come and go
    ed.panel.pin.setChecked(True)
    ed.panel.radius.setValue(2)
    rows, cols = window.view.image_shape
    rng = np.random.default_rng(14)
    _check(window, ui)
    for stroke in range(8):
        ed.set_tool("eraser" if stroke % 4 == 3 else "brush")
        ed.panel.set_label(1 + stroke % 2)
        start = (int(rng.integers(8, rows - 8)), int(rng.integers(8, cols - 8)))
        pixels = [start] + [(start[0] + int(rng.integers(-6, 7)), start[1] + int(rng.integers(-6, 7)))
                            for _ in range(4)]
        ui.drag(pixels)
        _check(window, ui)
    assert window.overlay_panel.count_labels["mismatch/slice"].text() != "0"  # the strokes made some
    for _ in range(3):
        ed.undo()
        _check(window, ui)


def test_a_slice_seen_before_an_edit_is_recomputed_after_it(label_window, ui):
    window = label_window
    ed = window.editor
    window.overlay_panel.set_kind(KIND_CONFUSION)
    window.overlay_panel.select_label(None)
    here = window.index
    window.set_slice(here + 1)
    window.set_slice(here)  # both slices' codes are now cached
    assert len(window.views.codes_cache) >= 2
    ed.panel.set_target("pred")
    ed.panel.protect.setChecked(False)
    ed.panel.pin.setChecked(True)
    ed.panel.sphere.setChecked(True)  # a 3-D brush also changes the neighbouring slices
    ed.panel.radius.setValue(4)
    ed.panel.set_label(2)
    ed.set_tool("brush")
    rows, cols = window.view.image_shape
    ui.drag([(rows // 2, cols // 3), (rows // 2, cols // 2)])
    window.set_slice(here + 1)
    _check(window, ui)
    window.set_slice(here)
    _check(window, ui)
    ed.undo()
    window.set_slice(here + 1)
    _check(window, ui)
