"""rasd (رصد): an offline-first engine that turns piles of Arabic news articles into stories.

Per-article stages, in order: `ingest` (read and decode inputs) → `clean` (boilerplate) →
`langid` → `normalize` (matching form for keys and search) → `dedupe` (copies) → `cluster`
(stories and threads) → `store` (SQLite). `pipeline` runs them; `cli` is a thin shell over it.
"""
from pathlib import Path

__version__ = "0.1.0"
DATA_DIR = Path(__file__).parent / "data"
DEMO_DIR = Path(__file__).parent / "demo"

__all__ = ["DATA_DIR", "DEMO_DIR", "__version__"]
