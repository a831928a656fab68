"""A picture of the user's own: its foreground pixels as points, told apart from the background."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data import Scaler, load_dataset
from data.picture import MAX_PIXELS, MIN_POINTS, load_picture
from tests.conftest import with_
from utils.errors import UserError
from utils.plotting import render


def _picture(path: Path, height: int = 40, width: int = 60, mode: str = "RGB") -> Path:
    """A dark picture with a bright 20x30 block at rows 10..29, columns 20..49, colored by position."""
    rgb = np.zeros((height, width, 3), dtype=np.uint8)
    rows, cols = np.mgrid[10:30, 20:50]
    rgb[10:30, 20:50] = np.stack([rows * 5, cols * 4, np.full_like(rows, 100)], axis=-1)
    rgb[0, 0] = (30, 30, 30)  # dim JPEG-like noise: background
    image = Image.fromarray(rgb)
    if mode == "RGBA":
        alpha = np.zeros((height, width), dtype=np.uint8)
        alpha[10:30, 20:30] = 255  # only the left third of the block is opaque
        image = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
    elif mode == "L":
        image = image.convert("L")
    image.save(path)
    return path


def test_picture_points_are_rows_columns_and_colors(tmp_path: Path):
    population = load_picture(str(_picture(tmp_path / "p.png")))
    points = population.points
    assert population.shape == (40, 60)  # (height, width): not square, not transposed
    assert points.shape == (600, 5)
    assert points.dtype == np.float32
    assert (points[:, 0].min(), points[:, 0].max(), points[:, 1].min(), points[:, 1].max()) == (10, 29, 20, 49)
    np.testing.assert_array_equal(points[:, 2], points[:, 0] * 5)  # red follows the row
    np.testing.assert_array_equal(points[:, 3], points[:, 1] * 4)  # green follows the column
    assert Scaler.for_image(*population.shape).image_shape == (40, 60)


def test_picture_threshold_mask_alpha_and_grey(tmp_path: Path):
    path = _picture(tmp_path / "p.png")
    assert len(load_picture(str(path), threshold=20).points) == 601  # the dim pixel counts too
    # brightest channel = max(5 row, 4 col, 100): above 150 only where 4 col > 150, columns 38..49
    assert len(load_picture(str(path), threshold=150).points) == 20 * 12
    mask = np.zeros((40, 60), dtype=np.uint8)
    mask[0:20, 0:15] = 255  # 300 pixels, half of them outside the bright block: the mask decides
    Image.fromarray(mask).save(tmp_path / "mask.png")
    masked = load_picture(str(path), str(tmp_path / "mask.png")).points
    assert len(masked) == 300
    assert masked[:, 0].max() == 19
    assert masked[:, 1].max() == 14
    rgba = load_picture(str(_picture(tmp_path / "a.png", mode="RGBA"))).points
    assert len(rgba) == 200  # alpha > 0 decides, not brightness
    assert rgba[:, 1].max() == 29
    grey = load_picture(str(_picture(tmp_path / "g.png", mode="L"))).points
    assert len(grey) == 600
    np.testing.assert_array_equal(grey[:, 2], grey[:, 3])  # grey becomes equal r, g, b


def test_picture_mask_of_two_points_is_too_few(tmp_path: Path):
    path = _picture(tmp_path / "p.png")
    mask = np.zeros((40, 60), dtype=np.uint8)
    mask[12, 25] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    with pytest.raises(UserError, match=rf"only 1 foreground pixels.*at least {MIN_POINTS}"):
        load_picture(str(path), str(tmp_path / "mask.png"))


def test_bad_pictures_get_one_clear_message(tmp_path: Path, monkeypatch):
    good = _picture(tmp_path / "p.png")
    with pytest.raises(UserError, match=r"does not exist"):
        load_picture(str(tmp_path / "missing.png"))
    (tmp_path / "bad.png").write_bytes(b"this is not a picture")
    with pytest.raises(UserError, match=r"not a readable PNG or JPEG"):
        load_picture(str(tmp_path / "bad.png"))
    (tmp_path / "cut.png").write_bytes(good.read_bytes()[:-40])  # a truncated file
    with pytest.raises(UserError, match=r"cannot be decoded|not a readable"):
        load_picture(str(tmp_path / "cut.png"))
    Image.new("RGB", (50, 50)).save(tmp_path / "black.png")
    with pytest.raises(UserError, match=r"no foreground pixels.*brightest value is 0"):
        load_picture(str(tmp_path / "black.png"))
    Image.new("L", (10, 10)).save(tmp_path / "small_mask.png")
    with pytest.raises(UserError, match=r"mask must have the picture's size"):
        load_picture(str(good), str(tmp_path / "small_mask.png"))
    monkeypatch.setattr("data.picture.MAX_PIXELS", 1000)
    with pytest.raises(UserError, match=r"too large to hold in memory"):
        load_picture(str(good))
    assert MAX_PIXELS >= 10_000_000


def test_image_dataset_through_the_config(tmp_path: Path, tiny_cfg):
    rgb = np.zeros((40, 80, 3), dtype=np.uint8)
    rgb[2:38, 2:78] = 200  # 2736 foreground pixels
    Image.fromarray(rgb).save(tmp_path / "wide.png")
    ds = load_dataset(with_(tiny_cfg, dataset="image", image_path=str(tmp_path / "wide.png"), num_points=1000))
    assert ds.source == "image"
    assert ds.protocol == "fresh draw"
    assert ds.scaler.image_shape == (40, 80)
    assert len(ds.train) == len(ds.test) == 1000


# --- which real points the evaluation uses --------------------------------------------------------


def _logo(background: tuple[int, int, int], ink: tuple[int, int, int]) -> tuple[Image.Image, np.ndarray]:
    """A 120x160 picture: a ring and a bar in `ink` on `background`; and the (H, W) mask of the ink."""
    yy, xx = np.mgrid[:120, :160]
    ring = np.abs(np.hypot(yy - 60, xx - 55) - 35) < 8
    bar = (yy > 30) & (yy < 90) & (xx > 110) & (xx < 135)
    mask = ring | bar
    rgb = np.empty((120, 160, 3), dtype=np.uint8)
    rgb[:] = background
    rgb[mask] = ink
    return Image.fromarray(rgb), mask


def test_a_logo_on_white_jpeg_is_its_ink_not_the_page(tmp_path: Path):
    image, mask = _logo((255, 255, 255), (200, 30, 40))
    image.save(tmp_path / "logo.jpg", quality=85)  # JPEG: the page and the edges are no longer exact
    population = load_picture(str(tmp_path / "logo.jpg"))
    assert all(c >= 245 for c in population.background)  # the page's white, read from the border
    assert abs(len(population.points) - mask.sum()) < 0.05 * mask.sum()
    rows, cols = population.points[:, 0].astype(int), population.points[:, 1].astype(int)
    assert mask[rows, cols].mean() > 0.95  # the points are the ink
    assert np.median(population.points[:, 2]) > 150  # and red, as the ink is


def test_a_drawing_on_a_colored_page(tmp_path: Path):
    image, mask = _logo((240, 225, 170), (30, 60, 140))  # dark blue strokes on a yellowish page
    image.save(tmp_path / "page.png")
    population = load_picture(str(tmp_path / "page.png"))
    assert population.background == (240, 225, 170)
    assert len(population.points) == mask.sum()


def test_a_dark_background_keeps_the_brightness_rule(tmp_path: Path):
    image, mask = _logo((0, 0, 0), (40, 200, 90))
    image.save(tmp_path / "dark.png")
    population = load_picture(str(tmp_path / "dark.png"))
    assert population.background == (0, 0, 0)
    assert len(population.points) == mask.sum()


def test_no_background_to_tell_apart_is_one_message(tmp_path: Path):
    noise = np.random.default_rng(0).integers(0, 256, (80, 100, 3), dtype=np.uint8)  # like a photograph's edge
    noise[:, :, 0] = np.maximum(noise[:, :, 0], 128)  # bright enough that it is not a dark background
    Image.fromarray(noise).save(tmp_path / "photo.png")
    with pytest.raises(UserError, match=r"cannot tell the background of .*mask_path.*transparency"):
        load_picture(str(tmp_path / "photo.png"))


def test_frames_are_painted_on_the_pictures_background(tmp_path: Path, tiny_cfg):
    image, _ = _logo((250, 250, 250), (10, 10, 10))
    image.save(tmp_path / "ink.png")
    ds = load_dataset(with_(tiny_cfg, dataset="image", image_path=str(tmp_path / "ink.png"), num_points=500))
    assert ds.canvas.background == (250, 250, 250)
    picture = render(ds.train, ds.canvas)
    assert (picture[0, 0] == 250).all()  # the page where no point is
    row, col = ds.train[0, :2].astype(int)
    assert (picture[row, col] < 60).all()  # the dark ink where a point is


@pytest.mark.parametrize(("ink", "canvas"), [((20, 40, 120), (255, 255, 255)), ((250, 200, 40), (0, 0, 0))])
def test_a_transparent_picture_is_drawn_where_its_ink_shows(tmp_path: Path, ink, canvas):
    """Dark letters on transparency are drawn on white, bright ones on black: both can be read in the frames."""
    rgba = np.zeros((40, 60, 4), dtype=np.uint8)
    rgba[10:30, 10:50] = (*ink, 255)
    Image.fromarray(rgba).save(tmp_path / "letters.png")
    assert load_picture(str(tmp_path / "letters.png")).background == canvas
