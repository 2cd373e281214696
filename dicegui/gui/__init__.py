"""The PySide6/pyqtgraph layer: windows, views and panels over ``dicegui.core``."""
