"""Rebuild the README screenshots: ``python resources/screenshots/make_screenshots.py``.

* ``navigator.png``: the totalseg demo with the error-region navigator on its first region;
* ``teaching.png``: the probability demo (illustrative map) with the teaching panel;
* ``cohort.png``: a small cohort worklist. Its cases are made from the shipped
  demo (one case per structure: full model as reference, fast model as
  prediction), scored with ``dicegui score --surface``, a few of them reviewed.

Runs offscreen; the cohort is built in a temporary folder and removed after.
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


def main() -> None:
    shots = {
        "navigator.png": ("--demo", "totalseg", "--panel", "navigator"),
        "teaching.png": ("--demo", "probability", "--panel", "teaching"),
    }
    for name, args in shots.items():
        run(*args, "--screenshot", str(HERE / name))
    with tempfile.TemporaryDirectory() as tmp:
        table = build_cohort(Path(tmp))
        run("--cohort", str(table), "--panel", "cohort", "--screenshot", str(HERE / "cohort.png"))
    for name in (*shots, "cohort.png"):
        shrink(HERE / name)


if __name__ == "__main__":
    main()
