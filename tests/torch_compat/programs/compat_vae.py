"""A variational autoencoder in the style of PyTorch's examples/vae (reparameterize,
BCE + KLD loss, Adam), on small binary images; the noise comes from NumPy so that both
frameworks see the same draws."""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim

from compat_common import parse_args, share_weights, write_losses


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()
        self.fc1 = nn.Linear(36, 16)
        self.fc21 = nn.Linear(16, 4)
        self.fc22 = nn.Linear(16, 4)
        self.fc3 = nn.Linear(4, 16)
        self.fc4 = nn.Linear(16, 36)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar, eps):
        std = torch.exp(0.5 * logvar)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x, eps):
        mu, logvar = self.encode(x.view(-1, 36))
        z = self.reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 36), reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def main():
    args = parse_args("compat: VAE")
    rng = np.random.default_rng(0)
    images = torch.from_numpy((rng.random((64, 1, 6, 6)) > 0.5).astype(np.float32))
    model = VAE()
    share_weights(torch, model, args)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    losses = []
    for step in range(args.steps):
        data = images[(step % 4) * 16:(step % 4 + 1) * 16]
        eps = torch.from_numpy(rng.standard_normal((16, 4)).astype(np.float32))
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data, eps)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        losses.append(loss.item() / len(data))
        optimizer.step()
    print("====> Average loss: {:.4f}".format(sum(losses) / len(losses)))
    write_losses(args, losses)


if __name__ == "__main__":
    main()
