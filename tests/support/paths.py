"""Where the shared material lives: ``shared/`` stands beside the repository (CI clones the
repository next to it); /work/shared is this workplace's copy."""

from __future__ import annotations

from pathlib import Path

_CANDIDATES = (Path(__file__).resolve().parents[2].parent / "shared", Path("/work/shared"))
SHARED = next((p for p in _CANDIDATES if (p / "payloads").is_dir()), _CANDIDATES[0])
PAYLOADS = SHARED / "payloads"
