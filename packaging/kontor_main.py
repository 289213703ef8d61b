"""The frozen program's entry point: the same `kontor` command the virtual environment installs."""

from app.launch import run

if __name__ == "__main__":
    run()
