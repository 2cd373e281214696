"""Qt-free core: metrics, surface distances, live scores, case model, file IO.

Nothing under ``dicegui.core`` may import PySide6 or pyqtgraph; the command
line (``dicegui score``) depends on this package only.
"""
