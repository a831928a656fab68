"""Peak memory and speed of `main.py generate -n N` as N grows: streaming keeps memory flat.

    python benchmarks/stream_memory.py [--sizes 1000000,10000000,100000000] [--suffix .npy] [key=value ...]

Trains a small model once (or uses result_path's checkpoint if you pass one), then runs the CLI in a
fresh process for each N and reads that process's peak RSS from the kernel (os.wait4). Prints
figures; asserts nothing. The output files go to a temporary folder and are deleted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000,100000000")
    parser.add_argument("--suffix", default=".npy", choices=[".npy", ".csv"])
    parser.add_argument("overrides", nargs="*", metavar="key=value")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        overrides = args.overrides or [f"result_path={tmp}/run", "epochs=3", "evaluate=false", "gen_every_epochs=0"]
        if not args.overrides:
            subprocess.run([sys.executable, str(ROOT / "main.py"), *overrides], check=True, capture_output=True)
        print("| points | file | seconds | points/s | peak RSS (MiB) |\n|---|---|---|---|---|")
        for n in (int(s) for s in args.sizes.split(",")):
            out = Path(tmp) / f"points{args.suffix}"
            start = time.perf_counter()
            command = [sys.executable, str(ROOT / "main.py"), "generate", "-n", str(n), "-o", str(out), "--seed", "0"]
            child = subprocess.Popen([*command, *overrides], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS, in KiB on Linux
            seconds = time.perf_counter() - start
            assert os.waitstatus_to_exitcode(status) == 0, f"generate -n {n} failed"
            size = out.stat().st_size / 2**20
            print(
                f"| {n:,} | {size:,.0f} MiB | {seconds:.1f} | {n / seconds:,.0f} | {usage.ru_maxrss / 1024:.0f} |",
                flush=True,
            )
            out.unlink()


if __name__ == "__main__":
    main()
