"""pi-vae command line: parse, load and validate the config once, dispatch. Nothing else.

    python main.py [train] [--config FILE] [key=value ...]      train (default command)
    python main.py generate -n N -o FILE [--seed S] [key=value ...]
    python main.py evaluate [key=value ...]
    python main.py compare [key=value ...]
    python main.py sweep KEY=V1,V2,... [KEY=V1,V2 ...] [key=value ...] [--scheduler ADDRESS]

Exit codes: 0 done, 2 bad input (one `error:` line), 130 stopped by Ctrl-C, 143 stopped by SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

COMMANDS = ("train", "generate", "evaluate", "compare", "sweep")


def parse_args(argv: list[str]) -> tuple[str, argparse.Namespace]:
    """(command, options); the command is the first word if it names one, else `train`."""
    command, argv = (argv[0], argv[1:]) if argv and argv[0] in COMMANDS else ("train", argv)
    parser = argparse.ArgumentParser(
        prog=f"main.py {command}",
        description="Train a VAE on the colored π or a picture of yours, and generate points. "
        f"Commands: {', '.join(COMMANDS)} (default: train).",
    )
    parser.add_argument("--config", default="config.yaml", help="YAML config file (default: config.yaml)")
    parser.add_argument("-n", type=int, default=1000, help="generate: number of points")
    parser.add_argument("-o", "--output", default="generated.npy", help="generate: output .npy or .csv file")
    parser.add_argument("--seed", type=int, default=None, help="generate: seed for reproducible points")
    parser.add_argument("--scheduler", default=None, help="sweep: a Dask scheduler's address, e.g. tcp://host:8786")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. epochs=5")
    return command, parser.parse_intermixed_args(argv)


def main(argv: list[str]) -> int:
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-") and "=" not in argv[0]:
        from utils.suggest import did_you_mean

        hint = did_you_mean(argv[0], COMMANDS)
        print(f"error: unknown command '{argv[0]}'; {hint}commands are {', '.join(COMMANDS)}.", file=sys.stderr)
        return 2
    command, args = parse_args(argv)
    from utils.errors import Stopped, UserError  # after argparse, so that --help is instant

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Stopped(signum)

    signal.signal(signal.SIGTERM, stop)  # `timeout`, `docker stop`, schedulers: handled like Ctrl-C
    try:
        run_command(command, args)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Stopped as stopped:
        print(f"stopped by {stopped.how}.", file=sys.stderr)
        return stopped.exit_code
    except KeyboardInterrupt:
        print("stopped by Ctrl-C.", file=sys.stderr)
        return 130
    return 0


def run_command(command: str, args: argparse.Namespace) -> None:
    """Load and check the config (a grid of them for a sweep), then run the command; each command's module is
    imported only here, so that a command loads only what it needs."""
    from models import check_model_name
    from utils.config import load_config, load_grid

    if command == "sweep":
        from commands.sweep import run_sweep

        grid = load_grid(args.config, args.overrides)  # every combination, each validated before any run
        for _, run_cfg in grid:
            check_model_name(run_cfg.model)
        run_sweep(grid, grid[0][1].result_path, args.scheduler)
        return
    cfg = load_config(args.config, args.overrides)
    check_model_name(cfg.model)
    if command == "train":
        from commands.train import run_train

        run_train(cfg)
    elif command == "generate":
        from commands.generate import run_generate

        run_generate(cfg, args.n, args.output, args.seed)
    elif command == "evaluate":
        from commands.evaluate import run_evaluate

        run_evaluate(cfg)
    else:
        from commands.compare import run_compare

        run_compare(cfg)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
