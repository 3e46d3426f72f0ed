"""Hessian-vector products and extreme eigenvalues of a small VGG and a small ResNet, computed
by PyTorch's double backward in float64: the independent reference of the curvature of
networks with ReLUs, max-pools and batch norm (`curvature/conv_reference_tests.rs`).

Writes `conv_hessian.npz` next to this file. For each model M:

- `M:param:PATH` (float32): every tensor in descent's layout and names (the path without its
  leading `Vgg.`/`ResNet.`): convolution weights `[out, in, kh, kw]` as PyTorch's, linear
  weights transposed to `[in, out]`, batch norm's weight and bias as `gamma` and `beta`, its
  running statistics as `running_mean` and `running_var`;
- `M:x` (float32, `[32, C, 8, 8]`) and `M:labels` (int64): the data, two batches of 16 on the
  Rust side;
- `M:loss`: the mean cross-entropy over the 32 images, batch norm in evaluation mode;
- `M:probe:PATH` and `M:hv:PATH`: a unit vector from a formula over the trainable tensors and
  the Hessian times it;
- `M:top` (the 3 largest eigenvalues, descending) and `M:bottom` (the smallest), by Lanczos
  with full reorthogonalization over exact products (numpy's `eigh` of the tridiagonal
  matrix), run until every one of them has a measured residual `|H v - lambda v|` below
  `1e-9 * |lambda_max|`; `M:residuals` holds those residuals.

Autograd's double backward takes ReLU's derivative as a constant mask (ReLU'' = 0) and routes
a max-pool's gradient to the input that won the window: the Hessian with the activation
pattern of the point fixed, which is what PyHessian reports and what descent measures with
the pattern frozen.

The models are the reference definitions of descent's architectures
(`crates/descent-models/scripts/torch_reference.py`, whose logits descent matches within 1e-5):
`vgg11`, VGG-11 with batch norm at width 1/16 (4 to 32 channels) on 1x8x8 images (pools
8 -> 4 -> 2 -> 1, the last two skipped), and `resnet8`, ResNet-8 at width 1/4 (4/8/16
channels, projection shortcuts) on 3x8x8 images. Each is trained from PyTorch's default
initialization (seed 0) for 40 steps of SGD (rate 0.05, momentum 0.9) in training mode on the
32 images, so that batch norm's running statistics are its own; then it is rounded to float32,
and the Hessian is taken in float64 at the rounded weights and data, which is what the Rust
side loads. Run with the project's PyTorch venv (about a minute):

    ~/.cache/torch-venv/bin/python conv_hessian.py
"""

import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '../../../../descent-models/scripts'))
from torch_reference import VGG, ResNet  # noqa: E402

N = 32


def data(channels, seed):
    k = np.arange(N * channels * 64, dtype=np.float64)
    x = np.sin(0.37 * k + seed) + 0.5 * np.cos(1.3 * k * k % 17.0)
    x = x.reshape(N, channels, 8, 8)
    labels = (np.arange(N) * 7 + seed) % 10
    return x.astype(np.float32), labels.astype(np.int64)


def our_names(model):
    """(our path, PyTorch tensor, is_linear_weight) for every tensor descent keeps."""
    out = []

    def bn(prefix, m):
        out.extend([(prefix + '.gamma', m.weight, False), (prefix + '.beta', m.bias, False),
                    (prefix + '.running_mean', m.running_mean, False),
                    (prefix + '.running_var', m.running_var, False)])

    if isinstance(model, VGG):
        convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
        norms = [m for m in model.features if isinstance(m, nn.BatchNorm2d)]
        for i, conv in enumerate(convs):
            out.append((f'features.{i}.conv.weight', conv.weight, False))
            out.append((f'features.{i}.conv.bias', conv.bias, False))
            if norms:
                bn(f'features.{i}.norm', norms[i])
        out.append(('classifier.weight', model.classifier.weight, True))
        out.append(('classifier.bias', model.classifier.bias, False))
    else:
        out.append(('conv1.weight', model.conv1.weight, False))
        bn('bn1', model.bn1)
        for s in (1, 2, 3):
            for i, block in enumerate(getattr(model, f'layer{s}')):
                p = f'layer{s}.{i}'
                out.append((p + '.conv1.weight', block.conv1.weight, False))
                bn(p + '.bn1', block.bn1)
                out.append((p + '.conv2.weight', block.conv2.weight, False))
                bn(p + '.bn2', block.bn2)
                if isinstance(block.shortcut, nn.Sequential) and len(block.shortcut) == 2:
                    out.append((p + '.shortcut.conv.weight', block.shortcut[0].weight, False))
                    bn(p + '.shortcut.norm', block.shortcut[1])
        out.append(('linear.weight', model.linear.weight, True))
        out.append(('linear.bias', model.linear.bias, False))
    return out


