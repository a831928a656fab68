"""A run's time against the mixture's whole fit-and-sample process, as fresh processes in one sitting.

    python benchmarks/versus_mixture.py [--rounds 3] [--runs quiz,quiz-no-frames,icon,generate,paint]
                                        [--other CHECKOUT]

Each round starts, one after the other, the yardstick (benchmarks/mixture_process.py: a 128-component
Gaussian mixture fitted on the quiz's 5000 points and sampled) and each of `--runs` as a user would
start it:

    quiz            python main.py                         the README's first command on the quiz data
    quiz-no-frames  python main.py gen_every_epochs=0      the same without frames: what frames cost
    icon            python main.py dataset=image image_path=benchmarks/out/icon.png   a 128x128 picture
    generate        python main.py generate -n 1000000 -o FILE.npy   from the last quiz run's checkpoint
    paint           python main.py generate -n 1000000 -o FILE.png   the same points painted

`--other CHECKOUT` adds, in each round, another checkout's `python main.py` on the quiz (an earlier
version, `git worktree add ../old REV`) at its own defaults and with a frame every epoch, and its
`generate -n 1000000`. Prints each process's wall time per round, the medians, and each median over the
mixture's. Run it with nothing else busy: two processes on 2 cores slow each other many times over.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pictures import make_pictures

Command = tuple[list[str], Path]  # python's arguments, and the folder it starts in (its config.yaml's)


def commands(tmp: Path, other: Path | None) -> dict[str, Command]:
    main, icon = str(ROOT / "main.py"), str(ROOT / "benchmarks" / "out" / "icon.png")
    quiz = f"result_path={tmp / 'quiz'}"
    mixture = [str(ROOT / "benchmarks" / "mixture_process.py"), str(ROOT / "gen_ml_quiz_content"), str(tmp / "m.npy")]
    ours = {
        "mixture": mixture,
        "quiz": [main, quiz],
        "quiz-no-frames": [main, f"result_path={tmp / 'no_frames'}", "gen_every_epochs=0"],
        "icon": [main, f"result_path={tmp / 'icon'}", "dataset=image", f"image_path={icon}"],
        "generate": [main, "generate", "-n", "1000000", "-o", str(tmp / "points.npy"), quiz],
        "paint": [main, "generate", "-n", "1000000", "-o", str(tmp / "points.png"), quiz],
    }
    runs = {name: (argv, ROOT) for name, argv in ours.items()}
    if other is not None:
        old = str(other / "main.py")
        runs["other: quiz"] = ([old, f"result_path={tmp / 'old'}"], other)
        runs["other: quiz, a frame every epoch"] = ([old, f"result_path={tmp / 'old1'}", "gen_every_epochs=1"], other)
        runs["other: generate"] = (
            [old, "generate", "-n", "1000000", "-o", str(tmp / "o.npy"), f"result_path={tmp / 'old'}"],
            other,
        )
    return runs


def wall(command: Command) -> float:
    """Seconds from start to exit of `python argv...` in a fresh process (its output discarded)."""
    argv, folder = command
    started = time.perf_counter()
    subprocess.run([sys.executable, *argv], cwd=folder, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", default="quiz,quiz-no-frames,icon,generate,paint")
    parser.add_argument("--other", type=Path, default=None, help="another checkout to time beside this one")
    args = parser.parse_args()
    make_pictures(ROOT / "benchmarks" / "out")
    names = ["mixture", *args.runs.split(",")]
    if args.other is not None:
        names += ["other: quiz", "other: quiz, a frame every epoch", "other: generate"]
    times: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as folder:
        argv = commands(Path(folder), args.other)
        for round_ in range(args.rounds):
            for name in names:
                times[name].append(wall(argv[name]))
            print(f"round {round_ + 1}: " + ", ".join(f"{n} {times[n][-1]:.1f} s" for n in names), flush=True)
    yardstick = statistics.median(times["mixture"])
    print("\n| process | wall time, each round | median | ÷ the mixture's |\n|---|---|---|---|")
    for name in names:
        median = statistics.median(times[name])
        rounds = ", ".join(f"{t:.1f}" for t in times[name])
        print(f"| {name} | {rounds} s | {median:.1f} s | {median / yardstick:.2f}x |")
    if "quiz" in times and "quiz-no-frames" in times:
        frames = statistics.median(times["quiz"]) / statistics.median(times["quiz-no-frames"]) - 1
        print(f"\nframes every epoch add {frames:+.0%} to the quiz run (medians)")


if __name__ == "__main__":
    main()
