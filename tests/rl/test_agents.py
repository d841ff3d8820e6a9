"""Agents: clear errors for environments they cannot act in, seeding that makes a run
bit-reproducible, checkpoints that resume bit for bit, Gaussian policies for Box actions."""

import numpy as np
import pytest

from abinitio.rl import A2C, DQN, PPO, REINFORCE, UnsupportedEnvironmentError, load_agent
from abinitio.rl.agent import evaluate

SMALL_PPO = {"num_envs": 2, "num_steps": 16, "update_epochs": 2, "num_minibatches": 2}
SMALL_DQN = {"learning_starts": 32, "train_frequency": 16, "gradient_steps": 4,
             "batch_size": 8, "hidden": (16, 16), "target_network_frequency": 4}  # fmt: skip


def parameters(agent):
    module = agent.policy if hasattr(agent, "policy") else agent.q_network
    return [p.array.copy() for p in module.parameters()]


def test_unknown_environment_is_named():
    with pytest.raises(UnsupportedEnvironmentError, match="unknown Gymnasium environment "
                       "'CartPoel-v1'.*similar ids: CartPole-v0, CartPole-v1"):  # fmt: skip
        PPO("CartPoel-v1")


def test_dqn_refuses_continuous_actions_and_names_the_algorithms_that_fit():
    with pytest.raises(UnsupportedEnvironmentError, match=r"dqn cannot act in the action "
                       r"space Box\(-2.0, 2.0, \(1,\), float32\) \(Box\); algorithms for Box "
                       r"spaces: ppo, a2c, reinforce"):  # fmt: skip
        DQN("Pendulum-v1")


@pytest.mark.parametrize(
    "make",
    [lambda s: PPO("CartPole-v1", seed=s, **SMALL_PPO),
     lambda s: DQN("CartPole-v1", seed=s, **SMALL_DQN)],
    ids=["ppo", "dqn"],
)
def test_one_seed_gives_one_run_bit_for_bit(make):
    runs = [make(seed).learn(96) for seed in (3, 3, 4)]
    a, b, other = (parameters(r) for r in runs)
    assert all((x == y).all() for x, y in zip(a, b))
    assert runs[0].history == runs[1].history and runs[0].episodes == runs[1].episodes
    assert not all((x == y).all() for x, y in zip(a, other))


@pytest.mark.parametrize(
    "make",
    [lambda: PPO("CartPole-v1", seed=1, **SMALL_PPO),
     lambda: DQN("CartPole-v1", seed=1, **SMALL_DQN),
     lambda: PPO("Pendulum-v1", seed=1, num_envs=2, num_steps=16, num_minibatches=2,
                 update_epochs=2, normalize_observation=True, normalize_reward=True)],
    ids=["ppo", "dqn", "ppo-pendulum-normalized"],
)  # fmt: skip
def test_checkpoint_resumes_bit_for_bit(make, tmp_path):
    straight = make().learn(160)
    first = make()

    def interrupt(agent):  # stop half-way, as Ctrl-C would; learn() then writes a checkpoint
        return agent.global_step < 80

    first.learn(160, callback=interrupt, checkpoint_dir=tmp_path)
    assert 80 <= first.global_step < 160
    resumed = load_agent(tmp_path)
    assert resumed.global_step == first.global_step
    resumed.learn(160)
    for x, y in zip(parameters(straight), parameters(resumed)):
        np.testing.assert_array_equal(x, y)
    assert resumed.history == straight.history
    assert resumed.episodes == straight.episodes
    np.testing.assert_array_equal(resumed.next_obs, straight.next_obs)


def test_gaussian_policy_acts_inside_the_box():
    agent = PPO("Pendulum-v1", seed=0, num_envs=2, num_steps=8)
    assert agent.policy.continuous and agent.policy.actor_logstd.shape == (1, 1)
    obs = np.random.default_rng(0).standard_normal((50, 3)).astype(np.float32)
    actions = agent.act(obs, deterministic=False)
    assert actions.shape == (50, 1) and np.abs(actions).max() <= 2.0
    agent.learn(16)
    assert np.isfinite(agent.history[-1]["loss"])


def test_every_algorithm_trains_and_evaluates():
    for agent in (A2C("CartPole-v1", seed=0, num_envs=2), REINFORCE("CartPole-v1", seed=0),
                  REINFORCE("Pendulum-v1", seed=0)):  # fmt: skip
        agent.learn(200)
        assert agent.history and np.isfinite(agent.history[-1]["loss"])
        result = evaluate(agent, episodes=3)
        assert len(result["returns"]) == 3 and len(result["lengths"]) == 3
    with pytest.raises(ValueError, match="REINFORCE runs one environment, got num_envs=2"):
        REINFORCE("CartPole-v1", num_envs=2)
    with pytest.raises(ValueError, match="episodes must be at least 1, got 0"):
        evaluate(agent, episodes=0)
