#!/usr/bin/env bash
# Build the one-folder dicegui app with PyInstaller: dist/dicegui/dicegui.
# Needs the build environment of the target platform (PyInstaller does not
# cross-compile): pip install -e ".[dicom]" pyinstaller, then run this from anywhere.
# Work files go to build/pyinstaller; both build/ and dist/ are ignored by git.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m PyInstaller --noconfirm --clean --log-level WARN \
    --workpath build/pyinstaller --distpath dist packaging/dicegui.spec
echo "built: dist/dicegui ($(du -sh dist/dicegui | cut -f1))"
