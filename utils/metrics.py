"""Does a sample come from the data's distribution? The figures, each comparing candidates with real points.

Each figure compares a set of candidate points (generated, or a real sample for the floor) with
the test points (real points no model trained on; commands/evaluation.py says which). Candidates
are rounded onto the pixel grid and 8-bit colors first, as a picture of them would be. Figures
that need a common space use model space (every feature in [0, 1]).

    swd       sliced Wasserstein-1 distance, mean over 256 random directions      (lower is better)
    density   Naeem et al. 2020, k = 5: how densely candidates sit in test k-NN balls (1 is real-like)
    coverage  Naeem et al. 2020, k = 5: share of test balls holding a candidate    (higher is better)
    c2st      held-out accuracy of gradient-boosted trees telling candidates from test points,
              2-fold cross-validated (0.5 = indistinguishable); trees split on single features,
              so they see sharp edges, saturated colors and repeated points that a smooth
              classifier misses
    c2st_mlp  the same with a small MLP (a second opinion from another kind of classifier; only where
              asked for: `python main.py evaluate`)
    on_shape  share of candidates within 3 px (x, y) of a test point                (higher is better)
    color_err mean |rgb - rgb of the nearest test point in (x, y)|, 0..255        (closest to the floor)
    copies    share of candidates nearer a *training* point (5-D) than 95 % of training points are to
              their nearest other training point: a memorising model scores far above the share of
              fresh real points (on a fresh draw of pixels that share is biased low, so there the
              mixture's is the yardstick: commands/evaluation.py)                 (lower is better)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import cross_val_score
from threadpoolctl import threadpool_limits
from torch import nn

# Rows of distances computed at a time. Why small: a block of 128 x 2500 float64 is 2.5 MB. Blocks of
# 1024 rows (20 MB), freed, made glibc's malloc raise its mmap threshold and keep such blocks on its heap,
# where they added up over an evaluation's 27 sets: a default run's peak memory fell from about 680 MiB
# to 575 MiB with 128 rows, its figures unchanged to the bit (benchmarks/RESULTS.md, "Speed").
ROWS = 128
FIGURES = ("swd", "density", "coverage", "c2st", "on_shape", "color_err", "copies")  # c2st_mlp: a second opinion


def _nn_dist(
    a: torch.Tensor, b: torch.Tensor, k: int = 1, exclude_self: bool = False, rows: int = ROWS
) -> torch.Tensor:
    """Distance from each row of a (N, D) to its k-th nearest row of b (M, D) -> (N,).

    `rows` rows of a at a time: a (rows, M) block of distances instead of (N, M) (5000 x 5000 is 200 MB).
    exclude_self: a and b are the same points, and a point is not its own neighbour.
    """
    out = []
    for start in range(0, len(a), rows):
        d = torch.cdist(a[start : start + rows].double(), b.double())  # (rows, M)
        if exclude_self:
            d[torch.arange(len(d)), torch.arange(start, start + len(d))] = float("inf")
        out.append(_kth_smallest(d, k))
    return torch.cat(out) if out else a.new_zeros(0, dtype=torch.float64)


def _kth_smallest(d: torch.Tensor, k: int) -> torch.Tensor:
    """The k-th smallest value of each row of d (rows, M): the values of `d.kthvalue(k, dim=1)`.

    Why not kthvalue: on the CPU it took 4 ms a block of 128 x 2500, against 0.04 ms for amin
    (k = 1) and 0.8 ms for topk (k = 5); an evaluation scans 31 times, 85 ms each with kthvalue and
    14 to 20 ms with these (benchmarks/RESULTS.md, "Speed").
    """
    return d.amin(dim=1) if k == 1 else d.topk(k, dim=1, largest=False).values[:, -1]


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, n_proj: int = 256, seed: int = 0) -> float:
    """Mean over random unit directions of the 1-D Wasserstein-1 distance of the projections."""
    rng = np.random.default_rng(seed)
    dirs = rng.normal(size=(a.shape[1], n_proj))
    dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
    pa, pb = np.sort(a @ dirs, axis=0), np.sort(b @ dirs, axis=0)  # (N, n_proj), (M, n_proj)
    if len(pa) != len(pb):  # compare at common quantile levels
        levels = (np.arange(min(len(a), len(b))) + 0.5) / min(len(a), len(b))
        pa, pb = np.quantile(pa, levels, axis=0), np.quantile(pb, levels, axis=0)
    return float(np.abs(pa - pb).mean())


def density_coverage(
    real: np.ndarray, fake: np.ndarray, k: int = 5, rows: int = ROWS, radii: torch.Tensor | None = None
) -> tuple[float, float]:
    """Density and coverage of `fake` w.r.t. `real` (Naeem et al. 2020), `rows` fake points at a time.

    radii: each real point's distance to its k-th nearest other real point, if already computed.
    """
    r, f = torch.from_numpy(real).double(), torch.from_numpy(fake).double()
    if radii is None:
        radii = _nn_dist(r, r, k=k, exclude_self=True)  # (N,) k-NN radius of each real point
    inside_count, covered = 0, torch.zeros(len(r), dtype=torch.bool)
    for start in range(0, len(f), rows):
        inside = torch.cdist(f[start : start + rows], r) < radii[None, :]  # (rows, N)
        inside_count += int(inside.sum().item())
        covered |= inside.any(dim=0)
    return inside_count / (k * len(fake)), float(covered.double().mean().item())


def _two_sample(real: np.ndarray, fake: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Equal numbers of real (label 0) and fake (label 1) points, shuffled: x (2n, D), y (2n,)."""
    n = min(len(real), len(fake))
    x = np.concatenate([real[rng.permutation(len(real))[:n]], fake[rng.permutation(len(fake))[:n]]])
    y = np.concatenate([np.zeros(n), np.ones(n)])
    order = rng.permutation(2 * n)
    return x[order], y[order]


