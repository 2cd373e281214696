"""``dicegui [IMAGE] [--gt GT] [--pred PRED] [--demo NAME] [--cohort CSV | --gt-dir G --pred-dir P]
[--panel NAME] [--screenshot PATH] [--sigmoid | --softmax [AXIS]]``: start the window."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..core.demo import DEFAULT_DEMO, DEMOS

# the panel names of dicegui.gui.qa.wiring, spelled out so --help needs no Qt import
PANELS = ("navigator", "teaching", "cohort", "slice-dice")

SCREENSHOT_SIZE = (1600, 1000)
COHORT_SCREENSHOT_SIZE = (1200, 560)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dicegui",
        description="Look at a scan with its reference and predicted masks: TP/FP/FN overlay and live scores. "
        "With no arguments the shipped demo opens. ('dicegui score --help' scores files without a window.)",
    )
    parser.add_argument("image", nargs="?", type=Path, help="scan (NIfTI, NRRD, DICOM folder, PNG/TIFF, .npy)")
    parser.add_argument("--gt", type=Path, help="reference (ground-truth) mask or label map")
    parser.add_argument("--pred", type=Path, help="predicted mask, label map or probability map")
    parser.add_argument("--demo", choices=list(DEMOS),
                        help=f"open a shipped demo (default when no files: {DEFAULT_DEMO})")
    parser.add_argument("--plane", choices=("axial", "coronal", "sagittal"), help="plane to open on")
    parser.add_argument("--cohort", type=Path, metavar="CSV",
                        help="open the table written by 'dicegui score --out' as a worklist (and its worst case)")
    parser.add_argument("--gt-dir", type=Path, metavar="DIR",
                        help="with --pred-dir: pair, score and open two folders of masks as a worklist")
    parser.add_argument("--pred-dir", type=Path, metavar="DIR", help="folder of predicted masks (with --gt-dir)")
    parser.add_argument("--panel", choices=PANELS,
                        help="bring a panel to the front (with --screenshot the picture shows it; "
                             "cohort: the worklist window)")
    parser.add_argument("--screenshot", type=Path, metavar="PATH",
                        help="render the window after loading, save it as PNG and exit")
    parser.add_argument("--sigmoid", action="store_true",
                        help="read a prediction of logits with a sigmoid (a map of channels: a sigmoid per "
                             "channel) without asking")
    parser.add_argument("--softmax", nargs="?", const="auto", choices=("auto", "first", "last"), default=None,
                        metavar="AXIS",
                        help="read a prediction holding a network's channels (one per class, background first) "
                             "with a softmax across them, without asking; AXIS = first or last says where the "
                             "channels are (default: the end that fits the reference's grid)")
    parser.add_argument("--regions", metavar="SPEC",
                        help="region groups for this run: brats2021, brats2023, \"WT=1,2,4;TC=1,4;ET=4\" or a "
                             "JSON file (View > Region groups sets and remembers them)")
    return parser


def _activation(args) -> dict | None | str:
    """The open_case keywords of ``--sigmoid`` / ``--softmax`` (None: neither; a str: why they cannot be used)."""
    if args.sigmoid and args.softmax is not None:
        return "give either --sigmoid or --softmax, not both"
    if (args.sigmoid or args.softmax is not None) and args.pred is None:
        return "--sigmoid and --softmax read the prediction: give it with --pred"
    if args.softmax is not None:
        return {"channels": "softmax", "channel_axis": {"first": 0, "last": -1}.get(args.softmax)}
    return {"sigmoid": True} if args.sigmoid else None


def _quiet_qt_messages(mode, context, message) -> None:
    # The offscreen platform (CI, --screenshot) warns about window-manager
    # features it lacks (size hints, raising a window); that says nothing to a user.
    if "propagateSizeHints" in message or "does not support raise()" in message:
        return
    sys.stderr.write(message + "\n")


def _headless_screenshot_platform() -> None:
    """A screenshot needs no screen: with no X11/Wayland display, render offscreen.

    Otherwise Qt aborts (exit 134) failing to load the xcb plugin, e.g. in CI or over ssh.
    """
    if (sys.platform.startswith("linux") and "QT_QPA_PLATFORM" not in os.environ
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


def _application():
    from PySide6 import QtCore, QtWidgets

    from . import settings

    settings.configure_from_environment()
    app = QtWidgets.QApplication.instance()
    if app is None:  # we own the application (not embedded, not under pytest-qt)
        QtCore.qInstallMessageHandler(_quiet_qt_messages)
        app = QtWidgets.QApplication([sys.argv[0] if sys.argv and sys.argv[0] else "dicegui"])
    app.setOrganizationName(settings.ORGANIZATION)
    app.setApplicationName(settings.APPLICATION)
    app.setApplicationDisplayName("dicegui")
    from .gui_thread_gc import install

    install(app)  # widgets in reference cycles must not be destroyed in a worker thread
    return app


def main(argv: list[str] | None = None) -> int:
    """Run the GUI; return the process exit code.

    0 ok; 2 bad arguments, or unreadable files with --screenshot. A cohort
    table that reads but none of whose cases can be opened is not an error of
    the table: one line on stderr says why, --screenshot saves the worklist
    (each case's problem shown) and the exit code is 0.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help or a usage error: argparse already printed
        return int(exc.code or 0)
    if args.demo and (args.image or args.gt or args.pred):
        print("dicegui: give either --demo or files, not both", file=sys.stderr)
        return 2
    if (args.gt_dir is None) != (args.pred_dir is None):
        print("dicegui: a cohort from folders needs both --gt-dir and --pred-dir", file=sys.stderr)
        return 2
    cohort_given = args.cohort is not None or args.gt_dir is not None
    if cohort_given and (args.demo or args.image or args.gt or args.pred):
        print("dicegui: give either a cohort (--cohort or --gt-dir/--pred-dir) or a case, not both", file=sys.stderr)
        return 2
    if args.cohort is not None and args.gt_dir is not None:
        print("dicegui: give either --cohort or --gt-dir/--pred-dir, not both", file=sys.stderr)
        return 2
    read = _activation(args)
    if isinstance(read, str):
        print(f"dicegui: {read}", file=sys.stderr)
        return 2

    regions = None
    if args.regions is not None:
        from ..core.region_groups import RegionSpecError, parse_regions

        try:
            regions = parse_regions(args.regions)
        except RegionSpecError as exc:
            print(f"dicegui: {exc}", file=sys.stderr)
            return 2

    if args.screenshot is not None:
        _headless_screenshot_platform()
    from ..platform_check import start_problem

    problem = start_problem()  # before Qt, which would abort (exit 134) with a misleading message
    if problem is not None:
        print(f"dicegui: {problem}", file=sys.stderr)
        return 2
    app = _application()
    from PySide6 import QtWidgets

    from .main_window import MainWindow

    window = MainWindow()
    window.dialogs_enabled = args.screenshot is None
    if regions is not None:
        window.structures.regions.set_groups(regions, remember=False)
    worklist = False  # a cohort table is open even if none of its cases is
    if cohort_given:
        worklist, ok = _open_cohort(window, args)
    elif args.image or args.gt or args.pred:
        ok = window.open_paths({"image": args.image, "gt": args.gt, "pred": args.pred}, read=read)
    else:
        ok = window.open_demo(args.demo or DEFAULT_DEMO)
    if ok and args.plane:
        window.set_plane(args.plane)
    if ok and args.panel:
        window.qa.show_panel(args.panel)

    if args.screenshot is not None:
        if worklist and not ok:
            # The table opened and the reason no case did is on stderr: the
            # worklist (with each case's problem) is the useful picture, exit 0.
            return _screenshot(app, window, args.screenshot, "cohort")
        if not ok:
            window.close()
            return 2
        return _screenshot(app, window, args.screenshot, args.panel)
    window.show()
    window.raise_()
    window.recovery.offer_pending()  # a crashed session's edits, before anything else
    if worklist:
        window.qa.cohort.show()  # the worklist in front: it is where the review starts
    if ok and args.panel == "navigator":
        app.processEvents()
        _first_region(window)
    code = app.exec()
    QtWidgets.QApplication.processEvents()
    return int(code)


def _open_cohort(window, args) -> tuple[bool, bool]:
    """Open the worklist of --cohort / --gt-dir --pred-dir and its first (worst) case.

    Returns ``(worklist_open, case_open)``. A table that opens but has no case
    that can be opened is reported on stderr in one line naming the table and
    the first case's problem (the worklist window shows every case's).
    """
    cw = window.qa.cohort.show()
    if args.cohort is not None:
        ok = cw.open_csv(args.cohort)
    else:
        ok = cw.open_dirs(args.gt_dir, args.pred_dir)
        cw.wait()
    if not ok or cw.cohort is None:
        return False, False  # the cohort window already said why
    source = args.cohort if args.cohort is not None else f"{args.gt_dir} and {args.pred_dir}"
    cases = list(cw.cohort)
    first = next((c.name for c in cases if c.openable), None)
    if first is None:
        if not cases:
            why = "the table lists no case"
        else:
            case = cases[0]
            problem = case.problems[0] if case.problems else "no reference or prediction path"
            why = f"none of its {len(cases)} case(s) can be opened; case {case.name}: {problem}"
        print(f"dicegui: {source}: {why}", file=sys.stderr)
        return True, False
    return True, cw.open_case(first)


def _first_region(window) -> None:
    """--panel navigator starts on the region with most Dice to gain (once the view has its size)."""
    window.qa.wait()
    if window.qa.navigator.current is None:
        window.qa.navigator.next()


def _screenshot(app, window, path: Path, panel: str | None = None) -> int:
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    app.processEvents()
    window.wait_for_workers()
    if panel == "navigator":
        _first_region(window)
    window.qa.wait()
    app.processEvents()
    target = window
    if panel == "cohort" and window.qa.cohort.cohort_window is not None:
        target = window.qa.cohort.cohort_window
        target.resize(*COHORT_SCREENSHOT_SIZE)
        target.show()
        app.processEvents()
    pixmap = target.grab()
    window.qa.shutdown()  # closes the worklist window too
    window.close()
    if not pixmap.save(str(path), "PNG"):
        print(f"dicegui: {path}: could not write the screenshot", file=sys.stderr)
        return 2
    print(f"dicegui: screenshot saved to {path}")
    return 0
