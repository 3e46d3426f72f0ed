# Reference logits for descent-models' forward tests: the same deterministic weights written
# into PyTorch modules (see src/test_utils.rs for the Rust side of `wave`).
# Run: ~/.cache/torch-venv/bin/python crates/descent-models/scripts/torch_logits.py
import math
import torch
import torch.nn as nn

torch.set_printoptions(precision=7)

def wave(shape, seed, scale):
    n = math.prod(shape)
    i = torch.arange(n, dtype=torch.float64)
    return (scale * torch.sin(0.37 * i + seed)).float().reshape(shape)

def set_linear(m, seed):  # PyTorch weight [out, in]
    out_f, in_f = m.weight.shape
    m.weight.data = wave((out_f, in_f), seed, 2 / math.sqrt(in_f))
    m.bias.data = wave((out_f,), seed + 0.5, 0.1)

def set_conv(m, seed):
    o, i, kh, kw = m.weight.shape
    m.weight.data = wave((o, i, kh, kw), seed, 2 / math.sqrt(i * kh * kw))
    m.bias.data = wave((o,), seed + 0.5, 0.1)

def set_bn(m, seed):
    c = m.weight.shape[0]
    m.weight.data = wave((c,), seed, 0.2) + 1
    m.bias.data = wave((c,), seed + 1, 0.1)
    m.running_mean.data = wave((c,), seed + 2, 0.1)
    m.running_var.data = wave((c,), seed + 3, 0.3) + 1

def show(name, t):
    rows = ', '.join('[' + ', '.join(f'{v:.7f}' for v in r) + ']' for r in t.tolist())
    print(f'{name}: [{rows}]')

# --- MLP 6 -> 5 -> 4 -> 3 with each activation, and 6 -> 3 (logistic regression) ---
x = wave((2, 1, 2, 3), 0.3, 1.0)
acts = {'relu': nn.ReLU(), 'tanh': nn.Tanh(), 'sigmoid': nn.Sigmoid(), 'gelu': nn.GELU(),
        'leaky-relu': nn.LeakyReLU()}
for name, act in acts.items():
    l1, l2, l3 = nn.Linear(6, 5), nn.Linear(5, 4), nn.Linear(4, 3)
    for s, l in enumerate((l1, l2, l3), start=1):
        set_linear(l, s)
    net = nn.Sequential(nn.Flatten(), l1, act, l2, act, l3)
    with torch.no_grad():
        show(f'mlp {name}', net(x))
l1 = nn.Linear(6, 3); set_linear(l1, 1)
with torch.no_grad():
    show('mlp logistic', nn.Sequential(nn.Flatten(), l1)(x))

# --- tiny VGGs (kuangliu / loss-landscape layer order, width 1/32) ---
CFG = {
    'vgg9':  [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M'],
    'vgg11': [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
}

def vgg(name, bn, width, c_in, size, classes=10):
    layers, convs, bns = [], [], []
    for v in CFG[name]:
        if v == 'M':
            if size >= 2:
                layers.append(nn.MaxPool2d(2, 2)); size //= 2
        else:
            c = max(1, int(math.floor(v * width + 0.5)))
            conv = nn.Conv2d(c_in, c, 3, padding=1); convs.append(conv); layers.append(conv)
            if bn:
                b = nn.BatchNorm2d(c); bns.append(b); layers.append(b)
            layers.append(nn.ReLU())
            c_in = c
    for i, conv in enumerate(convs):
        set_conv(conv, 10 + i)
    for i, b in enumerate(bns):
        set_bn(b, 50 + i)
    layers.append(nn.Flatten())
    flat = c_in * size * size
    if name == 'vgg9':
        h = max(1, int(math.floor(256 * width + 0.5)))
        fc = nn.Linear(flat, h); set_linear(fc, 90); layers.append(fc)
        if bn:
            b = nn.BatchNorm1d(h); set_bn(b, 95); layers.append(b)
        layers.append(nn.ReLU())
        flat = h
    cls = nn.Linear(flat, classes); set_linear(cls, 99); layers.append(cls)
    return nn.Sequential(*layers)

for (name, bn, c_in, size) in (('vgg11', True, 3, 32), ('vgg11', False, 3, 32),
                               ('vgg9', True, 1, 28), ('vgg9', False, 1, 28)):
    net = vgg(name, bn, 1 / 32, c_in, size)
    x = wave((4, c_in, size, size), 0.7, 1.0)
    with torch.no_grad():
        net.eval()
        show(f'{name} bn={bn} eval', net(x))
        if bn:
            net.train()
            show(f'{name} bn={bn} train', net(x))
