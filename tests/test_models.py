"""Models: shapes, gradients, the loss's maths, sampling, the latent mixture, the fast sampler."""

from __future__ import annotations

import math

import pytest
import torch

import models.vae
from models import MODELS, build_model
from models import likelihood as lik
from models.latent_prior import fit_gaussian_mixture
from models.vae import kl_to_standard_normal, reparameterize
from tests.conftest import QUIZ_SCALER, inside_points, with_

SCALER = QUIZ_SCALER
F = SCALER.n_features


FAMILY = [(name, layers, "gaussian") for name in sorted(MODELS) for layers in (1, 2)]
FAMILY += [(name, 1, "learned") for name in sorted(MODELS)]


@pytest.fixture(params=FAMILY, ids=str)
def model(request, tiny_cfg):
    name, layers, likelihood = request.param
    return build_model(with_(tiny_cfg, model=name, num_layers=layers, likelihood=likelihood), SCALER)


def _batch_sigma_nll(model: models.vae.VAE, x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    return lik.batch_sigma_nll(x, x_hat, model._ends(x), (model.lower, model.upper), model.floor)


def test_shapes(model, tiny_cfg):
    x_hat, mu, logvar = model(inside_points(7))
    assert x_hat.shape == (7, F)
    assert mu.shape == logvar.shape == (7, tiny_cfg.latent_dim)


def test_gradients_reach_every_parameter(model):
    model.loss(inside_points(16), beta=0.5).total.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, f"no gradient reaches {name}"
        assert p.grad.abs().sum() > 0, f"zero gradient at {name}"


@pytest.mark.parametrize("likelihood", ["gaussian", "learned", "mse"])
def test_loss_formula(tiny_cfg, likelihood):
    model = build_model(with_(tiny_cfg, likelihood=likelihood), SCALER)
    x = inside_points(16)
    terms = {}
    for beta in (0.0, 1.0, 0.25):
        torch.manual_seed(1)  # the same reparameterisation noise for each β
        terms[beta] = model.loss(x, beta)
    assert torch.equal(terms[0.0].total, terms[0.0].recons)
    assert torch.equal(terms[1.0].total, terms[1.0].kld)
    torch.testing.assert_close(terms[0.25].total, 0.75 * terms[0.25].recons + 0.25 * terms[0.25].kld)


@pytest.mark.parametrize("likelihood", ["gaussian", "mse"])
def test_recons_of_a_decoder_off_by_a_known_amount(tiny_cfg, monkeypatch, likelihood):
    """A decoder that misses every value by exactly 0.1: squared error 5 x 0.01 per point; the σ-VAE's optimal
    variance is then 0.01 + the rounding variance q_f (one data unit² / 12), and recons Σ_f ½·log of it."""
    model = build_model(with_(tiny_cfg, likelihood=likelihood), SCALER)
    x = inside_points(32)
    monkeypatch.setattr(model, "decode_stats", lambda z: (x + 0.1, None))
    recons = model.loss(x, beta=0.0).recons.item()
    unit = [1 / 299, 1 / 299, 0.9 / 255, 0.9 / 255, 0.9 / 255]  # one data unit in model space (colors: margin 0.05)
    expected = 5 * 0.01 if likelihood == "mse" else sum(0.5 * math.log(0.01 + u**2 / 12) for u in unit)
    assert recons == pytest.approx(expected, rel=1e-4)


def test_learned_recons_of_a_known_decoder(tiny_cfg, monkeypatch):
    """Off by 0.1 everywhere, variance 0.01 on half the points and 0.04 on the other half: per value
    ½·(log v + 0.01/v), weighted by σ / mean σ (β-NLL with β = ½): 2/3 and 4/3."""
    model = build_model(with_(tiny_cfg, likelihood="learned"), SCALER)
    x = inside_points(32)
    var = torch.full((32, F), 0.01)
    var[16:] = 0.04
    monkeypatch.setattr(model, "decode_stats", lambda z: (x + 0.1, var))
    recons = model.loss(x, beta=0.0).recons.item()
    quiet, loud = 0.5 * (math.log(0.01) + 1.0), 0.5 * (math.log(0.04) + 0.25)
    assert recons == pytest.approx(F * (0.5 * 2 / 3 * quiet + 0.5 * 4 / 3 * loud), rel=1e-5)


def test_learned_sigma_scales_each_points_noise(tiny_cfg, monkeypatch):
    """A decoder whose σ is 0.001 for even rows and 0.1 for odd ones: calibrated on residuals of exactly
    that spread, its samples have that spread, row by row."""
    model = build_model(with_(tiny_cfg, likelihood="learned", noise_covariance="diagonal"), SCALER)

    def decoded(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        var = torch.full((len(z), F), 0.1**2)
        var[::2] = 0.001**2
        return torch.full((len(z), F), 0.5), var

    monkeypatch.setattr(model, "decode_stats", decoded)
    monkeypatch.setattr(model, "sampling_decoder", lambda: decoded)
    x = 0.5 + decoded(torch.zeros(4000, 1))[1].sqrt() * torch.randn(4000, F, generator=torch.Generator().manual_seed(0))
    model.calibrate(x, torch.Generator().manual_seed(0), em_iters=2)
    torch.testing.assert_close(model.noise_std, torch.ones(F), atol=0.05, rtol=0)
    points = model.sample(4000, torch.Generator().manual_seed(1))
    torch.testing.assert_close(points[::2].std(0), torch.full((F,), 0.001), rtol=0.1, atol=0)
    torch.testing.assert_close(points[1::2].std(0), torch.full((F,), 0.1), rtol=0.1, atol=0)


def test_censored_values_reward_a_mean_past_the_end(tiny_cfg):
    """A red value at 255 is 'at least 255': a mean above the end costs almost nothing, below costs a lot."""
    model = build_model(tiny_cfg, SCALER)
    x = inside_points(64)
    x[:8, 2] = model.upper[2]  # eight saturated reds
    x_hat = x.clone()
    x_hat[:, 2] += 0.01 * torch.randn(64, generator=torch.Generator().manual_seed(0))  # some error everywhere
    above, below = x_hat.clone(), x_hat.clone()
    above[:8, 2] = model.upper[2] + 0.04  # the decoder's mean past the end: clamping gives 255
    below[:8, 2] = model.upper[2] - 0.04
    assert _batch_sigma_nll(model, x, above) < _batch_sigma_nll(model, x, x_hat) < _batch_sigma_nll(model, x, below)
    sigma = ((x_hat[8:, 2] - x[8:, 2]) ** 2).mean() + SCALER.quantum()[2]  # σ² from uncensored values only
    gap = _batch_sigma_nll(model, x, below) - _batch_sigma_nll(model, x, above)
    expected = -8 * (torch.special.log_ndtr(-0.04 / sigma.sqrt()) - torch.special.log_ndtr(0.04 / sigma.sqrt())) / 64
    torch.testing.assert_close(gap, expected)


def test_kl_and_reparameterisation():
    mu, logvar = torch.zeros(4, 3), torch.zeros(4, 3)
    assert torch.equal(kl_to_standard_normal(mu, logvar), torch.zeros(4))
    torch.testing.assert_close(kl_to_standard_normal(torch.ones(1, 2), torch.zeros(1, 2)), torch.tensor([1.0]))
    torch.manual_seed(0)
    z = reparameterize(torch.full((200_000, 1), 2.0), torch.full((200_000, 1), 2 * math.log(3.0)))
    assert abs(z.mean() - 2.0) < 0.03
    assert abs(z.std() - 3.0) < 0.03  # std = exp(0.5 * logvar) = 3


def test_samples_are_fresh_unless_seeded_and_inside_the_range(model):
    model.calibrate(inside_points(300), torch.Generator().manual_seed(0))
    a, b = model.sample(50), model.sample(50)
    assert a.shape == (50, F)
    assert not torch.equal(a, b)
    seeded = [model.sample(50, torch.Generator().manual_seed(3)) for _ in range(2)]
    assert torch.equal(*seeded)
    assert (a >= model.lower).all()
    assert (a <= model.upper).all()
    assert model.sample(0).shape == (0, F)


def test_a_mean_past_the_end_gives_exactly_saturated_colors(tiny_cfg, monkeypatch):
    model = build_model(with_(tiny_cfg, noise_covariance="diagonal"), SCALER)  # one σ for all points, set below
    model.calibrate(inside_points(300), torch.Generator().manual_seed(0))
    model.noise_std.fill_(0.01)
    monkeypatch.setattr(model, "sampling_decoder", lambda: lambda z: (torch.full((len(z), F), 0.99), None))
    points = SCALER.to_data(model.sample(1000, torch.Generator().manual_seed(0)).numpy())
    assert (points[:, 2:] == 255).mean() > 0.99  # 0.99 is 4 σ past 0.95, the end of the color range
    assert (points[:, 0] == 299).mean() < 0.3  # positions have no margin: 0.99 is 1 σ inside the picture


def test_calibration_fits_prior_and_output_noise(model):
    assert not bool(model.prior.fitted)
    assert model.noise_std.abs().sum() == 0
    model.calibrate(inside_points(300), torch.Generator().manual_seed(0))
    assert bool(model.prior.fitted)
    assert (model.noise_std > 0).all()


def test_a_frames_fit_carries_nothing_from_earlier_fits(model):
    """A preview fit starts afresh: the same points and seed give the same frame whatever came before."""
    x = inside_points(300)
    model.calibrate(x, torch.Generator().manual_seed(0), em_iters=3)
    first = model.sample(500, torch.Generator().manual_seed(1))
    model.calibrate(inside_points(300, seed=3), torch.Generator().manual_seed(5))  # another fit in between
    model.calibrate(x, torch.Generator().manual_seed(0), em_iters=3)
    assert torch.equal(first, model.sample(500, torch.Generator().manual_seed(1)))


def test_reconstruct_decodes_the_posterior(model):
    x = inside_points(40)
    model.calibrate(x, torch.Generator().manual_seed(0))
    mean = model.reconstruct(x, torch.Generator().manual_seed(1), use_mean=True)
    sampled = model.reconstruct(x, torch.Generator().manual_seed(1), use_mean=False)
    assert mean.shape == sampled.shape == (40, F)
    assert not torch.equal(mean, sampled)
    assert torch.equal(mean, model.reconstruct(x, torch.Generator().manual_seed(1), use_mean=True))


def test_gaussian_mixture_recovers_known_components():
    g = torch.Generator().manual_seed(0)
    centers = torch.tensor([[-5.0, 0.0], [5.0, 0.0]])
    z = torch.cat(
        [centers[0] + 0.5 * torch.randn(3000, 2, generator=g), centers[1] + 2.0 * torch.randn(1000, 2, generator=g)]
    )
    weights, means, cov = fit_gaussian_mixture(z, 2, torch.Generator().manual_seed(1))
    order = means[:, 0].argsort()
    torch.testing.assert_close(means[order], centers, atol=0.2, rtol=0)
    torch.testing.assert_close(weights[order], torch.tensor([0.75, 0.25]), atol=0.02, rtol=0)
    stds = cov[order].diagonal(dim1=1, dim2=2).sqrt()
    torch.testing.assert_close(stds, torch.tensor([[0.5, 0.5], [2.0, 2.0]]), atol=0.15, rtol=0)


@pytest.mark.parametrize(
    ("hidden_dim", "num_head", "num_layers", "likelihood"),
    [(32, 2, 1, "gaussian"), (24, 3, 2, "gaussian"), (16, 1, 1, "gaussian"), (32, 2, 1, "learned")],
)
def test_batch_last_decoder_matches_decode(tiny_cfg, hidden_dim, num_head, num_layers, likelihood):
    cfg = with_(tiny_cfg, model="transformer_vae", hidden_dim=hidden_dim, num_head=num_head, num_layers=num_layers)
    cfg = with_(cfg, likelihood=likelihood)
    model = build_model(cfg, SCALER)
    with torch.no_grad():  # LayerNorm's affine starts at (1, 0); perturb it so that folding it is really tested
        for layer in model.generator:
            for norm in (layer.norm1, layer.norm2):
                norm.weight.normal_(1.0, 0.3)
                norm.bias.normal_(0.0, 0.3)
    z = 2 * torch.randn(500, tiny_cfg.latent_dim)
    with torch.no_grad():
        (fast_mean, fast_var), (mean, var) = model.sampling_decoder()(z), model.eval().decode_stats(z)
    torch.testing.assert_close(fast_mean, mean, atol=1e-5, rtol=0)
    if likelihood == "learned":
        torch.testing.assert_close(fast_var, var, atol=1e-7, rtol=1e-4)
    else:
        assert fast_var is None
        assert var is None


def test_seeded_samples_do_not_depend_on_threads_or_calls(model, monkeypatch):
    """The same points with 1 or 2 threads, and from one call or from calls of whole blocks (streaming).

    Every call decodes in chunks of the same size: a BLAS may round a row differently in a matrix product
    of another height (seen on a 16-core host), so only equal chunk layouts promise equal bits."""
    monkeypatch.setattr(models.vae, "BLOCK", 256)
    monkeypatch.setattr(models.vae, "PARALLEL_CHUNKS", 2)  # workers for the 4 chunks of a block
    model.calibrate(inside_points(300), torch.Generator().manual_seed(0))
    threads = torch.get_num_threads()
    points = []
    for count in (1, 2):
        torch.set_num_threads(count)  # 2: chunks are decoded by two workers
        try:
            points.append(model.sample(1000, torch.Generator().manual_seed(7), chunk=64))
            assert torch.get_num_threads() == count, "sampling must restore torch's thread count"
        finally:
            torch.set_num_threads(threads)
    assert torch.equal(*points)
    generator = torch.Generator().manual_seed(7)
    in_parts = torch.cat([model.sample(n, generator, chunk=64) for n in (512, 256, 232)])
    assert torch.equal(in_parts, points[0])


def test_precision_floor_is_half_a_pixel_and_half_the_pixel_noise(tiny_cfg):
    """A block of pixels with a smooth color field plus N(0, 10²) noise: floors of 0.5 px and about 5 levels."""
    rows, cols = (a.ravel() for a in torch.meshgrid(torch.arange(60.0), torch.arange(60.0), indexing="ij"))
    smooth = torch.stack([rows * 2, cols * 2, rows + cols], dim=1) + 40
    noisy = smooth + 10 * torch.randn(len(rows), 3, generator=torch.Generator().manual_seed(0))
    points = torch.cat([rows[:, None], cols[:, None], noisy.clamp(0, 255)], dim=1).numpy()
    model = build_model(tiny_cfg, SCALER)
    torch.testing.assert_close(model.floor, model.quantum)  # before fitting: only the rounding variance
    model.fit_floor(torch.from_numpy(SCALER.to_model(points)))
    unit = (12 * model.quantum).sqrt()  # one data unit in model space
    in_data_units = (model.floor.sqrt() / unit).tolist()
    assert in_data_units[:2] == pytest.approx([0.5, 0.5], rel=1e-4)
    assert in_data_units[2:] == pytest.approx([5.0, 5.0, 5.0], rel=0.15)
