"""Crash-safe writes: a temporary file in the target folder, fsync, then rename.

``os.replace`` is atomic on one filesystem, so readers see either the old file
or the complete new one, never half a file; the temporary file lives in the
target's own folder to stay on the same filesystem.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

from .errors import SaveError, file_label, one_line


def _new_file_mode(target: Path) -> int:
    # mkstemp creates 0600 files; give the result the permissions the old
    # file had, or what a plain open() would have given under the umask.
    if target.exists():
        return target.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entry table so a rename or a new file in it survives a crash.

    Parameters
    ----------
    folder : pathlib.Path
        The folder; nothing happens where that is not possible (Windows) or fails.
    """
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_target(path, overwrite: bool) -> Path:
    """Return ``path`` as a Path, refusing an existing file unless ``overwrite``."""
    target = Path(path)
    if target.exists() and not overwrite:
        raise SaveError(f"{file_label(target)}: file exists; pass overwrite=True to replace it")
    if not target.parent.is_dir():
        raise SaveError(f"{file_label(target)}: folder {target.parent} does not exist")
    return target


def atomic_write(path, write: Callable[[BinaryIO], None], *, overwrite: bool = False) -> Path:
    """Write a file through ``write(fileobj)`` so that a crash leaves no partial file.

    Parameters
    ----------
    path : str or Path
        Final location.
    write : callable
        Receives a binary file object opened for writing and writes the whole file.
    overwrite : bool
        Replace an existing file; otherwise an existing file is an error.

    Returns
    -------
    Path
        The written file.
    """
    target = check_target(path, overwrite)
    mode = _new_file_mode(target)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:  # a read-only or full folder fails here, before any byte is written
        raise SaveError(f"{file_label(target)}: cannot write: {one_line(exc)}") from exc
    tmp = Path(tmp_name)
    try:
        os.close(fd)
        # Reopened by name: some writers (tifffile) want a file object with a path name.
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise SaveError(f"{file_label(target)}: cannot write: {one_line(exc)}") from exc
        raise
    fsync_dir(target.parent)
    return target


def atomic_write_dir(path, write: Callable[[Path], None], *, overwrite: bool = False) -> Path:
    """Write a folder of files (a DICOM series) through ``write(tmp_folder)``.

    The folder is built under a temporary name beside the target and renamed
    into place; an existing target folder is swapped out and removed only once
    the new one is in place.
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise SaveError(f"{file_label(target)}: folder exists; pass overwrite=True to replace it")
    if target.exists() and not target.is_dir():
        raise SaveError(f"{file_label(target)}: exists and is not a folder")
    if not target.parent.is_dir():
        raise SaveError(f"{file_label(target)}: folder {target.parent} does not exist")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    except OSError as exc:
        raise SaveError(f"{file_label(target)}: cannot write: {one_line(exc)}") from exc
    old = None
    try:
        write(tmp)
        for child in tmp.iterdir():
            with open(child, "rb+") as fh:
                os.fsync(fh.fileno())
        fsync_dir(tmp)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
            os.rmdir(old)
            os.replace(target, old)
        os.replace(tmp, target)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and old.exists() and not target.exists():
            os.replace(old, target)
        if isinstance(exc, OSError):
            raise SaveError(f"{file_label(target)}: cannot write: {one_line(exc)}") from exc
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    fsync_dir(target.parent)
    return target
