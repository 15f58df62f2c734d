"""Run snn's networks in PyTorch.

    import snn_pytorch
    net = snn_pytorch.load("results/quickstart/model.pt")     # any file `snn export` writes in the snn layout
    out = net(x)                                              # x: float [batch, inputs, T]
    out.logits, out.spikes                                    # [batch, classes]; one [batch, n, T] per hidden layer

The network is an ``nn.Module`` computed from the models' equations (docs/specification.md) the way snn computes
them, differentiable with snn's surrogate gradients, so it can be fine-tuned in PyTorch and saved back for snn with
:func:`save`. Needs PyTorch >= 1.13 only; reading ``.safetensors`` files also needs the ``safetensors`` package.
"""
from .dynamics import Surrogate, first_spikes, no_reset_membrane
from .files import SnnFileError, load, read, save
from .layers import BlockLayer, DBlockLayer, LifLayer
from .network import Output, SnnNetwork

__all__ = ["load", "read", "save", "SnnNetwork", "Output", "SnnFileError", "LifLayer", "BlockLayer", "DBlockLayer",
           "Surrogate", "no_reset_membrane", "first_spikes"]
__version__ = "1.0"
