"""What was downloaded into a folder: the sidecar ``DEST/.pvsignal-downloads`` (JSON).

For each complete file (key: its path under DEST, ``/``-separated) it records the
address, size, the server's ``ETag`` and ``Last-Modified`` and when it was fetched; for a
``.part`` file being resumed, the validators it was started with (sent as ``If-Range``, so
a file changed on the server restarts from 0 rather than being spliced). The name has no
``.json``/``.zip``/``.txt`` ending, so neither FAERS nor openFDA ingest takes it for an
input. Replaced atomically (write beside, ``os.replace``).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SIDECAR = ".pvsignal-downloads"


@dataclass
class Remote:
    """What a server says about a file: its size (bytes) and validators; ``None`` when not said."""

    size: int | None = None
    etag: str | None = None
    last_modified: str | None = None

    def differs(self, other: Remote) -> list[str]:
        """How ``other`` (the server now) differs from this record, in words; [] when no known field differs."""
        out = []
        if self.size is not None and other.size is not None and self.size != other.size:
            out.append(f"size {self.size:,} → {other.size:,} bytes")
        if self.etag and other.etag and self.etag != other.etag:
            out.append(f"ETag {self.etag} → {other.etag}")
        if self.last_modified and other.last_modified and self.last_modified != other.last_modified:
            out.append(f"Last-Modified {self.last_modified} → {other.last_modified}")
        return out


class State:
    """The sidecar of one DEST folder, read once and saved after every change."""

    def __init__(self, dest: Path):
        self.path = dest / SIDECAR
        self.data: dict[str, dict[str, Any]] = {"files": {}, "partial": {}}
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                for k in self.data:
                    if isinstance(loaded.get(k), dict):
                        self.data[k] = loaded[k]
        except (OSError, ValueError):
            pass  # none yet, or unreadable: every file is checked against the server again

    def complete(self, key: str) -> Remote | None:
        rec = self.data["files"].get(key)
        return Remote(rec.get("size"), rec.get("etag"), rec.get("last_modified")) if isinstance(rec, dict) else None

    def partial(self, key: str) -> Remote | None:
        rec = self.data["partial"].get(key)
        return Remote(rec.get("size"), rec.get("etag"), rec.get("last_modified")) if isinstance(rec, dict) else None

    def set_complete(self, key: str, url: str, remote: Remote, fetched_at: str) -> None:
        self.data["partial"].pop(key, None)
        self.data["files"][key] = {"url": url, **asdict(remote), "fetched_at": fetched_at}
        self.save()

    def set_partial(self, key: str, remote: Remote | None) -> None:
        if remote is None:
            self.data["partial"].pop(key, None)
        else:
            self.data["partial"][key] = asdict(remote)
        self.save()

    def save(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)
