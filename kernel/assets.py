"""`python -m kernel.assets DIST`: gzip and Brotli copies of the DSFR files every page
loads, written beside them once at install time (`make setup`, the Dockerfile), so
that WhiteNoise (kernel.web) sends them compressed without compressing per request.

Only the files the pages name (and the icons' stylesheet) are compressed: the whole
package holds 2,500 files, mostly source maps and per-component copies never served,
and compressing them all takes minutes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from whitenoise.compress import Compressor

SERVED = ("*.min.css", "*.min.js", "utility/icons/icons.min.css", "favicon/*.svg")


def compress(dist: Path) -> list[Path]:
    """Write `name.gz` and `name.br` beside each served file (when smaller)."""
    compressor = Compressor(quiet=True)
    files = sorted({path for pattern in SERVED for path in dist.glob(pattern)})
    for path in files:
        list(compressor.compress(str(path)))
    return files


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("node_modules/@gouvfr/dsfr/dist")
    done = compress(folder)
    print(f"{len(done)} fichiers du DSFR compressés (gzip, Brotli) dans {folder}")
