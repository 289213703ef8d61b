from __future__ import annotations

from app.cli import main

if __name__ == "__main__":  # a statement worker process imports this module again
    raise SystemExit(main())
