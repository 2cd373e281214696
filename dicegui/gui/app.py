"""``dicegui [IMAGE] [--gt GT] [--pred PRED] [--demo NAME] [--screenshot PATH]``: start the window."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.demo import DEFAULT_DEMO, DEMOS

SCREENSHOT_SIZE = (1600, 1000)


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
    parser.add_argument("--screenshot", type=Path, metavar="PATH",
                        help="render the window after loading, save it as PNG and exit")
    return parser


def _quiet_qt_messages(mode, context, message) -> None:
    # The offscreen platform (CI, --screenshot) warns about a window-manager
    # feature it lacks on every top-level window; that says nothing to a user.
    if "propagateSizeHints" in message:
        return
    sys.stderr.write(message + "\n")


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
    return app


def main(argv: list[str] | None = None) -> int:
    """Run the GUI; return the process exit code (0 ok, 2 bad arguments or unreadable files with --screenshot)."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help or a usage error: argparse already printed
        return int(exc.code or 0)
    if args.demo and (args.image or args.gt or args.pred):
        print("dicegui: give either --demo or files, not both", file=sys.stderr)
        return 2

    app = _application()
    from PySide6 import QtWidgets

    from .main_window import MainWindow

    window = MainWindow()
    window.dialogs_enabled = args.screenshot is None
    if args.image or args.gt or args.pred:
        ok = window.open_paths({"image": args.image, "gt": args.gt, "pred": args.pred})
    else:
        ok = window.open_demo(args.demo or DEFAULT_DEMO)
    if ok and args.plane:
        window.set_plane(args.plane)

    if args.screenshot is not None:
        if not ok:
            window.close()
            return 2
        return _screenshot(app, window, args.screenshot)
    window.show()
    window.raise_()
    code = app.exec()
    QtWidgets.QApplication.processEvents()
    return int(code)


def _screenshot(app, window, path: Path) -> int:
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    app.processEvents()
    window.wait_for_workers()
    app.processEvents()
    pixmap = window.grab()
    window.close()
    if not pixmap.save(str(path), "PNG"):
        print(f"dicegui: {path}: could not write the screenshot", file=sys.stderr)
        return 2
    print(f"dicegui: screenshot saved to {path}")
    return 0
