"""The shipped demo cases (TotalSegmentator's example CT; see resources/demo/PROVENANCE.md).

Two demos are built from the same three shipped files:

``totalseg``
    The CT with TotalSegmentator's full-model segmentation as the reference
    and its fast-model segmentation as the prediction (41 labelled
    structures). The reference is another model's output, not an expert's.
``accuracy-trap``
    One small real structure (the right adrenal gland of the full model's
    segmentation) as the reference against an all-background prediction,
    built in memory: accuracy about 99.96 %, Dice 0.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .case import Case, MaskInfo
from .volume import Volume



def _find_resources() -> Path:
    """``resources/`` beside the package in a source tree, else the copy a wheel
    installs under ``<prefix>/share/dicegui/resources`` (pyproject's data-files)."""
    import sys

    source_tree = Path(__file__).resolve().parents[2] / "resources"
    installed = Path(sys.prefix) / "share" / "dicegui" / "resources"
    for candidate in (source_tree, installed):
        if (candidate / "demo").is_dir():
            return candidate
    return source_tree


RESOURCES_DIR = _find_resources()
DEMO_DIR = RESOURCES_DIR / "demo"
DEMO_FILES = {
    "image": "example_ct_sm.nii.gz",
    "gt": "example_seg.nii.gz",
    "pred": "example_seg_fast.nii.gz",
}
LABEL_NAMES_FILE = "label_names.json"
TRAP_LABEL = 8  # adrenal_gland_right: small (152 voxels of 369,660) and real
DEFAULT_DEMO = "totalseg"


@dataclass(frozen=True)
class Demo:
    """What a demo is, in words for the window.

    Attributes
    ----------
    name : str
        Command-line name (``--demo NAME``).
    title : str
        Short title for menus and the window title.
    description : str
        One paragraph for the Help menu.
    """

    name: str
    title: str
    description: str


DEMOS = {
    "totalseg": Demo(
        "totalseg",
        "TotalSegmentator example CT: full vs fast model",
        "TotalSegmentator 2.18.0's example abdominal CT (122×101×30 voxels at 3 mm). "
        "Reference: the full model's segmentation; prediction: the fast model's; 41 structures. "
        "The reference is another model's output, not an expert's annotation.",
    ),
    "accuracy-trap": Demo(
        "accuracy-trap",
        "Accuracy trap: a small structure vs an empty prediction",
        "The same CT. Reference: one small real structure (the right adrenal gland, from "
        "TotalSegmentator's full model, not an expert); prediction: empty. Almost every voxel is "
        "background, so accuracy is about 99.96 % while Dice is 0.",
    ),
}


class DemoMissingError(FileNotFoundError):
    """The shipped demo files are not where they should be."""


def demo_paths() -> dict[str, Path]:
    """Paths of the shipped demo files by role (``image``, ``gt``, ``pred``).

    Raises
    ------
    DemoMissingError
        If a file is missing (e.g. an installation without ``resources/``).
    """
    paths = {role: DEMO_DIR / name for role, name in DEMO_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise DemoMissingError(
            f"demo files not found: {', '.join(missing)}; rebuild them with resources/build_demo.py"
        )
    return paths


def label_names() -> dict[int, str]:
    """``{label: name}`` of TotalSegmentator's ``total`` task, from the shipped JSON."""
    doc = json.loads((DEMO_DIR / LABEL_NAMES_FILE).read_text(encoding="utf-8"))
    return {int(k): str(v) for k, v in doc["labels"].items()}


def demo_note(name: str, case: Case | None = None) -> str:
    """The sentence the window shows above a demo, saying what the reference really is."""
    if name == "totalseg":
        return (
            "Demo — reference: TotalSegmentator full model; prediction: TotalSegmentator fast model. "
            "The reference is another model's output, not an expert's annotation: the scores measure "
            "agreement between two models, not correctness."
        )
    if name == "accuracy-trap":
        extra = ""
        if case is not None and case.gt_mask is not None:
            n = int(np.count_nonzero(case.gt_mask))
            extra = f" ({n} voxels, {100.0 * n / case.gt_mask.size:.2f} % of the scan)"
        return (
            f"Demo 'accuracy trap' — reference: the right adrenal gland{extra}, a TotalSegmentator "
            "output, not an expert's; prediction: empty. Accuracy stays near 100 % while Dice is 0, "
            "because accuracy counts the background."
        )
    raise KeyError(name)


def build_demo(name: str = DEFAULT_DEMO) -> Case:
    """Load a demo case.

    Parameters
    ----------
    name : str
        A key of :data:`DEMOS`.

    Returns
    -------
    Case
        With ``label_names`` filled in and a warning line stating the
        reference's nature.

    Raises
    ------
    ValueError
        For an unknown demo name (the message lists the known ones).
    DemoMissingError
        If the shipped files are missing.
    """
    if name not in DEMOS:
        raise ValueError(f"unknown demo {name!r}; choose one of: {', '.join(DEMOS)}")
    from .io import load_case

    paths = demo_paths()
    names = label_names()
    if name == "totalseg":
        case = load_case(image=paths["image"], gt=paths["gt"], pred=paths["pred"])
        case.label_names = names
    else:
        case = load_case(image=paths["image"], gt=paths["gt"])
        _make_accuracy_trap(case, names)
    case.warnings.append(demo_note(name, case))
    return case


def _make_accuracy_trap(case: Case, names: dict[int, str]) -> None:
    """Turn a (CT, full segmentation) case into the accuracy-trap case, in place."""
    labels = case.gt_mask
    if not np.any(labels == TRAP_LABEL):
        raise ValueError(f"{DEMO_FILES['gt']}: label {TRAP_LABEL} ({names.get(TRAP_LABEL)}) is missing")
    gt = (labels == TRAP_LABEL).astype(np.uint8)
    pred = np.zeros_like(gt)
    structure = names.get(TRAP_LABEL, f"label {TRAP_LABEL}")
    source = case.gt
    case.gt = Volume(gt, case.affine.copy(), path=None, source_format=source.source_format,
                     meta={"demo": "accuracy-trap", "from": f"{DEMO_FILES['gt']} label {TRAP_LABEL}"})
    case.pred = Volume(pred, case.affine.copy(), path=None, source_format=source.source_format,
                       meta={"demo": "accuracy-trap", "from": "all background"})
    case.gt_mask, case.pred_mask = gt, pred
    case.gt_info = MaskInfo("binary", f"{DEMO_FILES['gt']}: label {TRAP_LABEL} ({structure}) as a binary mask", (1,))
    case.pred_info = MaskInfo("binary", "all-background prediction (built in memory)", ())
    case.label_names = {1: structure}
