from __future__ import annotations

from app.launch import run

if __name__ == "__main__":
    run()
