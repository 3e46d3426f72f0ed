# PyTorch files for descent's import and export tests (crates/descent-models/tests/data/torch/),
# and the check that files descent exports load into PyTorch.
#
# Make the files (deterministic; needs the real Fashion-MNIST in
# /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist):
#     ~/.cache/torch-venv/bin/python crates/descent-models/scripts/torch_state_dicts.py
# Check exports (DIR holds NAME.safetensors and/or NAME.npz written by `descent export`, for
# NAME among the models below):
#     ~/.cache/torch-venv/bin/python crates/descent-models/scripts/torch_state_dicts.py --check DIR
#
# Each small model is trained for five SGD steps on random data (so batch-norm statistics are
# not their initial values), then saved as NAME.safetensors and NAME.pt (its state_dict,
# num_batches_tracked included), with NAME.expected.safetensors holding an input batch and
# its eval-mode logits. resnet8_checkpoint.pt wraps resnet8's state_dict the way training
# scripts do: {"state_dict": {"module." + key: ...}, "epoch": 3}.
#
# resnet20_fmnist.pt is a ResNet-20 (1x28x28, width 0.25: 4/8/16 channels, so the file is
# small; projection shortcuts) trained on the first 2000 Fashion-MNIST training images (five
# epochs of SGD, lr 0.05, momentum 0.9, weight decay 5e-4, batches of 64), inputs normalized
# as (pixel / 255 - 0.2860) / 0.3530; resnet20_fmnist.expected.json holds its mean loss and
# accuracy on the first 1000 test images and the logits of the first eight.
import gzip
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
try:
    from safetensors.torch import load_file, save_file
except ImportError:  # --check also runs on a PyTorch without the safetensors package
    save_file = None

    def load_file(path):
        """A .safetensors file's tensors (8-byte header length, JSON header, raw data)."""
        dtypes = {'F32': np.float32, 'F64': np.float64, 'F16': np.float16, 'I64': np.int64}
        with open(path, 'rb') as f:
            data = f.read()
        n = int.from_bytes(data[:8], 'little')
        header = json.loads(data[8:8 + n])
        out = {}
        for name, info in header.items():
            if name == '__metadata__':
                continue
            start, end = info['data_offsets']
            raw = data[8 + n + start:8 + n + end]
            array = np.frombuffer(raw, dtype=dtypes[info['dtype']]).reshape(info['shape'])
            out[name] = torch.from_numpy(array.copy())
        return out

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import VGG, ResNet, mlp  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'data', 'torch')
FMNIST = '/usr/share/datasets/fashion-mnist'
MEAN, STD = 0.2860, 0.3530
RESNET20_WIDTH = 0.25
EPOCHS = 5

MODELS = {
    'mlp': (lambda: mlp([784, 32, 16, 10], dropout=0.1), (1, 28, 28)),
    'vgg9_bn': (lambda: VGG('vgg9', True, 1 / 16, 1, 28), (1, 28, 28)),
    'vgg11': (lambda: VGG('vgg11', False, 1 / 16, 3, 32), (3, 32, 32)),
    'resnet8': (lambda: ResNet(8, 'B', 0.5, 3), (3, 32, 32)),
    'resnet8_zeropad': (lambda: ResNet(8, 'A', 0.5, 1), (1, 28, 28)),
    'resnet14_noshort': (lambda: ResNet(14, 'none', 0.25, 1), (1, 28, 28)),
}


def build(name, seed):
    make, shape = MODELS[name]
    torch.manual_seed(seed)
    net = make()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    net.train()
    for _ in range(5):
        x, y = torch.randn(16, *shape), torch.randint(0, 10, (16,))
        loss = F.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    return net, shape


def idx(name):
    with gzip.open(os.path.join(FMNIST, name)) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def fmnist(split, n):
    prefix = 'train' if split == 'train' else 't10k'
    images = idx(f'{prefix}-images-idx3-ubyte.gz')[:n]
    labels = idx(f'{prefix}-labels-idx1-ubyte.gz')[:n]
    x = torch.from_numpy(images.copy()).float().div(255.0).sub(MEAN).div(STD).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


