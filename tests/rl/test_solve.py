"""The fastest of the issue's learning criteria, for one seed: PPO solves CartPole-v1
(greedy mean return >= 475 over 100 episodes) within 100,000 environment steps, and
REINFORCE with a baseline reaches a training mean of 475 over 100 episodes.
scripts/rl_seeds.py runs every criterion for five seeds (the README has its table)."""

from abinitio.rl import PPO, evaluate


def test_ppo_solves_cartpole_within_100k_steps():
    agent = PPO("CartPole-v1", seed=0).learn(100_000)
    assert agent.global_step == 100_096  # 391 rollouts of 8 x 32 steps
    result = evaluate(agent, episodes=100)
    assert len(result["returns"]) == 100
    assert result["mean"] >= 475, f"greedy mean {result['mean']:.1f} < 475"
    assert agent.mean_return(100) > 400  # the stochastic training policy is nearly there too


def test_reinforce_with_baseline_solves_cartpole_seed_1_by_episode_197():
    # scripts/rl_seeds.py: seed 1 first reaches a training mean of 475 over 100 episodes at
    # episode 197 (bit-reproducible on one machine; 400 leaves room for other BLAS builds).
    # With the old joint gradient clip at norm 1.0 this seed collapsed to a mean of 9.
    from abinitio.rl import REINFORCE

    agent = REINFORCE("CartPole-v1", seed=1)
    assert agent.config.max_grad_norm is None
    agent.learn(10**9, callback=lambda a: len(a.episodes) < 400 and not (
        len(a.episodes) >= 100 and a.mean_return(100) >= 475))  # fmt: skip
    assert agent.mean_return(100) >= 475, (len(agent.episodes), agent.mean_return(100))
