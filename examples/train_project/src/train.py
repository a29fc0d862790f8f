"""A small image-segmentation training script with the reproducibility mistakes found in the wild."""
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.backends.cudnn.benchmark = True
torch.backends.cudnn.determinstic = True  # typo: a silent no-op
os.environ["PYTHONHASHSEED"] = "0"  # too late: only child processes see it

random.seed(int(time.time()))
rng = np.random.default_rng()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        x = F.interpolate(self.conv(x), scale_factor=2, mode="bilinear")
        return self.head(self.pool(x).flatten(1))


def main():
    images = torch.randn(64, 3, 16, 16)
    labels = torch.randint(0, 2, (64,))
    loader = DataLoader(TensorDataset(images, labels), batch_size=8, shuffle=True, num_workers=2)
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for batch, target in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(batch), target)
        loss.backward()
        optimizer.step()
    hist = torch.histc(model.head.weight, bins=10)
    print(hist)


if __name__ == "__main__":
    main()
