from __future__ import annotations

from app.cli import run

if __name__ == "__main__":
    run()
