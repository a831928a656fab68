"""The evaluation protocol on cases with known answers: a memoriser, a perfect generator, the diagnostic."""

from __future__ import annotations

import numpy as np
import pytest

from commands.evaluation import check_targets, evaluate
from data import Dataset, Scaler
from utils.tables import markdown

SHAPE = (120, 120)


@pytest.fixture(scope="module")
def population() -> np.ndarray:
    """Every pixel of a disk, colored by position plus noise: 3000 points to draw from (data units)."""
    rows, cols = np.nonzero((np.mgrid[0:120, 0:120] - 60).__pow__(2).sum(0) < 31**2)
    rng = np.random.default_rng(0)
    rgb = np.column_stack([rows * 2, cols * 2, np.full(len(rows), 128)]) + rng.normal(0, 6, (len(rows), 3))
    points = np.column_stack([rows, cols, np.clip(np.rint(rgb), 0, 255)]).astype(np.float32)
    return points[rng.permutation(len(points))]


@pytest.fixture(scope="module")
def dataset(population) -> Dataset:
    return Dataset(population[:800], population[800:1600], Scaler.for_image(*SHAPE), "image", "disk", "fresh draw")


def test_a_memoriser_ties_the_floor_and_fails_copies(dataset):
    """Replaying the training points is exactly the floor on every figure but `copies`."""

    def memoriser(n: int, seed: int) -> np.ndarray:
        return dataset.train[np.random.default_rng(seed).permutation(len(dataset.train))[:n]]

    report = evaluate(dataset, memoriser, seed=0, repeats=2, baseline=True)
    for name in ("swd", "density", "coverage", "c2st", "on_shape", "color_err"):
        assert report["model"][name] == pytest.approx(report["floor"][name]), name
    assert report["model"]["copies"] == 1.0
    assert report["floor"]["copies"] < 0.2
    assert report["baseline"]["copies"] < 0.5  # a mixture cannot replay its points (dense disk: 0.27)
    copies = [t for t in report["targets"] if t["figure"] == "copies"]
    assert copies == [{"figure": "copies", "goal": "<= baseline (+2 se)", "met": False}]


def test_a_perfect_generator_passes(dataset, population):
    """Fresh pixels of the same picture: c2st near 0.5, copies at the floor, color error at the floor."""

    def fresh(n: int, seed: int) -> np.ndarray:
        rest = population[1600:]
        return rest[np.random.default_rng(seed).permutation(len(rest))[:n]]

    report = evaluate(dataset, fresh, seed=0, repeats=2)
    assert report["model"]["c2st"] < 0.56
    assert report["model"]["copies"] < report["floor"]["copies"] + 0.03
    met = {t["figure"]: t["met"] for t in report["targets"]}
    assert met == {"color_err": True}  # a fresh draw without a baseline: no fair copy floor (FRESH_COPIES_TARGET)


def test_a_shifted_generator_fails(dataset):
    def shifted(n: int, seed: int) -> np.ndarray:
        points = dataset.train[:n].copy()
        points[:, 0] = np.clip(points[:, 0] + 8, 0, 119)  # 8 px down
        return points

    report = evaluate(dataset, shifted, seed=0, repeats=1)
    assert report["model"]["c2st"] > 0.7
    assert report["model"]["on_shape"] < report["floor"]["on_shape"] - 0.1


def test_diagnostic_of_a_perfect_autoencoder_is_the_floor(dataset):
    """reconstruct() returning its input: posterior and posterior_mean equal the floor (but copies)."""
    report = evaluate(
        dataset, lambda n, s: dataset.train[:n], seed=0, repeats=1, reconstruct=lambda points, seed, use_mean: points
    )
    assert set(report["diagnostic"]) == {"prior", "posterior", "posterior_mean"}
    assert report["diagnostic"]["prior"] == report["model"]
    for kind in ("posterior", "posterior_mean"):
        for name in ("swd", "coverage", "c2st", "on_shape"):
            assert report["diagnostic"][kind][name] == pytest.approx(report["floor"][name]), (kind, name)


def test_baseline_is_scored_beside_the_model(dataset):
    report = evaluate(dataset, lambda n, s: dataset.train[:n], seed=0, repeats=1, baseline=True)
    assert set(report["baseline"]) == set(report["model"])
    assert report["baseline"]["on_shape"] > 0.8  # a mixture fitted on the disk draws on the disk
    goals = {t["figure"] + " " + t["goal"] for t in report["targets"]}
    assert "c2st <= baseline + 0.03" in goals
    table = markdown(
        {"model": report["model"], "baseline": report["baseline"], "floor": report["floor"]}, report["targets"]
    )
    assert all(f"| {name} |" in table for name in report["model"])


def test_quiz_targets():
    floor = {"swd": 1.0, "color_err": 10.0, "copies": 0.05, "on_shape": 0.95, "coverage": 0.96, "c2st": 0.5}
    good = {**floor, "on_shape": 0.94, "coverage": 0.95, "c2st": 0.52, "swd": 1.1, "color_err": 10.4}
    report = {"model": good, "floor": floor, "n": 2500, "repeats": 3, "protocol": "held-out split"}
    assert all(t["met"] for t in check_targets(report, quiz=True))
    bad = {**good, "on_shape": 0.93, "swd": 1.2, "color_err": 9.4, "copies": 0.2}
    met = {t["figure"]: t["met"] for t in check_targets({**report, "model": bad}, quiz=True)}
    assert met == {"on_shape": False, "coverage": True, "c2st": True, "swd": False, "color_err": False, "copies": False}
    in_sample = check_targets({**report, "protocol": "in-sample"}, quiz=True)
    assert "copies" not in {t["figure"] for t in in_sample}  # no real points outside training to compare with


def test_a_fresh_draw_judges_copies_against_the_mixture():
    """Test pixels never sit on training pixels, so a fresh draw's copy floor is biased low: no floor target."""
    floor = {"swd": 1.0, "color_err": 10.0, "copies": 0.05, "on_shape": 0.95, "coverage": 0.96, "c2st": 0.5}
    model = {**floor, "copies": 0.085}
    report = {"model": model, "floor": floor, "n": 2500, "repeats": 3, "protocol": "fresh draw"}
    assert "copies" not in {t["figure"] for t in check_targets(report, quiz=False)}
    with_mixture = {**report, "baseline": {**floor, "copies": 0.08}}
    copies = [t for t in check_targets(with_mixture, quiz=False) if t["figure"] == "copies"]
    assert copies == [{"figure": "copies", "goal": "<= baseline (+2 se)", "met": True}]  # 0.085 <= 0.08 + 2 * 0.0031
    replaying = {**with_mixture, "model": {**model, "copies": 0.2}}
    assert [t["met"] for t in check_targets(replaying, quiz=False) if t["figure"] == "copies"] == [False]
