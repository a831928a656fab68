"""Every model of the registry, with either prior: shapes, gradients, the loss's maths, the way from the prior to
a point, calibration, the latent mixture."""

from __future__ import annotations

import math

import pytest
import torch

import models.vae
from models import MODELS, build_model, likelihood
from models.prior import fit_mixture
from models.vae import kl_to_standard_normal, reparameterize
from tests.conftest import QUIZ_SCALER, inside_points, with_

SCALER = QUIZ_SCALER
F = SCALER.n_features
FAMILY = [(name, layers, prior) for name in sorted(MODELS) for layers in (1, 2) for prior in ("gmm", "standard")]


@pytest.fixture(params=FAMILY, ids=str)
def model(request, tiny_cfg):
    name, layers, prior = request.param
    return build_model(with_(tiny_cfg, model=name, num_layers=layers, prior=prior), SCALER)


def test_shapes(model, tiny_cfg):
    mu, logvar = model.encode(inside_points(7))
    assert mu.shape == logvar.shape == (7, tiny_cfg.latent_dim)
    mean, var = model.decode(mu)
    assert mean.shape == var.shape == (7, F)
    assert (var >= model.quantum).all()  # never below the rounding variance


def test_gradients_reach_every_parameter(model):
    model.loss(inside_points(16), beta=0.5).total.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, f"no gradient reaches {name}"
        assert p.grad.abs().sum() > 0, f"zero gradient at {name}"


def test_loss_formula(model):
    x = inside_points(16)
    terms = {}
    for beta in (0.0, 1.0, 0.25):
        torch.manual_seed(1)  # the same reparameterisation noise for each β
        terms[beta] = model.loss(x, beta)
    assert torch.equal(terms[0.0].total, terms[0.0].recons)
    assert torch.equal(terms[1.0].total, terms[1.0].kld)
    torch.testing.assert_close(terms[0.25].total, 0.75 * terms[0.25].recons + 0.25 * terms[0.25].kld)


def test_recons_of_a_known_decoder(tiny_cfg, monkeypatch):
    """Off by 0.1 everywhere, variance 0.01 on half the points and 0.04 on the other half: per value
    ½·(log v + 0.01/v), weighted by σ / mean σ (β-NLL with β = ½): 2/3 and 4/3."""
    model = build_model(tiny_cfg, SCALER)
    x = inside_points(32)
    var = torch.full((32, F), 0.01)
    var[16:] = 0.04
    monkeypatch.setattr(model, "decode", lambda z: (x + 0.1, var))
    recons = model.loss(x, beta=0.0).recons.item()
    quiet, loud = 0.5 * (math.log(0.01) + 1.0), 0.5 * (math.log(0.04) + 0.25)
    assert recons == pytest.approx(F * (0.5 * 2 / 3 * quiet + 0.5 * 4 / 3 * loud), rel=1e-5)


def test_censored_values_reward_a_mean_past_the_end(tiny_cfg):
    """A red value at 255 is 'at least 255': a mean above the end costs almost nothing, below it a lot."""
    model = build_model(tiny_cfg, SCALER)
    x = inside_points(64)
    x[:8, 2] = model.upper[2]  # eight saturated reds
    var = torch.full((64, F), 0.02**2)

    def nll(mean: torch.Tensor) -> torch.Tensor:
        return likelihood.nll(x, mean, var, model._ends(x), (model.lower, model.upper))

    above, below = x.clone(), x.clone()
    above[:8, 2] += 0.04  # the decoder's mean past the end: clamping its samples gives 255
    below[:8, 2] -= 0.04
    assert nll(above) < nll(x) < nll(below)
    expected = -8 * (torch.special.log_ndtr(torch.tensor(-2.0)) - torch.special.log_ndtr(torch.tensor(2.0))) / 64
    torch.testing.assert_close(nll(below) - nll(above), expected)


def test_kl_and_reparameterisation():
    mu, logvar = torch.zeros(4, 3), torch.zeros(4, 3)
    assert torch.equal(kl_to_standard_normal(mu, logvar), torch.zeros(4))
    torch.testing.assert_close(kl_to_standard_normal(torch.ones(1, 2), torch.zeros(1, 2)), torch.tensor([1.0]))
    torch.manual_seed(0)
    z = reparameterize(torch.full((200_000, 1), 2.0), torch.full((200_000, 1), 2 * math.log(3.0)))
    assert abs(z.mean() - 2.0) < 0.03
    assert abs(z.std() - 3.0) < 0.03  # std = exp(0.5 * logvar) = 3


def test_a_sample_is_the_decoded_latent_plus_its_components_noise(model):
    """The module docstring's four lines, done by hand with the same random numbers, give the same points."""
    model.calibrate(inside_points(300), torch.Generator().manual_seed(0))
    rng = torch.Generator().manual_seed(3)
    z, component = model.prior.sample(200, rng)
    eps = torch.randn(200, F, generator=rng)
    mean, var = model.eval().decode(z)
    spread = model.output_noise * (model.noise.chol[component] @ eps[:, :, None]).squeeze(-1)
    by_hand = torch.clamp(mean + var.sqrt() * (model.noise.means[component] + spread), model.lower, model.upper)
    torch.testing.assert_close(model.sample(200, torch.Generator().manual_seed(3)), by_hand, atol=1e-6, rtol=0)


