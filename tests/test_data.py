"""Data: the quiz's points and files, the built-in π, the one scaling, the split into training and test points."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data import Population, Scaler, draw_from, held_out_split, load_dataset, round_to_grid
from data.picture import load_picture
from data.quiz import load_quiz
from data.synthetic import synthetic_pi
from tests.conftest import with_
from utils.errors import UserError


def test_quiz_points_follow_row_column_convention(quiz_dir: Path, tiny_cfg):
    points, shape = load_quiz(quiz_dir)
    xs, ys = np.load(quiz_dir / "pi_xs.npy"), np.load(quiz_dir / "pi_ys.npy")
    image = np.asarray(Image.open(quiz_dir / "sparse_pi_colored.jpg"))
    assert shape == (300, 300)
    assert points.shape == (len(xs), 5)
    assert points.dtype == np.float32
    np.testing.assert_array_equal(points[:, 0], xs)  # x is the row
    np.testing.assert_array_equal(points[:, 1], ys)  # y is the column
    np.testing.assert_array_equal(points[:, 2:], image[xs, ys])
    mask = quiz_dir / "sparse_pi.jpg"
    if mask.is_file():  # the grey mask is bright exactly at the data points
        grey = np.asarray(Image.open(mask))
        assert grey[xs, ys].min() > 127
        assert (grey > 127).sum() == len(xs)
    ds = load_dataset(with_(tiny_cfg, dataset="quiz", data_dir=str(quiz_dir)))
    assert ds.source == "quiz"
    assert ds.protocol == "held-out split"
    assert ds.scaled.min() >= 0
    assert ds.scaled.max() <= 1


def test_quiz_mask_as_a_picture_gives_the_quiz_points(quiz_dir: Path):
    """sparse_pi.jpg as mask_path: the picture loader finds exactly the quiz's 5000 points and colors."""
    mask = quiz_dir / "sparse_pi.jpg"
    if not mask.is_file():
        pytest.skip("sparse_pi.jpg is not in the quiz folder")
    population = load_picture(str(quiz_dir / "sparse_pi_colored.jpg"), str(mask))
    quiz, _ = load_quiz(quiz_dir)
    order = lambda p: p[np.lexsort((p[:, 1], p[:, 0]))]  # noqa: E731 - sort by row, then column
    np.testing.assert_array_equal(order(population.points), order(quiz))


def test_auto_falls_back_to_synthetic(tmp_path: Path, tiny_cfg, capsys):
    ds = load_dataset(with_(tiny_cfg, dataset="auto", data_dir=str(tmp_path / "empty")))
    assert ds.source == "synthetic"
    assert ds.train.shape == (1000, 5)  # as the quiz would: (1 - holdout) x num_points, holdout 0.5
    assert ds.test.shape == (1000, 5)
    assert ds.protocol == "fresh draw"
    assert "built-in" in capsys.readouterr().out


def test_synthetic_is_a_fixed_bold_glyph_inside_the_frame():
    population = synthetic_pi()
    points = population.points
    assert population.shape == (300, 300)
    assert len({(int(x), int(y)) for x, y in points[:, :2]}) == len(points)  # distinct pixels
    assert 25_000 < len(points) < 40_000  # bold: the regular weight has ~19,000 pixels at this size
    assert points[:, :2].min() > 5  # nothing cut off at the picture's edges
    assert points[:, :2].max() < 294
    np.testing.assert_array_equal(points, synthetic_pi().points)


def test_scaler_round_trip():
    scaler = Scaler.for_image(200, 300)
    points = np.array([[0, 299, 0, 128, 255], [199, 10, 3, 4, 5]], dtype=np.float32)
    scaled = scaler.to_model(points)
    np.testing.assert_allclose(scaled[:, :2], [[0, 1], [1, 10 / 299]], atol=1e-6)  # each axis to [0, 1]
    low, high = scaler.bounds()
    np.testing.assert_allclose(
        scaled[0, 2:], [low[2], low[3] + (high[3] - low[3]) * 128 / 255, high[4]], atol=1e-6
    )  # colors inside the margin
    assert low[2] > 0
    assert high[2] < 1
    np.testing.assert_allclose(scaler.to_data(scaled), points, atol=1e-3)
    np.testing.assert_allclose(scaler.to_data(np.array([[-0.1, 1.2, 0.0, 1.0, 0.5]]))[0, :3], [0, 299, 0])
    assert Scaler.from_dict(scaler.to_dict()) == scaler
    np.testing.assert_array_equal(
        round_to_grid(np.array([[-2.0, 300.4, 254.6, 1.4, 300.0]]), scaler), [[0, 299, 255, 1, 255]]
    )


