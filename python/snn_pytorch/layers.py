"""snn's three layer kinds as ``nn.Module``s whose parameter names are snn's (``input.weight``, ``input.bias``,
``recurrent.weight``, ``recurrent.bias``, ``beta``), so a network's ``state_dict`` is an snn checkpoint's tensors.

Each layer's ``forward(x)`` takes ``[batch, inputs, T]`` and returns ``(spikes, membrane)``, both
``[batch, neurons, T]`` (spikes ``None`` for a readout).
"""
import torch
from torch import nn

from .dynamics import first_spikes, no_reset_membrane, powers

RESETS = ("subtract", "zero")
RECURRENT_INPUTS = ("max", "sum")


class _Layer(nn.Module):
    """The input projection W x + b, an optional recurrent projection and the raw decay ``beta``."""

    def __init__(self, inputs, neurons, recurrent, beta_size, learn_beta):
        super().__init__()
        self.inputs = inputs
        self.neurons = neurons
        self.input = nn.Linear(inputs, neurons)
        self.recurrent = nn.Linear(neurons, neurons) if recurrent else None
        self.beta = nn.Parameter(torch.full((beta_size,), 0.9), requires_grad=learn_beta)

    def current(self, x):
        """I = W x_t + b for every step at once: ``[batch, neurons, T]``."""
        return self.input.weight.matmul(x) + self.input.bias.unsqueeze(1)

    def recurrent_step(self, s):
        """W_rec s + b_rec for one step's (or one block's) ``[batch, neurons]`` input."""
        return torch.addmm(self.recurrent.bias, s, self.recurrent.weight.t())

    def clamped_beta(self):
        """The decay actually used: raw beta clamped to [0, 1] (section 2.3)."""
        return self.beta.clamp(0, 1)


class LifLayer(_Layer):
    """The standard LIF layer, step by step (section 2): U_0 = I_0, U_t = beta V_{t-1} + I_t (+ W_rec sg(s_{t-1}) +
    b_rec), spike when U_t > 1.

    ``mode`` is ``"multi"`` (V_t = U_t - s_t with ``reset="subtract"``, or U_t - U_t s_t = 0 after a spike with
    ``reset="zero"``;
    reports U_t), ``"single"`` (fires at most once; reports V_t) or ``"integrator"`` (never spikes; reports U_t).
    """

    def __init__(self, inputs, neurons, mode, recurrent, beta_size, learn_beta, surrogate, reset="subtract"):
        if mode not in ("multi", "single", "integrator"):
            raise ValueError(f"unknown LIF mode {mode!r}")
        if mode == "integrator" and recurrent:
            raise ValueError("an integrator layer cannot be recurrent")
        if reset not in RESETS:
            raise ValueError(f"unknown reset {reset!r}; expected one of {', '.join(RESETS)}")
        super().__init__(inputs, neurons, recurrent, beta_size, learn_beta)
        self.mode = mode
        self.surrogate = surrogate
        self.reset = reset

    def forward(self, x):
        steps = self.current(x).unbind(2)
        b = self.clamped_beta()
        spikes, membranes = [], []
        v = s = None
        mask = torch.zeros_like(steps[0]) if self.mode == "single" else None
        for i, step in enumerate(steps):
            u = step if i == 0 else v * b + step
            if self.recurrent is not None and i > 0:
                u = u + self.recurrent_step(s.detach())
            if self.mode == "multi":
                s = self.surrogate.spike(u - 1)
                v = u - s if self.reset == "subtract" else u - u * s  # zero: U_t (1 - s_t), as snn forms it
                membranes.append(u)
            elif self.mode == "single":
                open_ = torch.ones_like(mask) - mask
                s = self.surrogate.spike(u - 1) * open_
                v = u * open_
                mask = torch.maximum(mask, s)
                membranes.append(v)
            else:
                v = u
                membranes.append(u)
            if s is not None:
                spikes.append(s)
        membrane = torch.stack(membranes, 2)
        return (None if self.mode == "integrator" else torch.stack(spikes, 2)), membrane