@pytest.mark.parametrize("prior", ["gmm", "standard"])
def test_output_noise_zero_is_the_decoded_mean_of_the_latent(tiny_cfg, prior):
    """`output_noise: 0`: no spread; each point its decoded mean, shifted by its component's mean residual."""
    model = build_model(with_(tiny_cfg, output_noise=0.0, prior=prior), SCALER)
    model.calibrate(inside_points(300), torch.Generator().manual_seed(0))
    rng = torch.Generator().manual_seed(3)
    z, component = model.prior.sample(200, rng)
    mean, var = model.eval().decode(z)
    by_hand = torch.clamp(mean + var.sqrt() * model.noise.means[component], model.lower, model.upper)
    torch.testing.assert_close(model.sample(200, torch.Generator().manual_seed(3)), by_hand, atol=1e-6, rtol=0)


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
    """The decoder's mean at 0.99 with σ 0.01: 4 σ past the end of a color's range (0.95), 1 σ inside a position's."""
    model = build_model(tiny_cfg, SCALER)
    monkeypatch.setattr(model, "decode", lambda z: (torch.full((len(z), F), 0.99), torch.full((len(z), F), 1e-4)))
    points = SCALER.to_data(model.sample(1000, torch.Generator().manual_seed(0)).numpy())  # noise N(0, 1) in σ
    assert (points[:, 2:] == 255).mean() > 0.99
    assert (points[:, 0] == 299).mean() < 0.3


def test_calibration_fits_the_prior_and_the_noise(model):
    before = {
        name: buffer.clone() for name, buffer in model.state_dict().items() if name.startswith(("prior", "noise"))
    }
    model.calibrate(inside_points(300), torch.Generator().manual_seed(0))
    changed = {name for name, buffer in before.items() if not torch.equal(buffer, model.state_dict()[name])}
    if model.prior.fixed:  # N(0, I): one component, nothing to fit but its noise
        assert changed == {"noise.means", "noise.chol"}
    else:
        assert changed == {"prior.weights", "prior.means", "prior.cov", "noise.means", "noise.chol"}


def test_the_standard_prior_is_one_component_that_stays_n01(tiny_cfg):
    model = build_model(with_(tiny_cfg, prior="standard"), SCALER)
    model.calibrate(inside_points(300), torch.Generator().manual_seed(0))
    assert model.prior.components == 1
    z, component = model.prior.sample(20_000, torch.Generator().manual_seed(1))
    assert (component == 0).all()
    torch.testing.assert_close(z.mean(0), torch.zeros(tiny_cfg.latent_dim), atol=0.03, rtol=0)
    torch.testing.assert_close(z.std(0), torch.ones(tiny_cfg.latent_dim), atol=0.03, rtol=0)


def test_a_fit_from_k_means_carries_nothing_from_earlier_fits(model):
    """Without memberships to start from, a fit starts afresh: the same points and seed give the same points
    whatever came before."""
    x = inside_points(300)
    model.calibrate(x, torch.Generator().manual_seed(0), steps=3)
    first = model.sample(500, torch.Generator().manual_seed(1))
    model.calibrate(inside_points(300, seed=3), torch.Generator().manual_seed(5))  # another fit in between
    model.calibrate(x, torch.Generator().manual_seed(0), steps=3)
    assert torch.equal(first, model.sample(500, torch.Generator().manual_seed(1)))


def test_a_fit_from_memberships_goes_on_from_them(tiny_cfg):
    """A frame's fit starts from the last one's memberships: from a converged fit's, two more steps keep the
    mixture; from k-means, two steps leave it far from converged."""
    model = build_model(with_(tiny_cfg, prior_components=8), SCALER)
    x = inside_points(400)
    converged = model.calibrate(x, torch.Generator().manual_seed(0), steps=200)
    means = model.prior.means.clone()
    again = model.calibrate(x, torch.Generator().manual_seed(9), steps=2, start=converged)
    torch.testing.assert_close(model.prior.means, means, atol=1e-3, rtol=0)
    torch.testing.assert_close(again, converged, atol=0.05, rtol=0)
    model.calibrate(x, torch.Generator().manual_seed(9), steps=2)
    assert (model.prior.means - means).abs().max() > 1e-2


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
    (weights, means, cov), resp = fit_mixture(z, 2, torch.Generator().manual_seed(1), steps=200)
    assert resp.shape == (4000, 2)
    order = means[:, 0].argsort()
    torch.testing.assert_close(means[order], centers, atol=0.2, rtol=0)
    torch.testing.assert_close(weights[order], torch.tensor([0.75, 0.25]), atol=0.02, rtol=0)
    stds = cov[order].diagonal(dim1=1, dim2=2).sqrt()
    torch.testing.assert_close(stds, torch.tensor([[0.5, 0.5], [2.0, 2.0]]), atol=0.15, rtol=0)


def test_seeded_samples_do_not_depend_on_threads_or_calls(model, monkeypatch):
    """The same points with 1 or 2 threads, and from one call or from calls of whole blocks (streaming).

    Every call decodes in chunks of the same size: a BLAS may round a row differently in a matrix product
    of another height (seen on a 16-core host), so only equal chunk layouts promise equal bits."""
    monkeypatch.setattr(models.vae, "BLOCK", 256)
    monkeypatch.setattr(models.vae, "CHUNK", 64)
    model.calibrate(inside_points(300), torch.Generator().manual_seed(0))
    threads = torch.get_num_threads()
    points = []
    for count in (1, 2):
        torch.set_num_threads(count)
        try:
            points.append(model.sample(1000, torch.Generator().manual_seed(7)))
        finally:
            torch.set_num_threads(threads)
    assert torch.equal(*points)
    rng = torch.Generator().manual_seed(7)
    in_parts = torch.cat([model.sample(n, rng) for n in (512, 256, 232)])
    assert torch.equal(in_parts, points[0])
