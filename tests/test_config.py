import json

import pytest

from vae_core.config import ConfigError, ModelConfig, TrainConfig, default_model_config, from_dict, to_dict


def test_model_config_round_trips_through_json():
    cfg = ModelConfig(input_shape=(3, 32, 32), latent_dim=7, arch="conv", channels=(16, 32), res_blocks=2)
    back = from_dict(ModelConfig, json.loads(json.dumps(to_dict(cfg))))
    assert back == cfg
    assert back.input_shape == (3, 32, 32) and back.channels == (16, 32)


def test_train_config_round_trips():
    cfg = TrainConfig(data="shapes", epochs=3, beta=4.0, warmup_epochs=1.5, schedule="constant")
    assert from_dict(TrainConfig, to_dict(cfg)) == cfg


def test_activation_defaults_follow_arch():
    assert ModelConfig(arch="mlp").activation == "relu"  # as pytorch/examples
    assert ModelConfig(arch="conv").activation == "elu"


@pytest.mark.parametrize(
    "kwargs, word",
    [({"arch": "resnet"}, "arch"), ({"latent_dim": 0}, "latent_dim"), ({"input_shape": (2, 8, 8)}, "input_shape"),
     ({"likelihood": "poisson"}, "likelihood"), ({"gaussian_std": -1.0}, "gaussian_std")],
)
def test_bad_model_values_name_the_field(kwargs, word):
    with pytest.raises(ConfigError, match=word):
        ModelConfig(**kwargs)


@pytest.mark.parametrize("kwargs, word", [({"epochs": 0}, "epochs"), ({"lr": -1}, "lr"), ({"device": "tpu"}, "device")])
def test_bad_train_values_name_the_field(kwargs, word):
    with pytest.raises(ConfigError, match=word):
        TrainConfig(**kwargs)


def test_unknown_keys_are_refused():
    with pytest.raises(ConfigError, match="unknown ModelConfig field"):
        from_dict(ModelConfig, {"latent_dim": 2, "flux_capacitor": 1})
    with pytest.raises(ConfigError, match="JSON object"):
        from_dict(TrainConfig, [1, 2])


def test_default_model_config_picks_arch_by_size():
    assert default_model_config((1, 28, 28), 20).arch == "conv"
    assert default_model_config((1, 4, 4), 2).arch == "mlp"
    assert default_model_config((1, 28, 28), 2, arch="mlp").arch == "mlp"