def make():
    torch.set_num_threads(1)  # the same numbers on any machine with this PyTorch
    os.makedirs(OUT, exist_ok=True)
    for seed, name in enumerate(MODELS):
        net, shape = build(name, seed)
        sd = {k: v.contiguous() for k, v in net.state_dict().items()}
        save_file(sd, os.path.join(OUT, f'{name}.safetensors'))
        torch.save(sd, os.path.join(OUT, f'{name}.pt'))
        torch.manual_seed(100 + seed)
        x = torch.randn(4, *shape)
        with torch.no_grad():
            logits = net(x)
        save_file({'input': x, 'logits': logits}, os.path.join(OUT, f'{name}.expected.safetensors'))
        if name == 'resnet8':
            wrapped = {'state_dict': {'module.' + k: v for k, v in sd.items()}, 'epoch': 3}
            torch.save(wrapped, os.path.join(OUT, 'resnet8_checkpoint.pt'))
        print(name, sum(p.numel() for p in net.parameters()), 'parameters')

    torch.manual_seed(20)
    net = ResNet(20, 'B', RESNET20_WIDTH, 1)
    x, y = fmnist('train', 2000)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    for epoch in range(EPOCHS):
        net.train()
        order = torch.randperm(len(x))
        for i in range(0, len(x), 64):
            batch = order[i:i + 64]
            loss = F.cross_entropy(net(x[batch]), y[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print('resnet20_fmnist epoch', epoch + 1, 'last batch loss', loss.item())
    net.eval()
    torch.save(net.state_dict(), os.path.join(OUT, 'resnet20_fmnist.pt'))
    tx, ty = fmnist('test', 1000)
    with torch.no_grad():
        logits = net(tx)
    loss = F.cross_entropy(logits, ty).item()
    accuracy = (logits.argmax(1) == ty).float().mean().item()
    expected = {
        'samples': len(ty), 'loss': loss, 'accuracy': accuracy,
        'correct': int((logits.argmax(1) == ty).sum()), 'normalization': [MEAN, STD],
        'logits_first8': logits[:8].tolist(),
    }
    with open(os.path.join(OUT, 'resnet20_fmnist.expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
    print('resnet20_fmnist test loss', loss, 'accuracy', accuracy)


def check(folder):
    names = list(MODELS) + ['resnet20_fmnist']
    checked = 0
    for name in names:
        for ext in ('safetensors', 'npz'):
            path = os.path.join(folder, f'{name}.{ext}')
            if not os.path.exists(path):
                continue
            if ext == 'safetensors':
                sd = load_file(path)
            else:
                sd = {k: torch.from_numpy(v) for k, v in np.load(path).items()}
            if name == 'resnet20_fmnist':
                net = ResNet(20, 'B', RESNET20_WIDTH, 1)
                x, _ = fmnist('test', 8)
                with open(os.path.join(OUT, 'resnet20_fmnist.expected.json')) as f:
                    want = torch.tensor(json.load(f)['logits_first8'])
            else:
                net = MODELS[name][0]()
                ref = load_file(os.path.join(OUT, f'{name}.expected.safetensors'))
                x, want = ref['input'], ref['logits']
            net.load_state_dict(sd, strict=True)
            net.eval()
            with torch.no_grad():
                diff = (net(x) - want).abs().max().item()
            status = 'ok' if diff <= 1e-5 else 'FAILED'
            print(f'{name}.{ext}: strict load_state_dict, logits max |diff| {diff:.2e} {status}')
            if status != 'ok':
                sys.exit(1)
            checked += 1
    if checked == 0:
        print('no exported files found in', folder)
        sys.exit(1)
    print(f'{checked} passed, 0 failed')


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--check':
        check(sys.argv[2])
    else:
        make()
