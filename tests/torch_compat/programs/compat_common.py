"""What every compatibility program shares: the command line that lets the test run it
from given weights and read its losses. Plain NumPy and torch's public API only."""

import argparse
import json

import numpy as np


def parse_args(description, steps=20):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--init-from", help="an .npz of the starting state_dict")
    parser.add_argument("--save-init", help="write the starting state_dict here (.npz)")
    parser.add_argument("--losses", help="write the per-step losses here (JSON)")
    return parser.parse_args()


def share_weights(torch, model, args):
    """Start from the weights in --init-from, or write the starting ones to --save-init."""
    if args.init_from:
        weights = np.load(args.init_from)
        model.load_state_dict({k: torch.from_numpy(weights[k]) for k in weights.files})
    if args.save_init:
        np.savez(args.save_init, **{k: v.detach().numpy() for k, v in model.state_dict().items()})


def write_losses(args, losses):
    if args.losses:
        with open(args.losses, "w") as handle:
            json.dump([float(x) for x in losses], handle)