def c2st_trees(real: np.ndarray, fake: np.ndarray, seed: int = 0) -> float:
    """2-fold cross-validated accuracy of gradient-boosted trees telling fake from real.

    On one OpenMP thread: on a few thousand points of 5 features the trees fit in 0.42 s on one thread
    and 0.59 to 0.73 s on two (the same accuracy to the bit; benchmarks/RESULTS.md, "Speed").
    """
    x, y = _two_sample(real, fake, np.random.default_rng(seed))
    trees = HistGradientBoostingClassifier(max_iter=200, random_state=seed)
    with threadpool_limits(limits=1):
        return float(cross_val_score(trees, x, y, cv=2).mean())


def c2st_mlp(real: np.ndarray, fake: np.ndarray, seed: int = 0, steps: int = 300) -> float:
    """Held-out accuracy of a small MLP telling fake (label 1) from real (label 0), trained on one half.

    Runs on one thread: its ops are tiny, and two threads made it 3x slower (1.06 s vs 0.36 s).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _c2st_mlp(real, fake, seed, steps)
    finally:
        torch.set_num_threads(threads)


def _c2st_mlp(real: np.ndarray, fake: np.ndarray, seed: int, steps: int) -> float:
    torch.manual_seed(seed)
    x_np, y_np = _two_sample(real, fake, np.random.default_rng(seed))
    x, y = torch.from_numpy(x_np.astype(np.float32)), torch.from_numpy(y_np.astype(np.float32))
    train = torch.arange(len(x)) % 2 == 0
    x_train, y_train = x[train], y[train]
    net = nn.Sequential(nn.Linear(x.shape[1], 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3, foreach=True)  # foreach: one call, the same numbers
    for _ in range(steps):
        loss = nn.functional.binary_cross_entropy_with_logits(net(x_train).squeeze(1), y_train)
        opt.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]  # Tensor.backward has no annotations in torch 2.13
        opt.step()
    with torch.no_grad():
        predicted = net(x[~train]).squeeze(1) > 0
    return float((predicted == y[~train].bool()).float().mean())


def on_shape_rate(real_xy: np.ndarray, fake_xy: np.ndarray, radius: float = 3.0) -> float:
    """Share of fake (x, y) within `radius` pixels of some real (x, y)."""
    d = _nn_dist(torch.from_numpy(fake_xy), torch.from_numpy(real_xy))
    return float((d <= radius).double().mean())


def color_error(real: np.ndarray, fake: np.ndarray, rows: int = ROWS) -> float:
    """Mean |rgb(fake) - rgb(nearest real point in x, y)| over points and channels, data units."""
    real_xy, fake_xy = torch.from_numpy(real[:, :2]).double(), torch.from_numpy(fake[:, :2]).double()
    nearest = torch.cat([torch.cdist(fake_xy[s : s + rows], real_xy).argmin(dim=1) for s in range(0, len(fake), rows)])
    return float(np.abs(fake[:, 2:5] - real[nearest.numpy(), 2:5]).mean())


class CopyReference:
    """Points (N, F) and the distance below which a candidate counts as a copy of one of them: the
    `quantile` of the points' distances to their nearest other point. Computed once, used for every set."""

    def __init__(self, points: np.ndarray, quantile: float = 0.05):
        self.points = torch.from_numpy(points).double()
        self.threshold = torch.quantile(_nn_dist(self.points, self.points, exclude_self=True), quantile)

    def rate(self, candidates: np.ndarray) -> float:
        """Share of candidates nearer a reference point than the threshold."""
        return float((_nn_dist(torch.from_numpy(candidates), self.points) < self.threshold).double().mean())


class Scorer:
    """Every figure of candidate sets against one set of test points, what depends on the test points alone
    (model space, the k-NN radii of density and coverage) computed once for all the sets of a draw.

    test: (N, F) real points in data units; copies: the training points (the copy rate's reference);
    to_model: data units -> model space (data/scaling.py's Scaler.to_model), where every feature is in
    [0, 1]; second_opinion: also c2st_mlp, the MLP's two-sample test.
    """

    def __init__(
        self,
        test: np.ndarray,
        copies: CopyReference,
        to_model: Callable[[np.ndarray], np.ndarray],
        seed: int = 0,
        second_opinion: bool = False,
    ):
        self.test, self.copies, self.to_model, self.seed = test, copies, to_model, seed
        self.second_opinion = second_opinion
        self.test_s = to_model(test).astype(np.float64)
        self.radii = _nn_dist(torch.from_numpy(self.test_s), torch.from_numpy(self.test_s), k=5, exclude_self=True)

    def figures(self, candidates: np.ndarray) -> dict[str, float]:
        """Every figure for candidates (N, F) in data units, already rounded to the grid."""
        cand_s = self.to_model(candidates).astype(np.float64)
        density, coverage = density_coverage(self.test_s, cand_s, radii=self.radii)
        test, seed = self.test, self.seed
        out = {
            "swd": sliced_wasserstein(self.test_s, cand_s, seed=seed),
            "density": density,
            "coverage": coverage,
            "c2st": c2st_trees(self.test_s, cand_s, seed=seed),
            "on_shape": on_shape_rate(test[:, :2].astype(np.float64), candidates[:, :2].astype(np.float64)),
            "color_err": color_error(test.astype(np.float64), candidates.astype(np.float64)),
            "copies": self.copies.rate(cand_s),
        }
        if self.second_opinion:
            out["c2st_mlp"] = c2st_mlp(self.test_s, cand_s, seed=seed)
        return out
