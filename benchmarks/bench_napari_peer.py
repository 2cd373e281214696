"""A brush dab in dicegui against napari's Labels painting, both measured in the same run (issue 14).

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_napari_peer.py [--rounds N]``
after ``bash benchmarks/_peers/make_napari_env.sh`` (napari pins a PySide6 that
dicegui's pin excludes, so it lives in a virtual environment of its own under
``benchmarks/_peers/``). Without that environment the benchmark says so and
prints dicegui's figures with no ratio.

Cases, the same arrays on both sides:

* the 41-label demo (``dicegui --demo totalseg``, 122×101×30), radius-10 dabs
  on axial slice 15, painting label 1 and erasing in turn;
* a 4096×4096 2-D binary image, radius-10 dabs (dicegui's hand moves 3
  screen pixels per event, napari's 3 image pixels per dab).

One dicegui dab is a real Qt mouse-move event on the view during a drag,
timed to the end of ``processEvents()``: the mask write, the live scores
and every panel showing them, the overlay of the touched rectangle and the
repaint. One napari dab is ``Labels.paint(coord, label, refresh=True)``.
Under ``QT_QPA_PLATFORM=offscreen`` napari has no OpenGL and draws nothing,
so its times leave out drawing, and napari updates no scores; dicegui's
include both. Rounds alternate between the two programs so both see the
same machine load; medians over all dabs of all rounds.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PEERS = Path(__file__).resolve().parent / "_peers"
NAPARI_PYTHON = PEERS / "napari-venv" / "bin" / "python"
RADIUS = 10
DEMO_SLICE = 15
DEMO_PATH = [(60, c) for c in range(20, 81, 3)]
FLAT_PATH = [(2048, c) for c in range(900, 1201, 3)]


def write_cases(folder: Path) -> dict:
    """The arrays both programs paint, as .npy files, and the napari spec."""
    from dicegui.core.demo import build_demo

    demo = build_demo("totalseg")
    np.save(folder / "demo_pred.npy", np.ascontiguousarray(demo.pred_mask))
    flat_gt = np.zeros((4096, 4096), np.uint8)
    flat_gt[1000:3000, 1000:3000] = 1
    flat_pred = np.roll(flat_gt, 40, axis=1)
    np.save(folder / "flat_gt.npy", flat_gt)
    np.save(folder / "flat_pred.npy", flat_pred)
    return {
        "demo": {"npy": str(folder / "demo_pred.npy"), "label": 1, "radius": RADIUS, "plane": 2,
                 "slice": DEMO_SLICE, "points": DEMO_PATH, "rounds": 4},
        "2-D 4096²": {"npy": str(folder / "flat_pred.npy"), "label": 1, "radius": RADIUS, "plane": 0,
                      "slice": 0, "points": FLAT_PATH, "rounds": 2},
    }


def napari_round(spec_file: Path) -> dict | None:
    """Per-dab seconds of each case from napari's own Python; None (and why) when it cannot run."""
    if not NAPARI_PYTHON.exists():
        return None
    proc = subprocess.run([str(NAPARI_PYTHON), str(PEERS / "napari_paint.py"), str(spec_file)],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    if proc.returncode != 0:
        print("napari failed:", proc.stderr.strip().splitlines()[-1:] or proc.returncode)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _drag_times(window, pixels, rounds: int, screen_step: int | None = None) -> list[float]:
    """Per-move seconds of ``rounds`` drags through ``pixels`` (or from the first, ``screen_step`` px a move).

    On a 4096² image a few image pixels are less than one screen pixel, and
    a move onto the same screen pixel is no move at all: that case moves the
    hand by screen pixels instead, as a person does.
    """
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    vp = window.view.viewport()
    times = []
    for r in range(rounds):
        window.editor.set_tool("brush" if r % 2 == 0 else "eraser")
        QApplication.processEvents()
        points = [window.view.widget_pos_of(row, col) for row, col in pixels]
        if screen_step is not None:
            points = [points[0] + QPoint(k * screen_step, 0) for k in range(len(pixels))]
        QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
        QApplication.processEvents()
        for pt in points[1:]:
            t0 = time.perf_counter()
            QTest.mouseMove(vp, pt)
            QApplication.processEvents()
            times.append(time.perf_counter() - t0)
        QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1])
        QApplication.processEvents()
    return times


def dicegui_round(folder: Path) -> dict:
    """Per-dab seconds of each case in dicegui's window, through mouse events on the view."""
    from PySide6 import QtWidgets

    from dicegui.gui.main_window import MainWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    window = MainWindow()
    window.resize(1600, 1000)
    window.show()
    out = {}
    try:
        assert window.open_demo("totalseg")
        window.runner.cancel()
        window.set_plane("axial")
        window.set_slice(DEMO_SLICE)
        window.editor.panel.set_target("pred")
        window.editor.panel.set_label(1)
        window.editor.panel.radius.setValue(RADIUS)
        app.processEvents()
        before = window.session.pred.copy()
        out["demo"] = _drag_times(window, DEMO_PATH, 1)
        assert np.any(window.session.pred != before), "the demo drag painted nothing"
        out["demo"] += _drag_times(window, DEMO_PATH, 3)
        window.editor.history.mark_discarded()
        assert window.open_paths({"gt": folder / "flat_gt.npy", "pred": folder / "flat_pred.npy"}, remember=False)
        window.runner.cancel()
        window.editor.panel.set_target("pred")
        window.editor.panel.radius.setValue(RADIUS)
        app.processEvents()
        before = window.session.pred.copy()
        out["2-D 4096²"] = _drag_times(window, FLAT_PATH, 1, screen_step=3)
        assert np.any(window.session.pred != before), "the 2-D drag painted nothing"
        out["2-D 4096²"] += _drag_times(window, FLAT_PATH, 1, screen_step=3)
        window.editor.history.mark_discarded()
    finally:
        window.close()
        app.processEvents()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="alternations of the two programs")
    args = ap.parse_args(argv)
    ours: dict[str, list] = {}
    theirs: dict[str, list] = {}
    version = None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spec = write_cases(folder)
        spec_file = folder / "spec.json"
        spec_file.write_text(json.dumps(spec))
        for _ in range(args.rounds):
            got = napari_round(spec_file)
            if got is not None:
                version = got["napari"]
                for name, t in got["cases"].items():
                    theirs.setdefault(name, []).extend(t)
            for name, t in dicegui_round(folder).items():
                ours.setdefault(name, []).extend(t)
    if version is None:
        print(f"napari is not installed at {NAPARI_PYTHON} (bash benchmarks/_peers/make_napari_env.sh): "
              "no napari figures and no ratios")
    else:
        print(f"napari {version} measured in this run ({args.rounds} alternating rounds; napari offscreen draws "
              "nothing and updates no scores, dicegui's dab includes its scores, overlay and repaint)")
    for name in ours:
        mine = statistics.median(ours[name]) * 1e3
        line = f"  {name:10s} dicegui dab {mine:6.2f} ms median ({len(ours[name])} dabs)"
        if name in theirs:
            other = statistics.median(theirs[name]) * 1e3
            line += f" | napari paint+refresh {other:6.2f} ms ({len(theirs[name])} dabs) | ratio {mine / other:.2f}x"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
