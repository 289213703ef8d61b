"""The frozen program's entry point: the same `kontor` command the virtual environment installs."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
