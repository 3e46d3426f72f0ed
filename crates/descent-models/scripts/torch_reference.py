# The reference PyTorch definitions of descent-models' architectures, the layouts
# `descent import` reads and `descent export` writes (see src/torch/layout.rs):
# - MLP: nn.Sequential(nn.Flatten(), Linear, act, [Dropout], ..., Linear);
# - VGG: kuangliu/pytorch-cifar's and tomgoldstein/loss-landscape's layout (features, VGG-9's
#   fc, classifier), generalized to a width multiplier, BN on/off and any input;
# - ResNet: loss-landscape's ResNet_cifar (conv1, bn1, layer1..3, linear; projections
#   shortcut.0/.1), generalized to a width multiplier, any input (global average pooling)
#   and He et al.'s option A (shortcut='A').
# Imported by the other scripts here; prints nothing.
import math
import torch.nn as nn
import torch.nn.functional as F

VGG_CFG = {
    'vgg9':  [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M'],
    'vgg11': [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
    'vgg13': [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
    'vgg16': [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
    'vgg19': [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
}


def scale(c, width):
    return max(1, int(math.floor(c * width + 0.5)))


def mlp(sizes, act=nn.ReLU, dropout=None):
    layers = [nn.Flatten()]
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(a, b), act()]
        if dropout:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


class VGG(nn.Module):
    def __init__(self, name, bn=True, width=1.0, in_channels=3, size=32, classes=10):
        super().__init__()
        layers, c_in = [], in_channels
        for x in VGG_CFG[name]:
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
