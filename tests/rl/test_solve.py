"""The fastest of the issue's learning criteria, for one seed: PPO solves CartPole-v1
(greedy mean return >= 475 over 100 episodes) within 100,000 environment steps.
scripts/rl_seeds.py runs every criterion for five seeds (the README has its table)."""

from abinitio.rl import PPO, evaluate


def test_ppo_solves_cartpole_within_100k_steps():
    agent = PPO("CartPole-v1", seed=0).learn(100_000)
    assert agent.global_step == 100_096  # 391 rollouts of 8 x 32 steps
    result = evaluate(agent, episodes=100)
    assert len(result["returns"]) == 100
    assert result["mean"] >= 475, f"greedy mean {result['mean']:.1f} < 475"
    assert agent.mean_return(100) > 400  # the stochastic training policy is nearly there too
