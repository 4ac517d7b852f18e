#!/usr/bin/env python3
"""Reference GCN on CiteSeer in PyTorch, the same model as the `gcn` preset.

Two-layer GCN (Kipf & Welling 2017): A_hat = D~^-1/2 (A + I) D~^-1/2, hidden 16,
ReLU, dropout 0.5 (on the sparse input features and on the hidden layer, as in
Kipf's code), Adam lr 0.01 with L2 weight decay 5e-4 on the first layer only,
Glorot-uniform weights without bias, cross-entropy on the 120 training nodes,
200 epochs. Sparse products go through torch.sparse.mm. Each epoch is one
training step plus one evaluation forward (no dropout) for train/val/test
accuracy, exactly what the TypeScript runner does, so the times compare.

Reads the graph folder (adjacency.mtx, features.mtx, labels.txt, split.json,
self_loops.txt) with scipy.io.mmread.

    /usr/bin/python3 experiments/reference/gcn_torch.py --data ../shared/data/citeseer \
        --runs 100 --threads 1 [--json out.json]
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import scipy.io
import scipy.sparse as sp


def load(folder, self_loops):
    adj = sp.csr_matrix(scipy.io.mmread(os.path.join(folder, 'adjacency.mtx')))  # symmetric, expanded
    adj.data[:] = 1.0
    n = adj.shape[0]
    if self_loops == 'kipf':
        path = os.path.join(folder, 'self_loops.txt')
        loops = np.loadtxt(path, dtype=np.int64, ndmin=1) if os.path.exists(path) else np.zeros(0, np.int64)
        adj = adj + sp.csr_matrix((np.ones(len(loops)), (loops, loops)), shape=(n, n))
    feats = sp.csr_matrix(scipy.io.mmread(os.path.join(folder, 'features.mtx')))
    labels = np.loadtxt(os.path.join(folder, 'labels.txt'), dtype=np.int64)
    with open(os.path.join(folder, 'split.json')) as f:
        split = json.load(f)
    return adj, feats, labels, split


def normalized_adjacency(adj):
    a = adj + sp.eye(adj.shape[0])
    d = np.asarray(a.sum(axis=1)).ravel()
    dinv = 1.0 / np.sqrt(d)
    return sp.csr_matrix(sp.diags(dinv) @ a @ sp.diags(dinv))


def row_normalize(x):
    s = np.asarray(x.sum(axis=1)).ravel()
    inv = np.where(s > 0, 1.0 / np.where(s > 0, s, 1), 0.0)
    return sp.csr_matrix(sp.diags(inv) @ x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.path.join(os.path.dirname(__file__), '..', '..', '..', 'shared', 'data', 'citeseer'))
    ap.add_argument('--runs', type=int, default=10)
    ap.add_argument('--epochs', type=int, default=200)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--hidden', type=int, default=16)
    ap.add_argument('--dropout', type=float, default=0.5)
    ap.add_argument('--input-dropout', type=float, default=0.5)
    ap.add_argument('--lr', type=float, default=0.01)
    ap.add_argument('--weight-decay', type=float, default=5e-4)
    ap.add_argument('--self-loops', choices=['kipf', 'none'], default='kipf')
    ap.add_argument('--normalize-features', choices=['row', 'none'], default='row')
    ap.add_argument('--json', help='write the result here')
    args = ap.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)

    adj, feats, labels, split = load(args.data, args.self_loops)
    a_hat = normalized_adjacency(adj)
    if args.normalize_features == 'row':
        feats = row_normalize(feats)

    def to_torch(m):
        m = m.tocoo()
        idx = torch.tensor(np.vstack([m.row, m.col]), dtype=torch.int64)
        return torch.sparse_coo_tensor(idx, torch.tensor(m.data, dtype=torch.float32), m.shape).coalesce()

    A = to_torch(a_hat)
    X = to_torch(feats)
    x_idx, x_val = X.indices(), X.values()
    y = torch.tensor(labels)
    train = torch.tensor(split['train'])
    val = torch.tensor(split['val'])
    test = torch.tensor(split['test'])
    nfeat, nclass = feats.shape[1], int(labels.max()) + 1

    def glorot(fan_in, fan_out):
        r = np.sqrt(6.0 / (fan_in + fan_out))
        return torch.nn.Parameter(torch.empty(fan_in, fan_out).uniform_(-r, r))

    def forward(W1, W2, training):
        if training and args.input_dropout > 0:
            xv = torch.nn.functional.dropout(x_val, args.input_dropout, True)
            Xd = torch.sparse_coo_tensor(x_idx, xv, X.shape)
        else:
            Xd = X
        h = torch.relu(torch.sparse.mm(A, torch.sparse.mm(Xd, W1)))
        h = torch.nn.functional.dropout(h, args.dropout, training)
        return torch.sparse.mm(A, h @ W2)

    def acc(logits, rows):
        return (logits[rows].argmax(1) == y[rows]).float().mean().item()

    finals, times, cpu = [], [], []
    for run in range(args.runs):
        torch.manual_seed(args.seed * 1000 + run)
        t0 = time.perf_counter()
        c0 = time.process_time()
        W1, W2 = glorot(nfeat, args.hidden), glorot(args.hidden, nclass)
        opt = torch.optim.Adam([{'params': [W1], 'weight_decay': args.weight_decay},
                                {'params': [W2], 'weight_decay': 0.0}], lr=args.lr)
        for epoch in range(args.epochs):
            opt.zero_grad()
            out = forward(W1, W2, True)
            loss = torch.nn.functional.cross_entropy(out[train], y[train])
            loss.backward()
            opt.step()
            with torch.no_grad():
                logits = forward(W1, W2, False)
                accs = (acc(logits, train), acc(logits, val), acc(logits, test))
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        finals.append(accs[2])
        print(f'run {run}: test accuracy {accs[2]:.4f} ({times[-1]:.3f} s)', file=sys.stderr)

    result = {
        'torch': torch.__version__,
        'threads': args.threads,
        'runs': args.runs,
        'epochs': args.epochs,
        'testAccuracyMean': float(np.mean(finals)),
        'testAccuracyStd': float(np.std(finals, ddof=1)) if len(finals) > 1 else 0.0,
        'secondsPerRun': float(np.median(times)),
        'secondsPerRunMean': float(np.mean(times)),
        'cpuSecondsPerRun': float(np.median(cpu)),
        'settings': {k: v for k, v in vars(args).items() if k not in ('json', 'data')},
    }
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)


if __name__ == '__main__':
    main()
