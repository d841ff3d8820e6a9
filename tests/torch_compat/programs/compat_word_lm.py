"""A word-level LSTM language model in the style of PyTorch's examples/word_language_model
(RNNModel, batchify, get_batch, repackage_hidden, a hand-written SGD step on p.data)."""

import math

import torch
import torch.nn as nn

from compat_common import parse_args, share_weights, write_losses

TEXT = ("the cat sat on the mat and the dog sat on the log . the cat saw the dog and the dog "
        "saw the cat . a bird sat on the dog and the cat ran to the mat . ") * 4


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers):
        super().__init__()
        self.ntoken = ntoken
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers)
        self.decoder = nn.Linear(nhid, ntoken)
        self.init_weights()
        self.nhid, self.nlayers = nhid, nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        self.decoder.weight.data.uniform_(-initrange, initrange)

    def forward(self, input, hidden):
        emb = self.encoder(input)
        output, hidden = self.rnn(emb, hidden)
        decoded = self.decoder(output).view(-1, self.ntoken)
        return torch.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                weight.new_zeros(self.nlayers, bsz, self.nhid))


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].reshape(-1)
    return data, target


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def main():
    args = parse_args("compat: word-level LSTM language model")
    words = TEXT.split()
    vocab = {w: i for i, w in enumerate(sorted(set(words)))}
    ids = torch.tensor([vocab[w] for w in words], dtype=torch.long)
    train_data = batchify(ids, 4)
    model = RNNModel(len(vocab), 16, 24, 1)
    share_weights(torch, model, args)
    criterion = nn.NLLLoss()
    lr, bptt, clip = 2.0, 6, 0.25
    losses, hidden = [], model.init_hidden(4)
    model.train()
    while len(losses) < args.steps:
        for i in range(0, train_data.size(0) - 1, bptt):
            data, targets = get_batch(train_data, i, bptt)
            hidden = repackage_hidden(hidden)
            model.zero_grad()
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            losses.append(loss.item())
            if len(losses) == args.steps:
                break
    print(f"| loss {losses[-1]:5.2f} | ppl {math.exp(losses[-1]):8.2f}")
    write_losses(args, losses)


if __name__ == "__main__":
    main()