class BlockLayer(_Layer):
    """The single-spike block layer (section 3): the no-reset membrane for all steps at once, faulty spikes
    H(V~ - 1), each neuron's first crossing kept. A non-spiking block layer (the readout) reports V~ only."""

    def __init__(self, inputs, neurons, spiking, beta_size, learn_beta, surrogate):
        super().__init__(inputs, neurons, False, beta_size, learn_beta)
        self.spiking = spiking
        self.surrogate = surrogate

    def forward(self, x):
        membrane = no_reset_membrane(self.current(x), self.clamped_beta())
        if not self.spiking:
            return None, membrane
        return first_spikes(self.surrogate.spike(membrane - 1)), membrane


class DBlockLayer(_Layer):
    """The d-block layer (section 4): d blocks of L = T // d steps, plus a last block of T - dL steps when d does not
    divide T, each a block layer started from rest; with recurrence block k+1 receives W_rec a_k + b_rec on its
    first step, a_k the max (or sum) of block k's spikes, detached or not."""

    def __init__(self, inputs, neurons, blocks, recurrent, detach_recurrent, recurrent_input, spiking, beta_size,
                 learn_beta, surrogate):
        if blocks < 1:
            raise ValueError(f"d must be at least 1, got {blocks}")
        if recurrent and not spiking:
            raise ValueError("a non-spiking d-block layer cannot be recurrent")
        if recurrent_input not in RECURRENT_INPUTS:
            raise ValueError(f"unknown recurrent_input {recurrent_input!r}; expected max or sum")
        super().__init__(inputs, neurons, recurrent, beta_size, learn_beta)
        self.blocks = blocks
        self.detach_recurrent = detach_recurrent
        self.recurrent_input = recurrent_input
        self.spiking = spiking
        self.surrogate = surrogate

    def forward(self, x):
        if x.shape[2] < self.blocks:
            raise ValueError(f"d = {self.blocks} blocks need at least as many time steps, got {x.shape[2]}")
        current = self.current(x)
        b = self.clamped_beta()
        batch, n, t = current.shape
        d = self.blocks
        length = t // d
        rest = t - d * length
        # All regular blocks side by side as a batch of [batch * d, n, L] sequences, each starting from rest.
        regular = current.narrow(2, 0, d * length).reshape(batch, n, d, length).permute(0, 2, 1, 3) \
            .reshape(batch * d, n, length)
        regular_membrane = no_reset_membrane(regular, b).reshape(batch, d, n, length).permute(0, 2, 1, 3)
        rest_membrane = no_reset_membrane(current.narrow(2, d * length, rest), b) if rest > 0 else None
        flat = regular_membrane.reshape(batch, n, d * length)
        if not self.spiking:
            return None, _join(flat, rest_membrane)
        spike = self.surrogate.spike
        if self.recurrent is None:
            spikes = first_spikes(spike(regular_membrane - 1)).reshape(batch, n, d * length)
            rest_spikes = None if rest_membrane is None else first_spikes(spike(rest_membrane - 1))
            return _join(spikes, rest_spikes), _join(flat, rest_membrane)
        membranes = list(regular_membrane.unbind(2))
        if rest_membrane is not None:
            membranes.append(rest_membrane)
        regular_powers = powers(b, length)
        rest_powers = powers(b, rest) if rest > 0 else None
        spike_blocks, membrane_blocks = [], []
        injected = None
        for k, v in enumerate(membranes):
            if injected is not None:
                # c enters the block's first step without a beta factor, so it decays as beta^u inside the block.
                v = v + injected.unsqueeze(2) * (regular_powers if k < d else rest_powers)
            s = first_spikes(spike(v - 1))
            spike_blocks.append(s)
            membrane_blocks.append(v)
            fired = s.amax(dim=2) if self.recurrent_input == "max" else s.sum(2)
            injected = self.recurrent_step(fired.detach() if self.detach_recurrent else fired)
        return torch.cat(spike_blocks, 2), torch.cat(membrane_blocks, 2)


def _join(regular, rest):
    return regular if rest is None else torch.cat([regular, rest], 2)
