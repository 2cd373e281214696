"""dicegui: see where a segmentation is right and wrong, and by how much.

Importing this package imports nothing heavy; ``dicegui.core`` is Qt-free and
``dicegui.gui`` holds the PySide6 layer.
"""

__version__ = "0.1.0"
