from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data import Scaler, load_dataset, round_to_grid
from data.quiz import load_quiz
from data.synthetic import synthetic_pi
from tests.conftest import with_
from utils.errors import UserError


def test_quiz_points_follow_row_column_convention(quiz_dir: Path, tiny_cfg):
    ds = load_dataset(with_(tiny_cfg, dataset="quiz", data_dir=str(quiz_dir)))
    xs, ys = np.load(quiz_dir / "pi_xs.npy"), np.load(quiz_dir / "pi_ys.npy")
    image = np.asarray(Image.open(quiz_dir / "sparse_pi_colored.jpg"))
    assert ds.source == "quiz"
    assert ds.points.shape == (len(xs), 5)
    assert ds.points.dtype == np.float32
    np.testing.assert_array_equal(ds.points[:, 0], xs)  # x is the row
    np.testing.assert_array_equal(ds.points[:, 1], ys)  # y is the column
    np.testing.assert_array_equal(ds.points[:, 2:], image[xs, ys])
    mask = quiz_dir / "sparse_pi.jpg"
    if mask.is_file():  # the grey mask is bright exactly at the data points
        grey = np.asarray(Image.open(mask))
        assert grey[xs, ys].min() > 127
        assert (grey > 127).sum() == len(xs)
    assert ds.points[:, :2].max() <= 299
    assert ds.points[:, 2:].max() <= 255
    assert ds.points.min() >= 0
    assert ds.scaled.min() >= 0
    assert ds.scaled.max() <= 1


def test_auto_falls_back_to_synthetic(tmp_path: Path, tiny_cfg, capsys):
    ds = load_dataset(with_(tiny_cfg, dataset="auto", data_dir=str(tmp_path / "empty")))
    assert ds.source == "synthetic"
    assert ds.points.shape == (5000, 5)
    assert "synthetic" in capsys.readouterr().out


def test_synthetic_is_a_glyph_of_distinct_pixels():
    points, (h, w) = synthetic_pi(seed=1)
    pixels = {(int(x), int(y)) for x, y in points[:, :2]}
    assert len(pixels) == len(points)
    assert (h, w) == (300, 300)
    assert points[:, 2:].min() >= 0
    assert points[:, 2:].max() <= 255
    np.testing.assert_array_equal(points, synthetic_pi(seed=1)[0])


def test_scaler_round_trip():
    scaler = Scaler.for_image(300, 300)
    points = np.array([[0, 299, 0, 128, 255], [150, 10, 3, 4, 5]], dtype=np.float32)
    scaled = scaler.to_model(points)
    assert scaled.min() == 0
    assert scaled.max() == 1
    np.testing.assert_allclose(scaler.to_data(scaled), points, atol=1e-4)
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
    with pytest.raises(UserError, match="does not exist"):
        load_dataset(with_(tiny_cfg, dataset="quiz", data_dir=str(tmp_path / "nowhere")))
    folder = _write_quiz(tmp_path / "q", [1], [1], RGB)
    (folder / "pi_ys.npy").unlink()
    with pytest.raises(UserError, match="missing pi_ys.npy"):
        load_quiz(folder)
    (folder / "pi_ys.npy").write_bytes(b"not an array")
    with pytest.raises(UserError, match="pi_ys.npy' is not a readable .npy"):
        load_quiz(folder)
    np.save(folder / "pi_ys.npy", np.array([1]))
    (folder / "sparse_pi_colored.jpg").write_bytes(b"garbage")
    with pytest.raises(UserError, match="not a readable image"):
        load_quiz(folder)
