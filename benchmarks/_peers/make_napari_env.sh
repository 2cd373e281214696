#!/usr/bin/env bash
# napari in a virtual environment of its own: napari pins a PySide6 that dicegui's pin excludes.
# Usage: bash benchmarks/_peers/make_napari_env.sh   (creates benchmarks/_peers/napari-venv, never committed)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/napari-venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "napari[pyside6]==${NAPARI_VERSION:-0.9.2}"
"$venv/bin/python" -c "import napari; print('napari', napari.__version__, 'in', '$venv')"
