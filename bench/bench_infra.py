"""Infrastructure figures: each function asset's zipped size (budget < 100 KB), each layer's size
(the shared one and the providers' one, budget < 10 MB zipped each, built for real here: as
installed from the lock, stripped, and stripped + precompiled), what the bytecode saves on
importing the HTTP layer, and how long a synth takes."""

from __future__ import annotations

import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from infra import build_layer, layer_files, topology

ROOT = Path(__file__).resolve().parent.parent
FUNCTION_BUDGET = 100 * 1024
LAYER_BUDGET = 10 * 1024 * 1024
IMPORT_RUNS = 7  # fresh interpreters per variant (median)
IMPORT_PROBE = "import cancelflow.http.api"


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
    print(f"  {name:<40} {size / 1024:>9.1f} KB   budget {budget / 1024:>7.0f} KB   {verdict}")


def main() -> None:
    print("  asset (zipped)")
    for folder in sorted({f.folder for f in topology.FUNCTIONS.values()}):
        _row(
            f"functions/{folder}",
            zipped_size(build_layer.function_asset(folder)),  # as shipped: with its bytecode
            FUNCTION_BUDGET,
        )
    for layer in build_layer.LAYERS:
        t0 = time.perf_counter()
        built = build_layer.build(layer=layer)
        print(f"  {layer} layer build (or up-to-date check): {time.perf_counter() - t0:.1f} s")
        stages = build_layer.report("arm64", layer)  # recorded by the build: installed, stripped, + bytecode
        _row(f"layer {layer} ({built.relative_to(ROOT)})", stages["built"]["zipped"], LAYER_BUDGET)
        for stage, size in stages.items():
            print(layer_files.describe(f"arm64 {stage}", layer_files.Size(**size)))
    mounted = ", ".join(sorted(build_layer.PROVIDER_LAYER_FUNCTIONS))
    print(f"  the providers layer is mounted by {mounted} only")
    _import_times()

    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    with tempfile.TemporaryDirectory() as out:
        env["CDK_OUTDIR"] = out
        # One environment is enough for the figure (prod differs only in settings); the machine is shared.
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "app.py", "-c", "env=dev"], cwd=ROOT, env=env,
                              capture_output=True, text=True)  # fmt: skip
        if done.returncode:
            raise RuntimeError("synth failed:\n" + "\n".join(done.stderr.splitlines()[-15:]))
        print(
            f"  synth dev (python app.py: cdk-nag + cfn-lint, real layer): {time.perf_counter() - t0:.1f} s"
        )


def _import_ms(variants: dict[str, list[Path]]) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) ms of ``IMPORT_PROBE`` in a fresh interpreter laid out as Lambda's (no
    site, no bytecode written: /opt is read-only there), interpreter start included, for each
    variant's sys.path. The variants take turns, so a busy spell on the shared machine hits all
    of them; CPU time (user + system of the child) is the steadier figure."""
    env = {"PATH": os.defpath, "AWS_REGION": "ap-east-1"}
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for _ in range(IMPORT_RUNS):
        for name, paths in variants.items():
            code = f"import sys; sys.path[:0] = {[str(p) for p in paths]!r}; {IMPORT_PROBE}"
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-B", "-S", "-I", "-c", code], env=env, check=True)
            wall = (time.perf_counter() - t0) * 1000
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000
            runs[name].append((wall, cpu))
    return {
        name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r))
        for name, r in runs.items()
    }


def _import_times() -> None:
    """The x86_64 build of the shared layer (all the probe imports), with its bytecode and with the
    sources alone."""
    layer = build_layer.build("x86_64") / "python"
    runtime = build_layer.runtime_dir("x86_64")
    with tempfile.TemporaryDirectory() as tmp:
        sources = Path(tmp) / "python"
        shutil.copytree(layer, sources, ignore=shutil.ignore_patterns("__pycache__"))
        got = _import_ms({"bytecode": [layer, runtime], "sources": [sources, runtime]})
    (warm, warm_cpu), (cold, cold_cpu) = got["bytecode"], got["sources"]
    print(
        f"  `{IMPORT_PROBE}` from the layer (x86_64, median of {IMPORT_RUNS} fresh interpreters): "
        f"with its bytecode {warm:.0f} ms ({warm_cpu:.0f} ms CPU), from sources {cold:.0f} ms "
        f"({cold_cpu:.0f} ms CPU): {cold / warm:.2f}x ({cold_cpu / warm_cpu:.2f}x CPU)"
    )