def _write_quiz(folder: Path, xs, ys, image: Image.Image) -> Path:
    folder.mkdir(exist_ok=True)
    np.save(folder / "pi_xs.npy", np.asarray(xs))
    np.save(folder / "pi_ys.npy", np.asarray(ys))
    image.save(folder / "sparse_pi_colored.jpg")
    return folder


RGB = Image.new("RGB", (10, 10), (200, 100, 50))


@pytest.mark.parametrize(
    ("xs", "ys", "image", "message"),
    [
        ([1, 2], [1], RGB, "pi_xs.npy has 2 values but pi_ys.npy has 1"),
        ([1, 20], [1, 2], RGB, "outside the 10x10 image"),
        ([1.5, 2.0], [1, 2], RGB, "1-D integer array"),
        ([1, 2], [1, 2], Image.new("L", (10, 10)), "is a L image; an RGB image is needed"),
        ([1, 2], [1, 2], Image.new("RGBA", (10, 10)), "RGBA"),
    ],
)
def test_bad_quiz_files_are_named(tmp_path: Path, xs, ys, image, message):
    if image.mode == "RGBA":  # JPEG cannot hold RGBA: write a PNG under the expected name
        tmp_path.mkdir(exist_ok=True)
        np.save(tmp_path / "pi_xs.npy", np.asarray(xs))
        np.save(tmp_path / "pi_ys.npy", np.asarray(ys))
        image.save(tmp_path / "sparse_pi_colored.jpg", format="PNG")
        folder = tmp_path
    else:
        folder = _write_quiz(tmp_path / "q", xs, ys, image)
    with pytest.raises(UserError, match=message):
        load_quiz(folder)


def test_missing_and_corrupt_files(tmp_path: Path, tiny_cfg):
    with pytest.raises(UserError, match=r"does not exist"):
        load_dataset(with_(tiny_cfg, dataset="quiz", data_dir=str(tmp_path / "nowhere")))
    folder = _write_quiz(tmp_path / "q", [1], [1], RGB)
    (folder / "pi_ys.npy").unlink()
    with pytest.raises(UserError, match=r"missing pi_ys.npy"):
        load_quiz(folder)
    (folder / "pi_ys.npy").write_bytes(b"not an array")
    with pytest.raises(UserError, match=r"pi_ys.npy' is not a readable .npy"):
        load_quiz(folder)
    np.save(folder / "pi_ys.npy", np.array([1]))
    (folder / "sparse_pi_colored.jpg").write_bytes(b"garbage")
    with pytest.raises(UserError, match=r"not a readable image"):
        load_quiz(folder)


# --- a user's picture ------------------------------------------------------------------------------


def _population(n: int) -> np.ndarray:
    return np.column_stack([np.arange(n), np.zeros((n, 4))]).astype(np.float32)  # row i: point i


@pytest.mark.parametrize(
    ("size", "num_points", "protocol", "n_train", "n_test"),
    [
        (10_000, 4000, "fresh draw", 4000, 4000),  # enough pixels: test points are other pixels
        (5_000, 4000, "fresh draw", 4000, 1000),  # fewer left than drawn: all the rest
        (4_300, 4000, "held-out split", 2000, 2000),  # 300 left is too few: hold out half the draw
        (3_000, 4000, "held-out split", 1500, 1500),  # a small picture: all its pixels, split
    ],
)
def test_fresh_draw_or_held_out_split(size, num_points, protocol, n_train, n_test):
    train, test, got = draw_from(
        Population(_population(size), (size, 1), "p"), num_points, 0.5, np.random.default_rng(0)
    )
    assert (got, len(train), len(test)) == (protocol, n_train, n_test)
    assert not set(train[:, 0]) & set(test[:, 0])  # never a training point among the test points


def test_held_out_split_and_in_sample():
    points = _population(100)
    train, test, protocol = held_out_split(points, 0.2, np.random.default_rng(0))
    assert (protocol, len(train), len(test)) == ("held-out split", 80, 20)
    assert sorted(np.concatenate([train, test])[:, 0]) == list(range(100))
    train, test, protocol = held_out_split(points, 0.0, np.random.default_rng(0))
    assert protocol == "in-sample"
    assert train is test


def test_the_split_depends_on_the_seed_only(tiny_cfg):
    a, b = load_dataset(tiny_cfg, announce=False), load_dataset(tiny_cfg, announce=False)
    np.testing.assert_array_equal(a.train, b.train)
    np.testing.assert_array_equal(a.test, b.test)
    c = load_dataset(with_(tiny_cfg, seed=1), announce=False)
    assert not np.array_equal(a.train, c.train)


# --- a picture's background -------------------------------------------------------------------------
