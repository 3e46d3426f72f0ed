"""The exact Hessian of a small MLP, the independent reference of the curvature tests.

Writes `mlp_hessian.npz` next to this file (read by `curvature/reference_tests.rs`):

- the model and the data: `w0 b0 w1 b1 w2 b2` (float32, Burn's layout: weights are
  `[d_in, d_out]`), `x` (`[64, 8]` float32), `labels` (`[64]` int64);
- the exact spectrum of the Hessian of the mean cross-entropy at those weights
  (`eigenvalues`, ascending, float64), computed in float64 by PyTorch's double backward
  (`torch.autograd.functional.hessian`) and `numpy.linalg.eigvalsh`;
- `loss`, `gradient_norm`, `trace` (tr H), `trace_h2` (tr H^2), and the variance of one
  Rademacher draw of Hutchinson's estimator for H and for H^2 (`2 (|A|_F^2 - sum_i A_ii^2)`);
- each layer's diagonal block (its weight and bias): `block_max`, `block_min`, `block_trace`;
- `probe` (a unit vector from a formula) and `hessian_probe` (H times it), for the
  Hessian-vector products' error;
- the same network with ReLU in place of tanh at the same weights: `eigenvalues_relu`,
  `trace_relu`, `hutchinson_variance_relu`, `hessian_probe_relu`. Autograd's double backward
  treats ReLU's derivative as a constant mask (ReLU'' = 0): this is the Hessian with the
  activation pattern of the point frozen, which is what PyHessian reports.

The model: MLP 8-40-40-4 with tanh (2164 parameters), trained from formula weights by 30
steps of full-batch gradient descent (rate 0.5, float64) on 64 formula points, then rounded to
float32: the Hessian is taken at the rounded weights and data, which is what the Rust side
loads. Run with the project's PyTorch venv:

    ~/.cache/torch-venv/bin/python mlp_hessian.py
"""

import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
SIZES = [8, 40, 40, 4]
N = 64


def data():
    k = np.arange(N * SIZES[0], dtype=np.float64)
    x = (np.sin(0.7 * k) + 0.3 * (k % 3) - 0.3).reshape(N, SIZES[0])
    m = np.sin(np.arange(SIZES[0] * SIZES[-1]) * 1.9 + 0.4).reshape(SIZES[0], SIZES[-1])
    labels = np.argmax(x @ m, axis=1).astype(np.int64)
    return x.astype(np.float32), labels


def initial_weights():
    out = []
    for layer, (fan_in, fan_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        k = np.arange(fan_in * fan_out, dtype=np.float64)
        w = 1.2 / np.sqrt(fan_in) * np.sin(1.1 * k + 0.5 * layer)
        b = 0.1 * np.cos(0.9 * np.arange(fan_out) + layer)
        out += [w.reshape(fan_in, fan_out), b]
    return out


def split(flat):
    tensors, at = [], 0
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        tensors.append(flat[at:at + fan_in * fan_out].reshape(fan_in, fan_out))
        at += fan_in * fan_out
        tensors.append(flat[at:at + fan_out])
        at += fan_out
    return tensors


def loss_fn(flat, x, labels, act=torch.tanh):
    t = split(flat)
    h = x
    for layer in range(len(SIZES) - 1):
        h = h @ t[2 * layer] + t[2 * layer + 1]
        if layer < len(SIZES) - 2:
            h = act(h)
    return F.cross_entropy(h, labels)


def hutchinson_variance(a):
    return 2.0 * (np.sum(a * a) - np.sum(np.diag(a) ** 2))


def main():
    x32, labels = data()
    x, y = torch.tensor(x32, dtype=torch.float64), torch.tensor(labels)
    flat = torch.tensor(np.concatenate([t.ravel() for t in initial_weights()]))
    for _ in range(30):
        flat = flat.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(loss_fn(flat, x, y), flat)
        flat = flat - 0.5 * g
    # The weights the Rust side loads: float32.
    flat = torch.tensor(flat.detach().numpy().astype(np.float32).astype(np.float64))
    flat.requires_grad_(True)
    loss = loss_fn(flat, x, y)
    (g,) = torch.autograd.grad(loss, flat)
    h = torch.autograd.functional.hessian(lambda p: loss_fn(p, x, y), flat.detach()).numpy()
    h = 0.5 * (h + h.T)
    eigenvalues = np.linalg.eigvalsh(h)
    h2 = h @ h
    blocks, at = [], 0
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        size = fan_in * fan_out + fan_out
        blocks.append(h[at:at + size, at:at + size])
        at += size
    block_eigen = [np.linalg.eigvalsh(b) for b in blocks]
    n = h.shape[0]
    probe = np.sin(0.3 * np.arange(n) + 1.0)
    probe /= np.linalg.norm(probe)
    out = {
        "x": x32,
        "labels": labels,
        "eigenvalues": eigenvalues,
        "loss": np.array([loss.item()]),
        "gradient_norm": np.array([g.norm().item()]),
        "trace": np.array([np.trace(h)]),
        "trace_h2": np.array([np.trace(h2)]),
        "hutchinson_variance": np.array([hutchinson_variance(h)]),
        "hutchinson_variance_h2": np.array([hutchinson_variance(h2)]),
        "block_max": np.array([e[-1] for e in block_eigen]),
        "block_min": np.array([e[0] for e in block_eigen]),
        "block_trace": np.array([np.trace(b) for b in blocks]),
        "probe": probe,
        "hessian_probe": h @ probe,
    }
    h_relu = torch.autograd.functional.hessian(
        lambda p: loss_fn(p, x, y, torch.relu), flat.detach()
    ).numpy()
    h_relu = 0.5 * (h_relu + h_relu.T)
    out["eigenvalues_relu"] = np.linalg.eigvalsh(h_relu)
    out["trace_relu"] = np.array([np.trace(h_relu)])
    out["hutchinson_variance_relu"] = np.array([hutchinson_variance(h_relu)])
    out["hessian_probe_relu"] = h_relu @ probe
    names = ["w0", "b0", "w1", "b1", "w2", "b2"]
    for name, t in zip(names, split(flat.detach().numpy())):
        out[name] = t.astype(np.float32)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mlp_hessian.npz")
    np.savez(path, **out)
    print(f"{n} parameters, loss {loss.item():.6f}, |g| {g.norm().item():.3e}")
    print("top 5", eigenvalues[-5:][::-1])
    print("bottom 3", eigenvalues[:3])
    print("trace", np.trace(h), "tr H^2", np.trace(h2))
    print("blocks max", out["block_max"], "min", out["block_min"], "trace", out["block_trace"])
    e = out["eigenvalues_relu"]
    print("relu: top 3", e[-3:][::-1], "bottom", e[:2], "trace", out["trace_relu"])


if __name__ == "__main__":
    main()
