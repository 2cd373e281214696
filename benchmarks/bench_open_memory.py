"""Peak memory of opening a big CT with two masks, against nibabel's floor, in one run.

The case: a 600×512×512 int16 CT and two uint8 masks (a reference and a
prediction that differs from it), written as ``.nii.gz`` to a temporary
folder (never the repository). Each measurement runs in a fresh Python
process and reports its peak resident set size (``VmHWM``), so the
imports of each stage are counted in its own peak:

* floor: the three arrays loaded with nibabel alone (``np.asanyarray(img.dataobj)``);
* core: :func:`dicegui.core.io.load_case` on the same files;
* window: an offscreen ``MainWindow.open_paths`` on the same files, then
  events processed until the background workers (surface distances, 3-D
  mesh) have finished;
* the same with the Errors panel in front, so that the error regions are
  listed too (a big volume lists them only once the panel is looked at);
* empty window: the same window shown with no case, which is what Qt,
  pyqtgraph and our imports cost before any array (not subtracted from
  anything: the target is the whole peak; printed so one can tell how much
  of the window's peak is the case).

The target (issue 14): the window's peak at most 1.25× the floor measured
in the same run, with and without the Errors panel in front. Runs alternate the stages ``--repeats`` times and
the medians are printed; the machine is shared, but memory peaks barely
depend on load.

Run: ``python benchmarks/bench_open_memory.py [--repeats 3] [--shape 600,512,512]``
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

TARGET_RATIO = 1.25

# The peak is the process's own high-water mark (VmHWM, reset when the
# interpreter is exec'd), not ru_maxrss: Linux carries ru_maxrss over from the
# forking parent, so a child smaller than this script (which built the case)
# would report this script's size.
_PEAK = """
def peak_kib():
    with open("/proc/self/status") as f:
        return int(f.read().split("VmHWM:")[1].split()[0])
"""

_FLOOR = """
import sys, numpy as np, nibabel as nib
arrays = [np.asanyarray(nib.load(p).dataobj) for p in sys.argv[1:4]]
print(peak_kib())
"""

_CORE = """
import sys
from dicegui.core.io import load_case
case = load_case(sys.argv[1], sys.argv[2], sys.argv[3])
print(peak_kib())
"""

_EMPTY_WINDOW = """
import os, sys, tempfile
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6 import QtWidgets
from dicegui.gui import settings
settings.use_folder(tempfile.mkdtemp(prefix="dicegui-bench-"))
app = QtWidgets.QApplication([])
from dicegui.gui.main_window import MainWindow
window = MainWindow()
window.resize(1400, 900)
window.show()
for _ in range(20):
    app.processEvents()
print(peak_kib())
"""

_WINDOW = """
import os, sys, tempfile
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6 import QtWidgets
from dicegui.gui import settings
settings.use_folder(tempfile.mkdtemp(prefix="dicegui-bench-"))  # never the user's settings
app = QtWidgets.QApplication([])
from dicegui.gui.main_window import MainWindow
window = MainWindow()
window.resize(1400, 900)
window.show()
if sys.argv[4:] == ["errors"]:  # the Errors panel in front: the error regions are listed too
    window.qa.show_panel("navigator")
app.processEvents()
ok = window.open_paths({"image": sys.argv[1], "gt": sys.argv[2], "pred": sys.argv[3]}, remember=False)
assert ok, "the window did not open the case"
window.wait_for_workers(600000)
window.qa.wait(600000)
for _ in range(20):
    app.processEvents()
print(peak_kib())
"""


def make_case(folder: Path, shape: tuple) -> list:
    """Write image.nii.gz, gt.nii.gz, pred.nii.gz (two overlapping blobs) into ``folder``."""
    import nibabel as nib

    rng = np.random.default_rng(0)
    affine = np.diag([0.8, 0.8, 1.0, 1.0])
    image = rng.integers(-1000, 1500, size=shape, dtype=np.int16)
    paths = [folder / "image.nii.gz", folder / "gt.nii.gz", folder / "pred.nii.gz"]
    nib.save(nib.Nifti1Image(image, affine), str(paths[0]))
    del image
    z, y, x = (np.arange(n, dtype=np.float32) for n in shape)
    for path, shift in zip(paths[1:], (0.0, 0.06)):
        mask = np.zeros(shape, np.uint8)
        for k in range(shape[0]):  # slab by slab: a float volume would dwarf what is measured
            r2 = (((z[k] / shape[0]) - 0.5 - shift) ** 2 + ((y[:, None] / shape[1]) - 0.5) ** 2
                  + ((x[None, :] / shape[2]) - 0.5 + shift) ** 2)
            mask[k] = (r2 < 0.09).astype(np.uint8) + (r2 < 0.02)
        nib.save(nib.Nifti1Image(mask, affine), str(path))
    return [str(p) for p in paths]


def peak_mb(script: str, paths: list, *extra: str) -> float:
    """Peak RSS in MB of ``script`` run in a fresh interpreter with the three paths (and ``extra`` arguments)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", _PEAK + script, *paths, *extra], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"measurement failed:\n{out.stderr[-3000:]}")
    return int(out.stdout.strip().splitlines()[-1]) / 1024.0  # VmHWM is in KiB


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--shape", default="600,512,512", help="z,y,x of the generated CT")
    ap.add_argument("--skip-window", action="store_true", help="measure only the floor and the core")
    a = ap.parse_args()
    shape = tuple(int(v) for v in a.shape.split(","))
    stages = {"nibabel floor": (_FLOOR,), "core load_case": (_CORE,)}
    if not a.skip_window:
        stages["window open + workers"] = (_WINDOW,)
        stages["same, Errors panel shown"] = (_WINDOW, "errors")
        stages["empty window (no case)"] = (_EMPTY_WINDOW,)
    peaks = {k: [] for k in stages}
    with tempfile.TemporaryDirectory(prefix="dicegui-openmem-") as tmp:
        paths = make_case(Path(tmp), shape)
        print(f"case: {'×'.join(map(str, shape))} int16 CT + two uint8 masks (.nii.gz) in {tmp}")
        for _ in range(a.repeats):  # interleaved
            for name, (script, *extra) in stages.items():
                peaks[name].append(peak_mb(script, paths, *extra))
    floor = float(np.median(peaks["nibabel floor"]))
    print(f"peak RSS, median of {a.repeats} fresh processes each (same run):")
    for name, values in peaks.items():
        med = float(np.median(values))
        print(f"  {name:<24} {med:8.0f} MB  ({med / floor:.2f}× the floor)  runs: "
              + ", ".join(f"{v:.0f}" for v in values))
    if a.skip_window:
        return 0
    window = float(np.median(peaks["window open + workers"]))
    empty = float(np.median(peaks["empty window (no case)"]))
    ratio = window / floor
    ok = ratio <= TARGET_RATIO
    print(f"window / nibabel floor: {ratio:.2f}× (target ≤ {TARGET_RATIO}×): {'PASS' if ok else 'FAIL'}")
    listed = float(np.median(peaks["same, Errors panel shown"])) / floor
    listed_ok = listed <= TARGET_RATIO
    print(f"with the error regions listed: {listed:.2f}× the floor (target ≤ {TARGET_RATIO}×): "
          f"{'PASS' if listed_ok else 'FAIL'}")
    print(f"of the window's peak, {empty:.0f} MB is the empty window (Qt, pyqtgraph, imports) "
          f"and {window - empty:.0f} MB the case and its work")
    return 0 if ok and listed_ok else 1


if __name__ == "__main__":
    sys.exit(main())
