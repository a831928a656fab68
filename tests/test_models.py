import pytest
import torch

from models import MODELS, build_model
from models.latent_prior import fit_gaussian_mixture
from models.vae import kl_to_standard_normal, reparameterize
from tests.conftest import with_

N_FEATURES = 5


@pytest.fixture(params=sorted(MODELS))
def model(request, tiny_cfg):
    torch.manual_seed(0)
    return build_model(with_(tiny_cfg, model=request.param), N_FEATURES)


def test_shapes(model, tiny_cfg):
    x = torch.rand(7, N_FEATURES)
    x_hat, mu, logvar = model(x)
    assert x_hat.shape == (7, N_FEATURES)
    assert mu.shape == logvar.shape == (7, tiny_cfg.latent_dim)
    assert x_hat.min() >= 0
    assert x_hat.max() <= 1


def test_gradients_reach_every_parameter(model):
    model.loss(torch.rand(16, N_FEATURES), beta=0.5).total.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, f"no gradient reaches {name}"


def test_loss_formula_at_beta_0_and_1(model):
    x = torch.rand(16, N_FEATURES)
    torch.manual_seed(1)
    at_0 = model.loss(x, beta=0.0)
    torch.manual_seed(1)
    at_1 = model.loss(x, beta=1.0)
    torch.manual_seed(1)
    half = model.loss(x, beta=0.25)
    assert torch.equal(at_0.total, at_0.recons)
    assert torch.equal(at_1.total, at_1.kld)
    torch.testing.assert_close(half.total, 0.75 * half.recons + 0.25 * half.kld)
    torch.manual_seed(1)
    x_hat, _mu, _logvar = model(x)
    torch.testing.assert_close(at_0.recons, ((x_hat - x) ** 2).sum(1).mean())


def test_kl_and_reparameterisation():
    mu, logvar = torch.zeros(4, 3), torch.zeros(4, 3)
    assert torch.equal(kl_to_standard_normal(mu, logvar), torch.zeros(4))
    torch.testing.assert_close(kl_to_standard_normal(torch.ones(1, 2), torch.zeros(1, 2)), torch.tensor([1.0]))
    torch.manual_seed(0)
    z = reparameterize(torch.full((200_000, 1), 2.0), torch.full((200_000, 1), 2 * torch.log(torch.tensor(3.0))))
    assert abs(z.mean() - 2.0) < 0.03
    assert abs(z.std() - 3.0) < 0.03


def test_samples_are_fresh_unless_seeded(model):
    model.calibrate(torch.rand(300, N_FEATURES), torch.Generator().manual_seed(0))
    a, b = model.sample(50), model.sample(50)
    assert a.shape == (50, N_FEATURES)
    assert not torch.equal(a, b)
    seeded = [model.sample(50, torch.Generator().manual_seed(3)) for _ in range(2)]
    assert torch.equal(*seeded)
    assert a.min() >= 0
    assert a.max() <= 1
    assert model.sample(0).shape == (0, N_FEATURES)


def test_calibration_fits_prior_and_output_noise(model):
    assert not bool(model.prior.fitted)
    assert model.noise_std.abs().sum() == 0
    model.calibrate(torch.rand(300, N_FEATURES), torch.Generator().manual_seed(0))
    assert bool(model.prior.fitted)
    assert (model.noise_std > 0).all()


def test_gaussian_mixture_recovers_known_components():
    g = torch.Generator().manual_seed(0)
    centers = torch.tensor([[-5.0, 0.0], [5.0, 0.0]])
    z = torch.cat(
        [centers[0] + 0.5 * torch.randn(3000, 2, generator=g), centers[1] + 2.0 * torch.randn(1000, 2, generator=g)]
    )
    weights, means, scale_tril = fit_gaussian_mixture(z, 2, torch.Generator().manual_seed(1))
    order = means[:, 0].argsort()
    torch.testing.assert_close(means[order], centers, atol=0.2, rtol=0)
    torch.testing.assert_close(weights[order], torch.tensor([0.75, 0.25]), atol=0.02, rtol=0)
    stds = scale_tril[order].diagonal(dim1=1, dim2=2)
    torch.testing.assert_close(stds, torch.tensor([[0.5, 0.5], [2.0, 2.0]]), atol=0.15, rtol=0)


@pytest.mark.parametrize(("hidden_dim", "num_head"), [(32, 2), (24, 3), (16, 1)])
def test_batch_last_decoder_matches_decode(tiny_cfg, hidden_dim, num_head):
    torch.manual_seed(0)
    model = build_model(with_(tiny_cfg, model="transformer_vae", hidden_dim=hidden_dim, num_head=num_head), N_FEATURES)
    with torch.no_grad():  # LayerNorm's affine starts at (1, 0); perturb it so that folding it is really tested
        for norm in (model.generator.norm1, model.generator.norm2):
            norm.weight.normal_(1.0, 0.3)
            norm.bias.normal_(0.0, 0.3)
    z = 2 * torch.randn(500, tiny_cfg.latent_dim)
    with torch.no_grad():
        torch.testing.assert_close(model.sampling_decoder()(z), model.eval().decode(z), atol=1e-5, rtol=0)


def test_seeded_samples_do_not_depend_on_thread_count(model):
    model.calibrate(torch.rand(300, N_FEATURES), torch.Generator().manual_seed(0))
    threads = torch.get_num_threads()
    points = []
    for count in (1, 2):
        torch.set_num_threads(count)  # 2: chunks are decoded by two workers
        try:
            points.append(model.sample(5000, torch.Generator().manual_seed(7), chunk=256))
            assert torch.get_num_threads() == count, "sampling must restore torch's thread count"
        finally:
            torch.set_num_threads(threads)
    assert torch.equal(*points)
