"""Rebuild the README screenshots: ``python resources/screenshots/make_screenshots.py``.

* ``navigator.png``: the totalseg demo with the error-region navigator on its first region;
* ``teaching.png``: the probability demo (illustrative map) with the teaching panel;
* ``toy_grid.png``: the toy demo, the seed example in the teaching panel's Toy grid tab;
* ``logits.png``: the "Logits & softmax" tab on the demo CT with an ILLUSTRATIVE
  logit map (the probability demo's blurred spleen, clipped to [0.001, 0.999],
  written as logits log(p / (1 − p))), opened with a sigmoid;
* ``presentation.png``: presentation mode (F5) on the probability demo at a
  projector's 1920 × 1080, overlay outlines on, the teaching panel's formulas
  in large text;
* ``cohort.png``: a small cohort worklist. Its cases are made from the shipped
  demo (one case per structure: full model as reference, fast model as
  prediction), scored with ``dicegui score --surface``, a few of them reviewed.

Runs offscreen; the cohort and the logit map are built in a temporary folder
and removed after. The last two pictures are taken in this process, with
settings kept in that folder, so presentation mode is not remembered in the
user's own settings.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nibabel as nib
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's dicegui, as the `-m dicegui` runs below use from the repository root
PROJECTOR = (1920, 1080)  # presentation mode is laid out for a projector's screen
LOGIT_CLIP = 1e-3  # p of the illustrative map kept in [0.001, 0.999]: finite logits of at most ±6.9
# structures of the demo with a range of agreement between the two models
STRUCTURES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 19, 20, 33, 52, 63, 64, 79)


def run(*args: str) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run([sys.executable, "-m", "dicegui", *args], check=True, env=env)


def build_cohort(folder: Path) -> Path:
    from dicegui.core.demo import DEMO_DIR, DEMO_FILES, label_names
    from dicegui.core.review import Cohort

    names = label_names()
    full = nib.load(str(DEMO_DIR / DEMO_FILES["gt"]))
    fast = nib.load(str(DEMO_DIR / DEMO_FILES["pred"]))
    g, p = np.asarray(full.dataobj), np.asarray(fast.dataobj)
    (folder / "gt").mkdir()
    (folder / "pred").mkdir()
    for k in STRUCTURES:
        name = names[k]
        nib.save(nib.Nifti1Image((g == k).astype(np.uint8), full.affine), str(folder / "gt" / f"{name}.nii.gz"))
        nib.save(nib.Nifti1Image((p == k).astype(np.uint8), fast.affine), str(folder / "pred" / f"{name}.nii.gz"))
    table = folder / "results.csv"
    subprocess.run([sys.executable, "-m", "dicegui", "score", "--gt-dir", str(folder / "gt"),
                    "--pred-dir", str(folder / "pred"), "--out", str(table), "--surface", "--workers", "2",
                    "--no-progress"], check=True, stdout=subprocess.DEVNULL)
    cohort = Cohort.from_csv(table)
    worst = cohort.order
    cohort.set_review(worst[0], "corrected", "tail missed on 3 slices; painted in")
    cohort.set_review(worst[1], "rejected", "leaks into the canal; re-run the model")
    cohort.set_review(worst[-1], "approved")
    return table


def shrink(png: Path) -> None:
    """256-colour palette PNG: about a third of the bytes, text still crisp (Pillow comes with scikit-image)."""
    from PIL import Image

    with Image.open(png) as im:
        small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    small.save(png, optimize=True)


def build_logit_case(folder: Path) -> dict:
    """Paths of the demo CT, the full model's spleen and an ILLUSTRATIVE logit map of the fast model's spleen.

    The map is made as the probability demo's (the same blur), then turned
    into logits: what a network's last layer gives before its sigmoid.
    """
    from dicegui.core.demo import DEMO_DIR, DEMO_FILES, PROB_LABEL, PROB_SIGMA_MM
    from dicegui.core.teaching import illustrative_probability_map

    full = nib.load(str(DEMO_DIR / DEMO_FILES["gt"]))
    fast = nib.load(str(DEMO_DIR / DEMO_FILES["pred"]))
    spacing = tuple(float(z) for z in full.header.get_zooms()[:3])
    prob = illustrative_probability_map(np.asarray(fast.dataobj), spacing, PROB_SIGMA_MM, label=PROB_LABEL)
    prob = np.clip(prob.astype(np.float64), LOGIT_CLIP, 1 - LOGIT_CLIP)
    logits = np.log(prob / (1 - prob)).astype(np.float32)
    gt = (np.asarray(full.dataobj) == PROB_LABEL).astype(np.uint8)
    paths = {"image": DEMO_DIR / DEMO_FILES["image"], "gt": folder / "spleen_reference.nii.gz",
             "pred": folder / "spleen_logits_illustrative.nii.gz"}
    nib.save(nib.Nifti1Image(gt, full.affine), str(paths["gt"]))
    nib.save(nib.Nifti1Image(logits, fast.affine), str(paths["pred"]))
    return paths


def _grab(app, window, path: Path, size=(1600, 1000)) -> None:
    window.resize(*size)
    window.show()
    app.processEvents()
    window.wait_for_workers()
    window.qa.wait()
    app.processEvents()
    if not window.grab().save(str(path), "PNG"):
        raise OSError(f"{path}: could not write the screenshot")
    print(f"screenshot saved to {path}")


def _structure_slice(window) -> None:
    """Show the axial slice where the reference has the most voxels (where the lesson is)."""
    window.set_plane("axial")
    session, plane = window.session, window.plane
    areas = [np.count_nonzero(session.planes_of(plane, k)[1]) for k in range(session.n_slices(plane))]
    window.set_slice(int(np.argmax(areas)))


def window_shots(folder: Path) -> tuple[str, ...]:
    """``logits.png`` and ``presentation.png``, taken from a window in this process."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from dicegui.gui import settings

    settings.use_folder(folder / "settings")
    from PySide6 import QtWidgets

    from dicegui.gui.main_window import MainWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["dicegui"])
    window = MainWindow()
    window.dialogs_enabled = False
    if not window.open_paths(build_logit_case(folder), remember=False, read={"sigmoid": True}):
        raise RuntimeError("the illustrative logit map did not open")
    _structure_slice(window)
    window.qa.show_panel("teaching")
    teaching = window.qa.teaching
    teaching.tabs.setCurrentWidget(teaching.activation)
    _grab(app, window, HERE / "logits.png")
    window.close()

    window = MainWindow()
    window.dialogs_enabled = False
    window.open_demo("probability")
    _structure_slice(window)
    window.overlay_panel.mode_outline.setChecked(True)
    window.qa.show_panel("teaching")
    window.resize(*PROJECTOR)  # the docks widen to their text in the window's width: size it first
    window.show()
    app.processEvents()
    window.presentation.set_on(True)
    _grab(app, window, HERE / "presentation.png", PROJECTOR)
    window.presentation.set_on(False)
    window.close()
    return "logits.png", "presentation.png"


def main() -> None:
    shots = {
        "navigator.png": ("--demo", "totalseg", "--panel", "navigator"),
        "teaching.png": ("--demo", "probability", "--panel", "teaching"),
        "toy_grid.png": ("--demo", "toy"),
    }
    for name, args in shots.items():
        run(*args, "--screenshot", str(HERE / name))
    with tempfile.TemporaryDirectory() as tmp:
        table = build_cohort(Path(tmp))
        run("--cohort", str(table), "--panel", "cohort", "--screenshot", str(HERE / "cohort.png"))
    with tempfile.TemporaryDirectory() as tmp:
        taken = window_shots(Path(tmp))
    for name in (*shots, "cohort.png", *taken):
        shrink(HERE / name)


if __name__ == "__main__":
    main()
