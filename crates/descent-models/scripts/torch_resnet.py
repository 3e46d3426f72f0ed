# Reference values for descent-models' ResNet tests (src/resnet/tests.rs): parameter counts
# and logits of the CIFAR ResNets built in PyTorch.
# Run: ~/.cache/torch-venv/bin/python crates/descent-models/scripts/torch_resnet.py
#
# The network (torch_reference.py's ResNet) is tomgoldstein/loss-landscape's
# cifar10/models/resnet.py (ResNet_cifar with BasicBlock / BasicBlock_noshortcut,
# WResNet_cifar for whole widths: Li et al. 2018), with the options descent adds:
# - width: channels max(1, floor(c * width + 0.5)) for c in 16, 32, 64;
# - in_channels and any square size; global average pooling (their F.avg_pool2d(out, 8) is
#   the same on 32x32, where the last map is 8x8);
# - shortcut 'A' (He et al. 2016 option A, akamaster/pytorch_resnet_cifar10's LambdaLayer:
#   x[:, :, ::2, ::2] padded with zero channels, (out - in) // 2 before, the rest after).
# With width 1, 3x32x32 and shortcut 'B' the counts are those of loss-landscape's
# ResNet20/56/110 (and _noshort): checked against a copy of the unmodified classes
# kept outside the repository (ResNet20 272474, ResNet20_noshort 269722, ResNet56 855770,
# ResNet56_noshort 853018, ResNet110 1730714, ResNet110_noshort 1727962, WRN56_2 3412394,
# WRN56_2_noshort 3401770), and its state_dict loads into loss-landscape's classes with all
# keys matching and the same outputs (within 4e-8).
import math
import torch
import torch.nn as nn

from torch_reference import ResNet

torch.set_printoptions(precision=7)


def count(m):
    return sum(p.numel() for p in m.parameters())  # excludes BN running stats (buffers)


print('# parameter counts: (depth, shortcut, width, in_channels, count)')
for depth in (20, 32, 44, 56, 110):
    for shortcut in ('B', 'A', 'none'):
        for width in (1.0, 0.5, 2.0):
            for c in (3, 1):
                m = ResNet(depth, shortcut, width, c)
                print(f'({depth}, "{shortcut}", {width}, {c}, {count(m)}),')

# Logits on deterministic weights (the `wave` of src/test_utils.rs), conv i (in
# named_modules order) seeded 10 + i, BN i 50 + i, linear 99.


def wave(shape, seed, scale):
    n = math.prod(shape)
    i = torch.arange(n, dtype=torch.float64)
    return (scale * torch.sin(0.37 * i + seed)).float().reshape(shape)


def set_weights(net):
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    for i, m in enumerate(convs):
        o, ci, kh, kw = m.weight.shape
        m.weight.data = wave((o, ci, kh, kw), 10 + i, 2 / math.sqrt(ci * kh * kw))
    for i, m in enumerate(bns):
        ch = m.weight.shape[0]
        m.weight.data = wave((ch,), 50 + i, 0.2) + 1
        m.bias.data = wave((ch,), 51 + i, 0.1)
        m.running_mean.data = wave((ch,), 52 + i, 0.1)
        m.running_var.data = wave((ch,), 53 + i, 0.3) + 1
    o, ci = net.linear.weight.shape
    net.linear.weight.data = wave((o, ci), 99, 2 / math.sqrt(ci))
    net.linear.bias.data = wave((o,), 99.5, 0.1)


def show(t):
    return '[' + ', '.join('[' + ', '.join(f'{v:.7f}' for v in r) + ']' for r in t.tolist()) + ']'


print('# logits: (depth, shortcut, width, in_channels, size, train, logits)')
for (depth, shortcut, width, c, size) in ((8, 'B', 0.5, 3, 32), (8, 'A', 0.5, 3, 32),
                                          (8, 'none', 0.5, 3, 32), (14, 'B', 0.25, 1, 28),
                                          (14, 'A', 0.5, 1, 28), (14, 'none', 0.25, 1, 28),
                                          (8, 'A', 0.3, 2, 9), (8, 'B', 0.3, 2, 9)):
    net = ResNet(depth, shortcut, width, c)
    set_weights(net)
    x = wave((3, c, size, size), 0.7, 1.0)
    with torch.no_grad():
        for train in (False, True):
            net.train(train)
            print(f'({depth}, "{shortcut}", {width}, {c}, {size}, {str(train).lower()}, '
                  f'{show(net(x))}),')
