"""Each figure on cases with known answers: identical sets, disjoint sets, a shifted set."""

import numpy as np
import pytest
import torch

from data import Scaler
from utils import metrics

SCALER = Scaler.for_image(300, 300)


@pytest.fixture
def real() -> np.ndarray:
    """600 distinct pixels on a ring, colored by angle (data units)."""
    rng = np.random.default_rng(0)
    angle = rng.uniform(0, 2 * np.pi, 3000)
    xy = np.unique(np.rint(np.column_stack([150 + 80 * np.cos(angle), 150 + 80 * np.sin(angle)])), axis=0)
    xy = xy[rng.permutation(len(xy))[:600]]
    theta = np.arctan2(xy[:, 0] - 150, xy[:, 1] - 150)
    rgb = np.column_stack([128 + 100 * np.cos(theta), 128 + 100 * np.sin(theta), np.full(len(xy), 200.0)])
    return np.column_stack([xy, np.rint(rgb)]).astype(np.float64)


def test_identical_sets(real):
    s = SCALER.to_model(real).astype(np.float64)
    assert metrics.sliced_wasserstein(s, s) == pytest.approx(0.0, abs=1e-12)
    density, coverage = metrics.density_coverage(s, s)
    assert coverage == 1.0
    assert density == pytest.approx(1.0, abs=0.05)
    assert metrics.on_shape_rate(real[:, :2], real[:, :2]) == 1.0
    assert metrics.color_error(real, real) == 0.0
    assert metrics.CopyReference(s).rate(s) == 1.0  # every point duplicates a reference point: a memoriser
    assert metrics.c2st_mlp(s, s) == pytest.approx(0.5, abs=0.08)
    # trees learn exact points: a point's duplicate with the other label in the other fold pulls the
    # accuracy of identical sets below 0.5; two halves of one sample are indistinguishable instead
    assert metrics.c2st_trees(s, s) < 0.45
    assert metrics.c2st_trees(s[::2], s[1::2]) == pytest.approx(0.5, abs=0.1)


def test_disjoint_sets(real):
    far = real.copy()
    far[:, :2] = np.clip(far[:, :2] * 0.2 + 5, 0, 299)  # a small ring in the corner
    s, f = SCALER.to_model(real).astype(np.float64), SCALER.to_model(far).astype(np.float64)
    density, coverage = metrics.density_coverage(s, f)
    assert density == 0.0
    assert coverage == 0.0
    assert metrics.on_shape_rate(real[:, :2], far[:, :2]) == 0.0
    assert metrics.c2st_trees(s, f) > 0.95
    assert metrics.c2st_mlp(s, f) > 0.95
    assert metrics.CopyReference(s).rate(f) == 0.0


def test_shifted_set(real):
    shifted = real.copy()
    shifted[:, 2] = np.clip(shifted[:, 2] - 51, 0, 255)  # red channel 51 lower = 0.2 in model space
    s, f = SCALER.to_model(real).astype(np.float64), SCALER.to_model(shifted).astype(np.float64)
    moved = np.abs(real[:, 2] - shifted[:, 2]).mean() / 3  # mean over 3 channels
    assert metrics.color_error(real, shifted) == pytest.approx(moved)
    assert metrics.on_shape_rate(real[:, :2], shifted[:, :2]) == 1.0  # positions did not move
    # a shift by 0.2 along one axis projects to 0.2*|u_r| on a random unit direction u:
    # E|u_r| for uniform directions in 5-D is 3/8 (and the clipping makes it a little less)
    assert 0.6 * 0.2 * 3 / 8 < metrics.sliced_wasserstein(s, f) < 1.05 * 0.2 * 3 / 8


def test_on_shape_radius(real):
    moved = real.copy()
    moved[:, 0] += 200  # far from the ring
    moved[:10] = real[:10] + np.array([2.0, 2.0, 0, 0, 0])  # 2.83 px from a real point: on shape
    assert metrics.on_shape_rate(real[:, :2], moved[:, :2]) == pytest.approx(10 / len(real))


def test_trees_see_a_point_mass(real):
    """Saturated values: 60 % of the red channel at exactly 255, against values spread over 250..255."""
    rng = np.random.default_rng(0)
    near, piled = real[::2].copy(), real[1::2].copy()  # independent halves of one sample
    near[:, 2] = rng.integers(250, 256, len(near))
    piled[:, 2] = np.where(rng.random(len(piled)) < 0.6, 255, rng.integers(250, 256, len(piled)))
    s, f = SCALER.to_model(near).astype(np.float64), SCALER.to_model(piled).astype(np.float64)
    assert metrics.c2st_trees(s, f) > 0.58  # the best possible is 0.75; chance with 288 points is 0.5 ± 0.03


@pytest.mark.parametrize("k", [1, 5])
def test_nearest_neighbour_distances_are_kthvalue(k):
    """The k-th nearest distance, ties and the excluded self included, is exactly torch's kthvalue."""
    rng = np.random.default_rng(k)
    a = torch.from_numpy(np.rint(rng.uniform(0, 6, (300, 3))))  # a coarse grid: many equal distances
    d = torch.cdist(a, a)
    d.fill_diagonal_(float("inf"))
    expected = d.kthvalue(k, dim=1).values
    assert torch.equal(metrics._nn_dist(a, a, k=k, exclude_self=True, rows=64), expected)


def test_per_feature_distances_say_which_feature_moved(real):
    from utils import features

    same = features.marginal_distances(real, real)
    assert all(d == {"ks": 0.0, "w1": 0.0} for d in same.values())
    redder = real.copy()
    redder[:, 2] = np.clip(redder[:, 2] + 20, 0, 255)  # 20 levels more red, nothing else moves
    moved = features.marginal_distances(real, redder)
    assert moved["r"]["w1"] == pytest.approx(np.mean(redder[:, 2] - real[:, 2]))
    assert moved["r"]["ks"] > 0.1
    assert all(moved[name] == {"ks": 0.0, "w1": 0.0} for name in ("x", "y", "g", "b"))


def test_a_color_profile_follows_the_position():
    """Red = the row, so the band means of red along the rows climb with the bands; along the columns they are flat."""
    from utils import features

    rows, cols = np.mgrid[0:240, 0:120]
    points = np.column_stack([rows.ravel(), cols.ravel(), rows.ravel(), np.full(rows.size, 50), cols.ravel()])
    profile = features.color_profile(points.astype(np.float64), (240, 120))
    band = 240 / features.BINS
    np.testing.assert_allclose(profile["rows_mean"][:, 0], (np.arange(features.BINS) + 0.5) * band - 0.5)
    np.testing.assert_allclose(profile["cols_mean"][:, 0], 119.5)  # every column sees every row
    np.testing.assert_allclose(profile["rows_std"][:, 1], 0.0)  # green is constant
    assert features.profile_error(profile, profile) == {"rows": 0.0, "cols": 0.0}
    darker = points.astype(np.float64) - [0, 0, 10, 10, 10]
    error = features.profile_error(profile, features.color_profile(darker, (240, 120)))
    assert error == pytest.approx({"rows": 10.0, "cols": 10.0})
