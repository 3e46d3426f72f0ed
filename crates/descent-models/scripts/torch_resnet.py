# Reference values for descent-models' ResNet tests (src/resnet/tests.rs): parameter counts
# and logits of the CIFAR ResNets built in PyTorch.
# Run: ~/.cache/torch-venv/bin/python crates/descent-models/scripts/torch_resnet.py
#
# The network is tomgoldstein/loss-landscape's cifar10/models/resnet.py (ResNet_cifar with
# BasicBlock / BasicBlock_noshortcut, WResNet_cifar for whole widths: Li et al. 2018),
# written out here with the options descent adds:
# - width: channels max(1, floor(c * width + 0.5)) for c in 16, 32, 64;
# - in_channels and any square size; global average pooling (their F.avg_pool2d(out, 8) is
#   the same on 32x32, where the last map is 8x8);
# - shortcut 'A' (He et al. 2016 option A, akamaster/pytorch_resnet_cifar10's LambdaLayer:
#   x[:, :, ::2, ::2] padded with zero channels, (out - in) // 2 before, the rest after).
# With width 1, 3x32x32 and shortcut 'B' the counts are those of loss-landscape's
# ResNet20/56/110 (and _noshort): checked below against a copy of the unmodified classes
# kept outside the repository (ResNet20 272474, ResNet20_noshort 269722, ResNet56 855770,
# ResNet56_noshort 853018, ResNet110 1730714, ResNet110_noshort 1727962, WRN56_2 3412394,
# WRN56_2_noshort 3401770), and its state_dict loads into loss-landscape's classes with all
# keys matching and the same outputs (within 4e-8).
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_printoptions(precision=7)


def scale(c, width):
    return max(1, int(math.floor(c * width + 0.5)))


class ZeroPad(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.stride, self.front = stride, (c_out - c_in) // 2
        self.back = c_out - c_in - self.front

    def forward(self, x):
        x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, self.front, self.back))


class Block(nn.Module):
    def __init__(self, c_in, c_out, stride, shortcut):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.use_shortcut = shortcut != 'none'
        self.shortcut = nn.Sequential()
        if self.use_shortcut and (stride != 1 or c_in != c_out):
            if shortcut == 'B':
                self.shortcut = nn.Sequential(
                    nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))
            else:
                self.shortcut = ZeroPad(c_in, c_out, stride)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.use_shortcut:
            out = out + self.shortcut(x)
        return F.relu(out)


class ResNet(nn.Module):
    def __init__(self, depth, shortcut='B', width=1.0, in_channels=3, classes=10):
        super().__init__()
        n = (depth - 2) // 6
        c = [scale(16, width), scale(32, width), scale(64, width)]
        self.conv1 = nn.Conv2d(in_channels, c[0], 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c[0])
        c_in = c[0]
        for s in range(3):
            blocks = []
            for i in range(n):
                stride = 2 if s > 0 and i == 0 else 1
                blocks.append(Block(c_in, c[s], stride, shortcut))
                c_in = c[s]
            setattr(self, f'layer{s + 1}', nn.Sequential(*blocks))
        self.linear = nn.Linear(c[2], classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        return self.linear(out.mean(dim=(2, 3)))


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
