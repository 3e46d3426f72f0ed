# Parameter counts of the descent-models architectures, built in PyTorch.
# Run: ~/.cache/torch-venv/bin/python crates/descent-models/scripts/torch_param_counts.py
# VGG-11/13/16/19: kuangliu/pytorch-cifar models/vgg.py (conv3x3 pad 1 with bias -> BN -> ReLU,
# 'M' = MaxPool2d(2, 2), classifier Linear(512, 10)). VGG-9: tomgoldstein/loss-landscape
# cifar10/models/vgg.py (same blocks, then fc = Linear(C*h*w, 256) -> BN1d -> ReLU, then
# classifier Linear(256, 10)). Generalized here: width multiplier (channels =
# max(1, floor(c * width + 0.5))), BN on/off, in_channels, input size; a max-pool is applied
# only while the spatial size is >= 2.
import math
import torch.nn as nn

CFG = {
    'vgg9':  [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M'],
    'vgg11': [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
    'vgg13': [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
    'vgg16': [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
    'vgg19': [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
}

def scale(c, width):
    return max(1, int(math.floor(c * width + 0.5)))

class VGG(nn.Module):
    def __init__(self, name, bn=True, width=1.0, in_channels=3, size=32, classes=10):
        super().__init__()
        layers, c_in = [], in_channels
        for x in CFG[name]:
            if x == 'M':
                if size >= 2:
                    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
                    size //= 2
            else:
                c = scale(x, width)
                layers.append(nn.Conv2d(c_in, c, kernel_size=3, padding=1))
                if bn:
                    layers.append(nn.BatchNorm2d(c))
                layers.append(nn.ReLU(inplace=True))
                c_in = c
        self.features = nn.Sequential(*layers)
        flat = c_in * size * size
        if name == 'vgg9':
            hidden = scale(256, width)
            fc = [nn.Linear(flat, hidden)] + ([nn.BatchNorm1d(hidden)] if bn else []) + [nn.ReLU(inplace=True)]
            self.fc = nn.Sequential(*fc)
            flat = hidden
        else:
            self.fc = nn.Identity()
        self.classifier = nn.Linear(flat, classes)

    def forward(self, x):
        return self.classifier(self.fc(self.features(x).flatten(1)))

def mlp(sizes):
    layers = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)

def count(m):
    return sum(p.numel() for p in m.parameters())  # excludes buffers (BN running stats)

for name in CFG:
    for bn in (True, False):
        for width in (1.0, 0.25, 0.125):
            for (c, s) in ((3, 32), (1, 28)):
                m = VGG(name, bn=bn, width=width, in_channels=c, size=s)
                print(f'("{name}", {str(bn).lower()}, {width}, {c}, {s}, {count(m)}),')
for sizes in ([784, 256, 128, 10], [3072, 512, 512, 10], [784, 10], [3072, 10]):
    print(sizes, count(mlp(sizes)))
