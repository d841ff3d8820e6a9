"""REINFORCE in the style of PyTorch's examples/reinforcement_learning/reinforce.py
(Policy, Categorical, normalised returns), on a five-cell corridor written in NumPy; actions
are drawn by NumPy from the policy's probabilities so both frameworks take the same ones."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical

from compat_common import parse_args, share_weights, write_losses

eps = np.finfo(np.float32).eps.item()


class Corridor:
    """Start in cell 0; action 1 moves right, 0 left; reward 1 on reaching cell 4."""

    def reset(self):
        self.position, self.t = 0, 0
        return self.observe()

    def observe(self):
        return np.eye(5, dtype=np.float32)[self.position]

    def step(self, action):
        self.position = max(0, min(4, self.position + (1 if action == 1 else -1)))
        self.t += 1
        done = self.position == 4 or self.t == 12
        return self.observe(), float(self.position == 4), done


class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(5, 16)
        self.affine2 = nn.Linear(16, 2)
        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = F.relu(self.affine1(x))
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


def select_action(policy, state, rng):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    p = probs.detach().numpy()[0].astype(np.float64)
    action = torch.tensor(int(rng.random() < p[1] / p.sum()))
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


def finish_episode(policy, optimizer, gamma=0.99):
    R, policy_loss, returns = 0, [], []
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    return policy_loss.item()


def main():
    args = parse_args("compat: REINFORCE")
    rng = np.random.default_rng(0)
    policy = Policy()
    share_weights(torch, policy, args)
    optimizer = optim.Adam(policy.parameters(), lr=1e-2)
    env, losses = Corridor(), []
    for episode in range(args.steps):
        state, done = env.reset(), False
        while not done:
            action = select_action(policy, state, rng)
            state, reward, done = env.step(action)
            policy.rewards.append(reward)
        policy.rewards[-1] += 0.01 * episode  # no two episodes alike, so no all-equal returns
        losses.append(finish_episode(policy, optimizer))
    print(f"Episode {args.steps}\tLast length: {env.t:5d}")
    write_losses(args, losses)


if __name__ == "__main__":
    main()
