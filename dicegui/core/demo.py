"""The shipped demo cases (TotalSegmentator's example CT; see resources/demo/PROVENANCE.md).

Three demos are built from the same three shipped files:

``totalseg``
    The CT with TotalSegmentator's full-model segmentation as the reference
    and its fast-model segmentation as the prediction (41 labelled
    structures). The reference is another model's output, not an expert's.
``accuracy-trap``
    One small real structure (the right adrenal gland of the full model's
    segmentation) as the reference against an all-background prediction,
    built in memory: accuracy about 99.96 %, Dice 0.
``probability``
    The spleen of the full model's segmentation as the reference against an
    ILLUSTRATIVE probability map: the fast model's spleen as 0/1, blurred
    with a Gaussian of :data:`PROB_SIGMA_MM` mm
    (:func:`dicegui.core.teaching.illustrative_probability_map`). No network
    produced these probabilities; the map only has the rough shape of one, so
    that thresholds, soft Dice and loss gradients can be shown on a real scan.
``toy``
    No scan: the lecture's seed example as a 2 × 2 image, probabilities
    0.9, 0.1, 0.8, 0.1 against targets 1, 0, 1, 0
    (:func:`dicegui.core.toy_grid.default_grid`), built in memory
    (:func:`toy_case`); the teaching panel's Toy grid tab works the losses
    out on it by hand and rebuilds the case from its cells when they change.
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
PROB_LABEL = 1  # spleen: mid-sized, so the threshold visibly moves Dice
# Blur of the illustrative map: at 3 mm voxels a 4 mm Gaussian gives a soft
# border a few voxels wide, where the threshold curve has a clear peak.
PROB_SIGMA_MM = 4.0
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
    "probability": Demo(
        "probability",
        "Probability map (illustrative): spleen, threshold and losses",
        "The same CT. Reference: the spleen of TotalSegmentator's full model (not an expert). "
        "Prediction: an ILLUSTRATIVE probability map made by blurring the fast model's spleen "
        f"with a {PROB_SIGMA_MM:g} mm Gaussian; no network produced these probabilities. It is there to "
        "show how the threshold moves Dice and IoU, and what soft Dice, Dice loss, BCE and their "
        "gradients look like.",
    ),
    "toy": Demo(
        "toy",
        "Toy grid: soft Dice and losses on four numbers",
        "No scan: a 2 × 2 grid with prediction probabilities 0.9, 0.1, 0.8, 0.1 against targets 1, 0, 1, 0. "
        "The teaching panel's Toy grid tab writes Σp·t, Σp, Σt, soft Dice, Dice loss, BCE and their "
        "combination with the sums filled in; type other values, or grow the grid to 8 × 8.",
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
    if name == "probability":
        return (
            "Demo 'probability' — ILLUSTRATIVE probability map: the fast model's spleen blurred with a "
            f"{PROB_SIGMA_MM:g} mm Gaussian, not a network's output. Reference: the full model's spleen "
            "(a TotalSegmentator output, not an expert's). The prediction shown is the map thresholded "
            "at 0.5; the teaching panel's slider changes the threshold."
        )
    if name == "toy":
        return ("Demo 'toy' — not a scan: the teaching panel's Toy grid, its probabilities shown as the image "
                "and the prediction (foreground = p \u2265 0.5), its targets as the reference. It opens on the "
                "lecture's seed example, 0.9, 0.1, 0.8, 0.1 against 1, 0, 1, 0; type or drag a cell and the "
                "picture and every score follow. The Toy grid tab works the losses out by hand.")
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
    if name == "toy":
        case = toy_case()
        case.warnings.append(demo_note(name, case))
        return case
    from .io import load_case

    paths = demo_paths()
    names = label_names()
    if name == "totalseg":
        case = load_case(image=paths["image"], gt=paths["gt"], pred=paths["pred"])
        case.label_names = names
    elif name == "probability":
        case = load_case(image=paths["image"], gt=paths["gt"], pred=paths["pred"])
        _make_probability(case, names)
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


def _make_probability(case: Case, names: dict[int, str]) -> None:
    """Turn a (CT, full segmentation, fast segmentation) case into the probability demo, in place."""
    from .teaching import illustrative_probability_map

    structure = names.get(PROB_LABEL, f"label {PROB_LABEL}")
    for role, labels in (("gt", case.gt_mask), ("pred", case.pred_mask)):
        if not np.any(labels == PROB_LABEL):
            raise ValueError(f"{DEMO_FILES[role]}: label {PROB_LABEL} ({structure}) is missing")
    gt = (case.gt_mask == PROB_LABEL).astype(np.uint8)
    prob = illustrative_probability_map(case.pred_mask, case.spacing, PROB_SIGMA_MM, label=PROB_LABEL)
    hard = (prob >= 0.5).view(np.uint8)  # the loader's rule for probability maps
    gt_source, pred_source = case.gt, case.pred
    case.gt = Volume(gt, case.affine.copy(), path=None, source_format=gt_source.source_format,
                     meta={"demo": "probability", "from": f"{DEMO_FILES['gt']} label {PROB_LABEL}"})
    case.pred = Volume(prob, case.affine.copy(), path=None, source_format=pred_source.source_format,
                       meta={"demo": "probability", "illustrative": True,
                             "from": f"{DEMO_FILES['pred']} label {PROB_LABEL}, Gaussian {PROB_SIGMA_MM:g} mm"})
    case.gt_mask, case.pred_mask, case.pred_prob = gt, hard, prob
    case.gt_info = MaskInfo("binary", f"{DEMO_FILES['gt']}: label {PROB_LABEL} ({structure}) as a binary mask",
                            (1,))
    case.pred_info = MaskInfo(
        "probability",
        f"ILLUSTRATIVE probability map: {DEMO_FILES['pred']} label {PROB_LABEL} ({structure}) blurred with a "
        f"{PROB_SIGMA_MM:g} mm Gaussian (foreground = p \u2265 0.5); not a network's output",
        (1,), dtype="float32",
        warning="illustrative probability map (a blurred mask), thresholded at 0.5",
    )
    case.label_names = {1: structure}


def toy_case(grid=None) -> Case:
    """A toy grid as a case of its own: its probabilities as a one-slice image and prediction, its targets as
    the reference (no files).

    Parameters
    ----------
    grid : ToyGrid, optional
        Default: the seed example (:func:`dicegui.core.toy_grid.default_grid`).
        The teaching panel rebuilds the case from its grid whenever a cell
        changes, so the picture and every score agree with the grid.

    Returns
    -------
    Case
        Prediction: the probabilities, hard mask ``p >= 0.5`` (the loader's
        rule for probability maps); reference: ``target >= 0.5`` (soft targets
        are rounded for the overlap counts).
    """
    from .toy_grid import default_grid

    grid = default_grid() if grid is None else grid
    prob = grid.prob.astype(np.float32)[:, :, np.newaxis]
    gt = (grid.target >= 0.5).astype(np.uint8)[:, :, np.newaxis]
    hard = (prob >= 0.5).view(np.uint8)  # the loader's rule for probability maps
    meta = {"demo": "toy"}
    case = Case(
        image=Volume(prob.copy(), np.eye(4), path=None, source_format="npy", is_2d=True, meta=dict(meta)),
        gt=Volume(gt, np.eye(4), path=None, source_format="npy", is_2d=True, meta=dict(meta)),
        pred=Volume(prob, np.eye(4), path=None, source_format="npy", is_2d=True, meta=dict(meta)),
        image_array=prob.copy(), gt_mask=gt, pred_mask=hard, pred_prob=prob,
    )
    rows, cols = grid.shape
    case.gt_info = MaskInfo("binary", f"toy grid targets, {rows} × {cols} (built in memory)", (1,))
    case.pred_info = MaskInfo("probability", f"toy grid probabilities, {rows} × {cols} (foreground = p \u2265 0.5)",
                              (1,), dtype="float32")
    case.label_names = {1: "toy foreground"}
    return case
