# Run-time hook of the bundle, in place of PyInstaller's pyi_rth_pyside6: the same Qt plugin path, without
# importing PySide6.QtCore at start-up. PyInstaller's hook imports it only to register a qt.conf that PySide6's
# PyPI wheels set up themselves; importing Qt first also puts shiboken's import hook in front of every later
# import (SQLAlchemy and the rest), which made the bundle start slower than the virtual environment.
import os
import sys

_qt = (
    os.path.join(sys._MEIPASS, "PySide6")
    if sys.platform.startswith("win")
    else os.path.join(sys._MEIPASS, "PySide6", "Qt")
)
os.environ["QT_PLUGIN_PATH"] = os.path.join(_qt, "plugins")
os.environ["QML2_IMPORT_PATH"] = os.path.join(_qt, "qml")
