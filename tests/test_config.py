from pathlib import Path

import pytest

from tests.conftest import ROOT
from utils.config import Config, load_config, parse_overrides
from utils.errors import UserError


def test_config_yaml_holds_the_defaults():
    assert load_config(ROOT / "config.yaml", []) == Config()


def test_overrides_are_typed():
    cfg = load_config(None, ["epochs=7", "lr=1e-3", "retrain=false", "result_path=2024", "device=cpu"])
    assert (cfg.epochs, cfg.lr, cfg.retrain, cfg.result_path, cfg.device) == (7, 0.001, False, "2024", "cpu")


def test_unknown_key_suggests_the_closest():
    with pytest.raises(UserError, match=r"unknown config key 'epoch'.*Did you mean 'epochs'"):
        load_config(None, ["epoch=3"])


def test_unknown_key_in_file(tmp_path: Path):
    (tmp_path / "c.yaml").write_text("hiden_dim: 32\n")
    with pytest.raises(UserError, match=r"'hiden_dim'.*hidden_dim"):
        load_config(tmp_path / "c.yaml", [])


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("epochs=ten", "'epochs' must be int"),
        ("epochs=2.5", "'epochs' must be int"),
        ("lr=fast", "'lr' must be float"),
        ("retrain=maybe", "'retrain' must be bool"),
        ("device=gpu", "'device' is 'gpu'; choose one of auto, cpu, cuda"),
        ("epochs=-1", "'epochs' must be > 0"),
        ("batch_size=0", "'batch_size' must be > 0"),
        ("num_head=3", "hidden_dim \\(32\\) must be divisible by num_head \\(3\\)"),
        ("beta_end=1.5", "'beta_end' must be in \\[0, 1\\]"),
        ("epochs", "write key=value"),
        ("dataset=image", "dataset: image needs image_path"),
        ("image_threshold=300", "'image_threshold' must be in 0..254"),
        ("holdout=0.95", "'holdout' must be in \\[0, 0.9\\]"),
        ("num_points=0", "'num_points' must be > 0"),
        ("prior=vamp", "'prior' is 'vamp'; choose one of gmm, standard"),
        ("likelihood=learned", "'likelihood' in the command line was removed \\(the decoder always gives"),
    ],
)
def test_bad_values_name_the_key(override: str, message: str):
    with pytest.raises(UserError, match=message):
        load_config(None, [override])


def test_bad_yaml_and_missing_file(tmp_path: Path):
    with pytest.raises(UserError, match=r"not found"):
        load_config(tmp_path / "missing.yaml", [])
    (tmp_path / "bad.yaml").write_text("epochs: [1,\n")
    with pytest.raises(UserError, match=r"not valid YAML"):
        load_config(tmp_path / "bad.yaml", [])
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(UserError, match=r"mapping"):
        load_config(tmp_path / "list.yaml", [])


def test_parse_overrides_keeps_text_as_text():
    assert parse_overrides(["data_dir=123", "dataset=quiz"]) == {"data_dir": "123", "dataset": "quiz"}


def test_unknown_model_names_the_choices():
    from models import check_model_name

    with pytest.raises(UserError, match=r"'model' is 'transfomer_vae'; did you mean 'transformer_vae'"):
        check_model_name("transfomer_vae")