def lanczos(hvp, n, steps, seed):
    """Ritz values and vectors of `steps` Lanczos steps with full reorthogonalization."""
    rng = np.random.default_rng(seed)
    q = rng.standard_normal(n)
    q /= np.linalg.norm(q)
    basis, alpha, beta = [], [], []
    prev, b = np.zeros(n), 0.0
    for _ in range(steps):
        basis.append(q)
        w = hvp(q) - b * prev
        a = q @ w
        w -= a * q
        Q = np.array(basis)
        for _ in range(2):
            w -= Q.T @ (Q @ w)
        alpha.append(a)
        b = np.linalg.norm(w)
        beta.append(b)
        prev, q = q, w / b
    T = np.diag(alpha) + np.diag(beta[:-1], 1) + np.diag(beta[:-1], -1)
    theta, s = np.linalg.eigh(T)
    return theta, np.array(basis).T @ s


def reference(name, make, channels, seed):
    torch.manual_seed(0)
    model = make()
    x, labels = data(channels, seed)
    xt, yt = torch.tensor(x), torch.tensor(labels)
    model = model.float()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    for _ in range(40):
        opt.zero_grad()
        F.cross_entropy(model(xt), yt).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point():
                t.copy_(t.float())
    model = model.double()
    xd = xt.double()
    names = our_names(model)
    params = [p for _, p, _ in names if p.requires_grad]
    keys = [k for k, p, _ in names if p.requires_grad]

    loss = F.cross_entropy(model(xd), yt)
    (grads) = torch.autograd.grad(loss, params, create_graph=True)
    sizes = [p.numel() for p in params]
    n = sum(sizes)

    def hvp(v):
        parts, at = [], 0
        for p, k in zip(params, sizes):
            parts.append(torch.tensor(v[at:at + k]).reshape(p.shape))
            at += k
        hv = torch.autograd.grad(grads, params, grad_outputs=parts, retain_graph=True)
        # Linear weights are [out, in] in PyTorch and [in, out] in descent: the probe and the
        # product are written in descent's layout below; here everything is PyTorch's.
        return np.concatenate([h.reshape(-1).numpy() for h in hv])

    out = {}
    for key, t, linear in names:
        a = t.detach().numpy()
        out[f'{name}:param:{key}'] = (a.T if linear else a).astype(np.float32)
    out[f'{name}:x'] = x
    out[f'{name}:labels'] = labels
    out[f'{name}:loss'] = np.array([loss.item()])

    # The probe is a formula over descent's layout (linear weights [in, out]), as the Rust
    # side flattens it, mapped into PyTorch's layout for the product and back for the file.
    linear_of = {k: lin for k, _, lin in names}
    probe_parts, at = [], 0
    for key, p in zip(keys, params):
        shape = tuple(reversed(p.shape)) if linear_of[key] else tuple(p.shape)
        k = np.arange(at, at + p.numel(), dtype=np.float64)
        ours = np.sin(0.3 * k + 1.0).reshape(shape)
        probe_parts.append((key, ours))
        at += p.numel()
    norm = np.sqrt(sum(np.sum(o * o) for _, o in probe_parts))
    torch_probe = np.concatenate(
        [(o.T if linear_of[k] else o).reshape(-1) / norm for k, o in probe_parts])
    hv = hvp(torch_probe)
    at = 0
    for (key, ours), p in zip(probe_parts, params):
        h = hv[at:at + p.numel()].reshape(tuple(p.shape))
        out[f'{name}:probe:{key}'] = ours / norm
        out[f'{name}:hv:{key}'] = h.T if linear_of[key] else h
        at += p.numel()

    steps = 60
    while True:
        theta, vectors = lanczos(hvp, n, steps, seed=1)
        picks = [len(theta) - 1, len(theta) - 2, len(theta) - 3, 0]
        residuals = [np.linalg.norm(hvp(vectors[:, i]) - theta[i] * vectors[:, i]) for i in picks]
        scale = abs(theta[-1])
        print(f'{name}: {n} parameters, loss {loss.item():.6f}, {steps} steps: '
              f'top {theta[-1]:.8f} {theta[-2]:.8f} {theta[-3]:.8f}, bottom {theta[0]:.8f}, '
              f'residuals {", ".join(f"{r:.1e}" for r in residuals)}')
        if max(residuals) <= 1e-9 * scale or steps >= 600:
            break
        steps *= 2
    out[f'{name}:top'] = np.array([theta[-1], theta[-2], theta[-3]])
    out[f'{name}:bottom'] = np.array([theta[0]])
    out[f'{name}:residuals'] = np.array(residuals)
    return out


def main():
    torch.set_num_threads(2)
    out = {}
    out.update(reference(
        'vgg11', lambda: VGG('vgg11', bn=True, width=1 / 16, in_channels=1, size=8), 1, 0.0))
    out.update(reference('resnet8', lambda: ResNet(8, 'B', width=0.25, in_channels=3), 3, 1.0))
    # C order throughout (a transpose is a Fortran-order view, which descent's reader refuses).
    out = {k: np.ascontiguousarray(v) for k, v in out.items()}
    np.savez(os.path.join(HERE, 'conv_hessian.npz'), **out)


if __name__ == '__main__':
    main()
