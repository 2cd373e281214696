"""Can Qt start here? The display and the system libraries of Qt's platform plugins, checked without Qt.

On a bare Linux desktop ``dicegui`` used to abort (exit 134) with Qt's own
message that ``xcb-cursor0`` was needed, when the real causes were other
missing xcb libraries; in a terminal without a display it aborted the same
way. Here the plugin's shared-library dependencies are read with ``ldd``
(a missing one is named with the Debian/Ubuntu package that provides it),
and the display is checked from the environment, before Qt is imported.
``dicegui doctor`` prints the whole report; the window's start-up uses
:func:`start_problem` to exit 2 with one line instead of aborting.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

#: Shared library (soname) -> Debian/Ubuntu package providing it.
PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
}

#: What a desktop needs for the window (xcb) and for headless rendering (offscreen), as one apt line.
DESKTOP_PACKAGES = ("libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libxcb-cursor0 libxcb-icccm4 "
                    "libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xinerama0 libxcb-xkb1 "
                    "libxcb-shape0 libxkbcommon-x11-0").split()

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)

HEADLESS_HINT = ("to work without a window use 'dicegui --screenshot out.png' (renders offscreen) or "
                 "'dicegui score', or start under a virtual display: xvfb-run dicegui")


def apt_line(packages) -> str:
    """The one command that installs ``packages`` on Debian/Ubuntu."""
    return "sudo apt-get install " + " ".join(dict.fromkeys(packages))


def missing_from_ldd(text: str) -> list[str]:
    """Sonames that ``ldd`` output reports as "not found", in order, each once."""
    return list(dict.fromkeys(_NOT_FOUND.findall(text)))


def package_of(soname: str) -> str:
    """The Debian/Ubuntu package of a shared library, or a phrase saying which library to look for."""
    return PACKAGES.get(soname, f"(the package that provides {soname})")


def plugin_path(name: str) -> Path | None:
    """Where Qt's platform plugin ``name`` (``xcb``, ``offscreen``…) of the installed PySide6 is, if found."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "Qt" / "plugins" / "platforms" / f"libq{name}.so"
    return path if path.is_file() else None


def missing_libraries(plugin: Path) -> list[str] | None:
    """Sonames the plugin needs that the system lacks; None when ``ldd`` is not available to tell."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    try:
        out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return missing_from_ldd(out.stdout + out.stderr)


def chosen_platform(environ=None) -> str:
    """The Qt platform plugin Qt will load: ``QT_QPA_PLATFORM`` or, on Linux, xcb/wayland by the display."""
    environ = os.environ if environ is None else environ
    forced = environ.get("QT_QPA_PLATFORM", "").split(":")[0].strip()
    if forced:
        return forced
    if environ.get("WAYLAND_DISPLAY") and not environ.get("DISPLAY"):
        return "wayland"
    return "xcb"


def display_problem(environ=None, platform: str | None = None) -> str | None:
    """One sentence when a Linux window cannot open for lack of a display, else None."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return f"there is no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set); {HEADLESS_HINT}"


def start_problem(environ=None) -> str | None:
    """Why the window cannot start here (no display, or the platform plugin's missing libraries), else None.

    Checks only what is cheap and certain: the environment, and on Linux
    the xcb plugin's libraries when that plugin is the one Qt will load.
    """
    environ = os.environ if environ is None else environ
    problem = display_problem(environ)
    if problem is not None or not sys.platform.startswith("linux"):
        return problem
    name = chosen_platform(environ)
    if name not in ("xcb", "offscreen"):
        return None
    plugin = plugin_path(name)
    missing = missing_libraries(plugin) if plugin is not None else None
    if not missing:
        return None
    return (f"Qt's {name} platform cannot load: missing {', '.join(missing)}; install with: "
            f"{apt_line(package_of(m) for m in missing)} (or run 'dicegui doctor')")


def _pyside_version() -> str | None:
    # the wheel is PySide6 or, as dicegui pins it, PySide6-Essentials
    for dist in ("PySide6", "PySide6-Essentials"):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def doctor(stdout=None, environ=None) -> int:
    """Print what the window needs and what this machine has; 0 when a window (or offscreen) can start.

    Returns
    -------
    int
        0 all found; 1 something is missing (the report says what and the
        apt-get line that installs it).
    """
    out = sys.stdout if stdout is None else stdout
    environ = os.environ if environ is None else environ
    qt = _pyside_version()
    out.write(f"Python {sys.version.split()[0]} on {sys.platform}\n")
    out.write(f"PySide6 {qt}\n" if qt else "PySide6: not installed (pip install dicegui installs it)\n")
    ok = qt is not None
    need = []
    if sys.platform.startswith("linux") and qt:
        for name in ("xcb", "offscreen"):
            plugin = plugin_path(name)
            missing = missing_libraries(plugin) if plugin is not None else None
            if plugin is None:
                out.write(f"Qt {name} plugin: not found in the PySide6 installation\n")
                ok = False
            elif missing is None:
                out.write(f"Qt {name} plugin: cannot check its libraries (no ldd here)\n")
            elif missing:
                out.write(f"Qt {name} plugin: MISSING {', '.join(missing)}\n")
                need += [package_of(m) for m in missing]
                ok = False
            else:
                out.write(f"Qt {name} plugin: all libraries found\n")
        display = display_problem(environ)
        out.write(f"Display: {display}\n" if display else
                  f"Display: {environ.get('DISPLAY') or environ.get('WAYLAND_DISPLAY') or 'set by QT_QPA_PLATFORM'}\n")
        if need:
            out.write(f"Install what is missing with:\n  {apt_line(need)}\n")
    out.write("The libraries the window needs are here.\n" if ok else "Something is missing (see above).\n")
    return 0 if ok else 1
