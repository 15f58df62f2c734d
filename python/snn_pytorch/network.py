"""A whole snn network: hidden layers of one kind, then a non-spiking readout of the same family (section 5)."""
from typing import List, NamedTuple, Optional

import torch
from torch import nn

from .dynamics import Surrogate
from .layers import RECURRENT_INPUTS, RESETS, BlockLayer, DBlockLayer, LifLayer

KINDS = ("standard", "block", "dblock")
READOUTS = ("sum", "max")


class Output(NamedTuple):
    """What a network returns for a ``[batch, inputs, T]`` input.

    ``logits``: ``[batch, classes]``, the readout membrane summed over time (or its maximum);
    ``spikes``: one ``[batch, n, T]`` tensor of 0/1 spikes per hidden layer, input side first;
    ``membrane``: the readout membrane ``[batch, classes, T]``.
    """
    logits: torch.Tensor
    spikes: List[torch.Tensor]
    membrane: torch.Tensor


class SnnNetwork(nn.Module):
    """snn's ``SpikingNetwork`` in PyTorch: built from the ``model`` section of an snn config, with snn's parameter
    names (``hidden.<i>.input.weight``, ``hidden.<i>.recurrent.bias``, ``readout.beta``, ...), so
    ``load_state_dict`` takes an snn checkpoint's tensors and ``state_dict`` gives them back.

    ``model`` is a dict with snn's config keys: ``kind`` (standard, block, dblock), ``hidden``, ``recurrent``,
    ``single_spike``, ``reset`` (subtract or zero), ``d``, ``detach_recurrent``, ``recurrent_input``, ``readout``,
    ``per_neuron_beta``, ``learn_beta``, ``surrogate`` ({kind, scale}); missing keys take snn's defaults.
    ``hidden_tau`` and ``readout_tau`` set beta's initial value exp(-1/tau) (it is overwritten by loaded weights).
    """

    def __init__(self, model: dict, inputs: int, classes: int):
        super().__init__()
        m = _model_settings(model)
        self.model_config = m
        self.inputs = inputs
        self.classes = classes
        surrogate = Surrogate(m["surrogate"]["kind"], m["surrogate"]["scale"])
        kind = m["kind"]

        def layer(n_in, n, spiking):
            beta_size = n if m["per_neuron_beta"] else 1
            learn = m["learn_beta"]
            if kind == "standard":
                mode = "integrator" if not spiking else ("single" if m["single_spike"] else "multi")
                return LifLayer(n_in, n, mode, spiking and m["recurrent"], beta_size, learn, surrogate, m["reset"])
            if kind == "block":
                return BlockLayer(n_in, n, spiking, beta_size, learn, surrogate)
            return DBlockLayer(n_in, n, m["d"], spiking and m["recurrent"], m["detach_recurrent"],
                               m["recurrent_input"], spiking, beta_size, learn, surrogate)

        self.hidden = nn.ModuleList()
        width = inputs
        for n in m["hidden"]:
            self.hidden.append(layer(width, n, True))
            width = n
        self.readout = layer(width, classes, False)
        with torch.no_grad():
            for i, l in enumerate(list(self.hidden) + [self.readout]):
                tau = m["hidden_tau"] if i < len(self.hidden) else m["readout_tau"]
                l.beta.fill_(_beta_from_tau(tau))

    def forward(self, x: torch.Tensor) -> Output:
        """Runs the network on ``x`` ``[batch, inputs, T]`` (float; spikes or counts)."""
        if x.dim() != 3 or x.shape[1] != self.inputs:
            raise ValueError(f"expected input [batch, {self.inputs}, T], got {list(x.shape)}")
        x = x.to(self.readout.input.weight.dtype)
        spikes = []
        for layer in self.hidden:
            x, _ = layer(x)
            spikes.append(x)
        _, membrane = self.readout(x)
        logits = membrane.sum(2) if self.model_config["readout"] == "sum" else membrane.max(2).values
        return Output(logits, spikes, membrane)


def _beta_from_tau(tau):
    if tau == 0:
        return 0.0
    return float(torch.exp(torch.tensor(-1.0 / tau, dtype=torch.float64)))


def _model_settings(model):
    """snn's model section with its defaults filled in, checked."""
    defaults = {"hidden": [128], "recurrent": False, "single_spike": False, "reset": "subtract", "d": None,
                "detach_recurrent": True, "recurrent_input": "max", "readout": "sum", "hidden_tau": 10.0,
                "readout_tau": 20.0, "per_neuron_beta": True, "learn_beta": True,
                "surrogate": {"kind": "fast_sigmoid", "scale": 10.0}}
    m = dict(defaults)
    m.update({k: v for k, v in model.items() if v is not None})
    m["surrogate"] = dict(defaults["surrogate"], **{k: v for k, v in (model.get("surrogate") or {}).items()
                                                    if v is not None})
    if m.get("kind") not in KINDS:
        raise ValueError(f"model.kind: expected one of {', '.join(KINDS)}, got {m.get('kind')!r}")
    if m["readout"] not in READOUTS:
        raise ValueError(f"model.readout: expected sum or max, got {m['readout']!r}")
    if m["reset"] not in RESETS:
        raise ValueError(f"model.reset: expected one of {', '.join(RESETS)}, got {m['reset']!r}")
    if m["recurrent_input"] not in RECURRENT_INPUTS:
        raise ValueError(f"model.recurrent_input: expected max or sum, got {m['recurrent_input']!r}")
    if m["kind"] == "dblock" and not (isinstance(m["d"], int) and m["d"] >= 1):
        raise ValueError(f"model.d: a dblock network needs d >= 1, got {m['d']!r}")
    if not m["hidden"] or not all(isinstance(n, int) and n >= 1 for n in m["hidden"]):
        raise ValueError(f"model.hidden: expected a non-empty list of positive sizes, got {m['hidden']!r}")
    return m
