"""One picture of the paintings of every kind of data: each run's picture.png (the real picture, the model's
painting, the mixture's), one row per kind, scaled to one width.

    python benchmarks/paintings_grid.py [--tag this] [--seed 0] [--pictures ...] [--out docs/paintings.png]

Reads benchmarks/out/runs/<tag>/<picture>/seed=<seed>/picture.png (benchmarks/ablation.py `rescore`, or
benchmarks/quality.py's runs) and writes one PNG.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.quality import OUT

PICTURES = "quiz,synthetic,word.jpg,logo.png,photo.png,dots.png,sign.jpg,amp.png,shapes.png,lettering.png"
WIDTH = 900  # pixels of every row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", default="this")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pictures", default=PICTURES)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "paintings.png")
    args = parser.parse_args()
    rows = []
    for picture in args.pictures.split(","):
        with Image.open(OUT / "runs" / args.tag / picture / f"seed={args.seed}" / "picture.png") as image:
            row = image.convert("RGB").resize(
                (WIDTH, round(image.height * WIDTH / image.width)), Image.Resampling.LANCZOS
            )
        label = Image.new("RGB", (WIDTH, 22), "white")
        ImageDraw.Draw(label).text((4, 4), f"{picture}, seed {args.seed}", fill="black")
        rows += [label, row]
    grid = Image.new("RGB", (WIDTH, sum(r.height for r in rows)), "white")
    top = 0
    for row in rows:
        grid.paste(row, (0, top))
        top += row.height
    # 256 colors: a tenth of the file, and a painting's colors are few (a palette per picture is plenty)
    grid.quantize(256, dither=Image.Dither.NONE).save(args.out, optimize=True)
    print(f"wrote {args.out} ({grid.width}x{grid.height})")


if __name__ == "__main__":
    main()
