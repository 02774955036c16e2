"""Infrastructure figures: each function asset's zipped size (budget < 100 KB), the shared
layer's zipped size (budget < 10 MB, built for real here), and how long a synth takes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from infra import build_layer, topology
from infra.config import ASSET_EXCLUDE

ROOT = Path(__file__).resolve().parent.parent
FUNCTION_BUDGET = 100 * 1024
LAYER_BUDGET = 10 * 1024 * 1024


def zipped_size(folder: Path, skip: tuple[str, ...] = ()) -> int:
    """Bytes of the deflated zip Lambda would receive (what CDK uploads for a folder asset)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if path.is_file() and not any(part == s or rel.match(s) for part in rel.parts for s in skip):
                zf.write(path, rel)
    return len(buf.getvalue())


def _row(name: str, size: int, budget: int) -> None:
    verdict = "ok" if size < budget else "OVER BUDGET"
    print(f"  {name:<28} {size / 1024:>9.1f} KB   budget {budget / 1024:>7.0f} KB   {verdict}")


def main() -> None:
    print("  asset (zipped)")
    for folder in sorted({f.folder for f in topology.FUNCTIONS.values()}):
        _row(
            f"functions/{folder}",
            zipped_size(ROOT / "functions" / folder, tuple(ASSET_EXCLUDE)),
            FUNCTION_BUDGET,
        )
    t0 = time.perf_counter()
    layer = build_layer.build()
    print(f"  layer build (or up-to-date check): {time.perf_counter() - t0:.1f} s")
    _row("layer (build/layer)", zipped_size(layer), LAYER_BUDGET)

    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    with tempfile.TemporaryDirectory() as out:
        env["CDK_OUTDIR"] = out
        # One environment is enough for the figure (prod differs only in settings); the machine is shared.
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "app.py", "-c", "env=dev"], cwd=ROOT, env=env, check=True,
                       capture_output=True)  # fmt: skip
        print(
            f"  synth dev (python app.py: cdk-nag + cfn-lint, real layer): {time.perf_counter() - t0:.1f} s"
        )
