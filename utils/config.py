"""The one typed config: defaults, loading from YAML, `key=value` overrides, validation.

Only `main.py` calls `load_config`; every other module receives the resulting `Config`.
The config is flat on purpose: the keys in config.yaml and on the command line are the same
names (`python main.py epochs=5 model=vanilla_vae`), with no sections to remember.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import typing
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

import yaml

from utils.errors import UserError
from utils.suggest import closest


# Defaults are chosen for a 2-core laptop CPU; docs/DESIGN.md explains each one.
@dataclass(frozen=True)
class Config:
    # what to train on (data/__init__.py): the quiz files, the built-in π, or a picture of yours
    dataset: Literal["auto", "quiz", "synthetic", "image"] = "auto"
    data_dir: str = "./gen_ml_quiz_content"
    image_path: str = ""  # dataset=image: a PNG or JPEG; its foreground pixels are the points
    mask_path: str = ""  # optional: the mask's bright pixels are the foreground (else alpha, else brightness)
    # without mask or alpha, how far (0..254, on some channel) a foreground pixel stands from its background:
    # brighter than this on a dark background, or differing by more than this from a light or colored one
    image_threshold: int = 64
    num_points: int = 5000  # training points drawn from a picture (all if fewer); the built-in π: (1 - holdout) x this
    holdout: float = 0.5  # share kept out of training for evaluation where no other pixels exist (the quiz)
    # model (chosen by name from models/registry.py, which checks the name)
    model: str = "transformer_vae"
    hidden_dim: int = 32
    num_head: int = 2
    num_layers: int = 1  # transformer layers in the encoder and in the generator
    latent_dim: int = 8
    # the prior sampling draws latents from: "gmm" fits a Gaussian mixture of up to prior_components on the
    # posterior means after training (N(0, I) leaves points between the strokes); "standard" is N(0, I)
    prior: Literal["gmm", "standard"] = "gmm"
    prior_components: int = 128
    # samples = the decoder's mean + output_noise x its σ(z) x the noise measured for the latent's component
    output_noise: float = 1.0
    # training
    epochs: int = 150
    batch_size: int = 256
    lr: float = 5e-3
    lr_schedule: Literal["cosine", "constant"] = "cosine"
    grad_clip: float = 1.0  # clip the gradient norm to this (0 = off): the likelihood's gradients grow as 1/σ
    beta_schedule: Literal["linear", "cyclical"] = "linear"
    beta_start: float = 0.0
    beta_end: float = 0.1
    beta_cycles: int = 4
    seed: int = 0
    device: Literal["auto", "cpu", "cuda", "mps"] = "cpu"  # auto: CUDA, then Apple MPS, then the CPU
    threads: int = 0  # torch CPU threads; 0 = one per core, at most 4
    # outputs
    result_path: str = "./result"
    gen_every_epochs: int = 1  # draw a frame every N epochs (and at the first and last); 0 = never
    num_gen_points: int = 5000  # points per frame and in samples.npy
    evaluate: bool = True  # compute metrics.json at the end of training
    # what `python main.py` does
    retrain: bool = True  # false: load result_path/checkpoint.pt and only generate
    resume: bool = False  # true: continue up to `epochs` from .run/state.pt (a killed run), else checkpoint.pt

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


FIELDS = {f.name: f for f in fields(Config)}
_TYPES = typing.get_type_hints(Config)
# keys of earlier versions: an error where a user writes one, dropped where a saved run's config holds one
RETIRED = {
    "num_workers": "the training loop indexes one tensor of points and has no loader workers",
    "likelihood": "the decoder always gives every point its own variance (docs/DESIGN.md, 'The model')",
    "noise_covariance": "the output noise is always measured per component of the prior (docs/DESIGN.md)",
}


def _check_type(key: str, value: Any) -> Any:
    """Return `value` as the type of `key`, or raise a UserError naming key, value and type."""
    expected = _TYPES[key]
    if typing.get_origin(expected) is Literal:
        choices = typing.get_args(expected)
        if value not in choices:
            raise UserError(f"config key '{key}' is {value!r}; choose one of {', '.join(map(str, choices))}.")
        return value
    if expected is float and isinstance(value, str):
        with contextlib.suppress(ValueError):  # YAML 1.1 reads 1e-3 (no dot) as text: the number it means
            value = float(value)
    ok = {
        bool: isinstance(value, bool),
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, (int, float)) and not isinstance(value, bool),
        str: isinstance(value, str),
    }[expected]
    if not ok:
        raise UserError(
            f"config key '{key}' must be {expected.__name__}, got {value!r} ({type(value).__name__}); "
            f"write e.g. {key}={_example(expected)}."
        )
    return float(value) if expected is float else value


def _example(kind: type) -> str:
    return {bool: "true", int: "10", float: "0.01", str: "text"}[kind]


def _unknown_key(key: str, where: str) -> UserError:
    if key in RETIRED:
        return UserError(f"config key '{key}' in {where} was removed ({RETIRED[key]}); delete it.")
    match = closest(key, FIELDS)
    hint = f" Did you mean '{match}'?" if match else f" Known keys: {', '.join(FIELDS)}."
    return UserError(f"unknown config key '{key}' in {where}.{hint}")


def validate(cfg: Config) -> Config:
    """Check values that are the right type but impossible. Returns cfg unchanged."""
    positive = [
        "epochs",
        "batch_size",
        "hidden_dim",
        "num_head",
        "num_layers",
        "latent_dim",
        "num_gen_points",
        "num_points",
    ]
    for key in positive:
        if getattr(cfg, key) <= 0:
            raise UserError(f"config key '{key}' must be > 0, got {getattr(cfg, key)}.")
    for key in ["threads", "gen_every_epochs", "seed"]:
        if getattr(cfg, key) < 0:
            raise UserError(f"config key '{key}' must be >= 0, got {getattr(cfg, key)}.")
    if cfg.hidden_dim % cfg.num_head:
        raise UserError(
            f"hidden_dim ({cfg.hidden_dim}) must be divisible by num_head ({cfg.num_head}); "
            "e.g. hidden_dim=32 num_head=2."
        )
    for key in ["beta_start", "beta_end"]:
        if not 0.0 <= getattr(cfg, key) <= 1.0:
            raise UserError(f"config key '{key}' must be in [0, 1], got {getattr(cfg, key)}.")
    if cfg.grad_clip < 0:
        raise UserError(f"config key 'grad_clip' must be >= 0 (0 = off), got {cfg.grad_clip}.")
    if not cfg.lr > 0:
        raise UserError(f"config key 'lr' must be > 0, got {cfg.lr}.")
    if cfg.beta_cycles < 1:
        raise UserError(f"config key 'beta_cycles' must be >= 1, got {cfg.beta_cycles}.")
    if cfg.prior == "gmm" and cfg.prior_components < 1:
        raise UserError("config key 'prior_components' must be >= 1 when prior is 'gmm'.")
    if not 0.0 <= cfg.output_noise <= 2.0:
        raise UserError(f"config key 'output_noise' must be in [0, 2], got {cfg.output_noise}.")
    if not 0 <= cfg.image_threshold <= 254:
        raise UserError(f"config key 'image_threshold' must be in 0..254, got {cfg.image_threshold}.")
    if not 0.0 <= cfg.holdout <= 0.9:
        raise UserError(f"config key 'holdout' must be in [0, 0.9], got {cfg.holdout}.")
    if cfg.dataset == "image" and not cfg.image_path:
        raise UserError("dataset: image needs image_path; e.g. python main.py dataset=image image_path=my.png")
    if cfg.resume and not cfg.retrain:
        raise UserError("resume: true needs retrain: true (resume continues training); set one of them.")
    return cfg


def config_from_dict(values: dict[str, Any], where: str) -> Config:
    """Build a validated Config from a (partial) dict; unknown keys and wrong types are errors."""
    checked = {}
    for key, value in values.items():
        if key not in FIELDS:
            raise _unknown_key(key, where)
        checked[key] = _check_type(key, value)
    return validate(Config(**checked))


def saved_config(values: dict[str, Any], where: str) -> Config:
    """The Config of a saved run (a checkpoint's, a sweep record's): `config_from_dict` less retired keys."""
    return config_from_dict({k: v for k, v in values.items() if k not in RETIRED}, where)


def parse_overrides(overrides: list[str]) -> dict[str, Any]:
    """Turn ["epochs=5", "device=cpu"] into {"epochs": 5, "device": "cpu"} (values parsed as YAML)."""
    parsed = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise UserError(f"cannot read override '{item}': write key=value, e.g. epochs=5.")
        if key not in FIELDS:
            raise _unknown_key(key, "the command line")
        if _TYPES[key] is str or typing.get_origin(_TYPES[key]) is Literal:
            parsed[key] = raw  # text stays text: result_path=2024 is a folder name
            continue
        try:
            parsed[key] = yaml.safe_load(raw)
        except yaml.YAMLError:
            parsed[key] = raw
    return parsed


def load_config(path: str | os.PathLike[str] | None, overrides: list[str]) -> Config:
    """Read the YAML file (if any), apply `key=value` overrides, and validate everything once."""
    values = _read_file(path)
    values.update(parse_overrides(overrides))
    return config_from_dict(values, "the config")


NOT_SWEPT = ("result_path", "resume", "retrain")  # a sweep sets these for each of its runs


def load_grid(path: str | os.PathLike[str] | None, overrides: list[str]) -> list[tuple[dict[str, Any], Config]]:
    """Every combination of the comma-separated values in `overrides`, each validated once.

    ["seed=0,1", "latent_dim=4,6", "epochs=50"] -> 4 (swept values, Config) pairs, the first key
    varying slowest: ({"seed": 0, "latent_dim": 4}, Config(seed=0, latent_dim=4, epochs=50)), ...
    """
    values = _read_file(path)
    axes: dict[str, list[str]] = {}
    for item in overrides:
        key, _, raw = item.partition("=")
        if "," not in raw:
            values.update(parse_overrides([item]))
            continue
        if key in NOT_SWEPT or key in axes:
            raise UserError(f"cannot sweep '{key}' (given twice, or set by the sweep for each run).")
        if any(not choice for choice in raw.split(",")):
            raise UserError(f"'{item}' has an empty value; write e.g. {key}=1,2,3.")
        axes[key] = [f"{key}={choice}" for choice in raw.split(",")]
        parse_overrides(axes[key][:1])  # an unknown key is named before any value is read
    grid = []
    for combination in itertools.product(*axes.values()):
        swept = parse_overrides(list(combination))
        grid.append((swept, config_from_dict({**values, **swept}, f"the sweep's run {_words(swept)}")))
    return grid


def _words(swept: dict[str, Any]) -> str:
    return " ".join(f"{key}={value}" for key, value in swept.items()) or "(no swept keys)"


def _read_file(path: str | os.PathLike[str] | None) -> dict[str, Any]:
    """The key: value pairs of a YAML config file (none for None), every key checked against Config."""
    values: dict[str, Any] = {}
    if path is not None:
        file = Path(path)
        if not file.is_file():
            raise UserError(f"config file '{file}' not found; pass an existing file with --config FILE.")
        try:
            loaded = yaml.safe_load(file.read_text())
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise UserError(
                f"config file '{file}' is not valid YAML ({str(err).splitlines()[0]}); fix its syntax."
            ) from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise UserError(f"config file '{file}' must hold a mapping of key: value lines.")
        for key in loaded:
            if key not in FIELDS:
                raise _unknown_key(str(key), f"'{file}'")
        values.update(loaded)
    return values


def config_to_yaml(cfg: Config) -> str:
    return yaml.safe_dump(cfg.to_dict(), sort_keys=False)
