"""The yardstick of a run's time: a 128-component Gaussian mixture's whole fit-and-sample process.

    python benchmarks/mixture_process.py [DATA_DIR] [OUT.npy]

What a user without pi-vae would run to learn the quiz's points: read the quiz's 5000 points, fit a
128-component full-covariance Gaussian mixture (scikit-learn, its defaults) on them scaled to [0, 1],
draw 5000 points and save them. benchmarks/versus_mixture.py times this script as a fresh process
beside `python main.py`. Imports only numpy, Pillow and scikit-learn.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.mixture import GaussianMixture

ROOT = Path(__file__).resolve().parents[1]


def main(data_dir: Path, out: Path) -> None:
    rows, cols = np.load(data_dir / "pi_xs.npy"), np.load(data_dir / "pi_ys.npy")
    image = np.asarray(Image.open(data_dir / "sparse_pi_colored.jpg").convert("RGB"))
    points = np.column_stack([rows, cols, image[rows, cols]]).astype(np.float64)  # (5000, 5)
    high = np.array([image.shape[0] - 1, image.shape[1] - 1, 255, 255, 255], dtype=np.float64)
    mixture = GaussianMixture(128, covariance_type="full", random_state=0).fit(points / high)
    drawn, _ = mixture.sample(len(points))
    np.save(out, np.clip(drawn * high, 0, high).astype(np.float32))


if __name__ == "__main__":
    main(
        Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "gen_ml_quiz_content",
        Path(sys.argv[2]) if len(sys.argv) > 2 else Path("mixture_points.npy"),
    )
