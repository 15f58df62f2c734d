"""The models' pieces as differentiable PyTorch ops (docs/specification.md sections 2 to 4).

Every function works on ``[batch, neurons, time]`` tensors and computes what snn's LibTorch path computes, in the
same order of operations, so that spikes come out identical and membranes agree to float32 rounding.
"""
import math

import torch

# snn.neurons.Dynamics: the membrane is a Toeplitz product up to this many steps, in chunks of CHUNK steps beyond,
# and a causal depthwise convolution when the Toeplitz matrices would exceed MATRIX_ENTRIES_LIMIT entries.
LONGEST_SINGLE_PRODUCT = 128
CHUNK = 32
MATRIX_ENTRIES_LIMIT = 1 << 25


class Surrogate:
    """A spike function: the step H(u) = [u > 0] forward, a smooth pseudo-derivative backward (section 2.4).

    ``spike(u)`` returns ``H(u) + f(u) - f(u).detach()``: the value of the step and the gradient of ``f``.
    """

    KINDS = ("fast_sigmoid", "arctan", "triangle")

    def __init__(self, kind="fast_sigmoid", scale=10.0):
        if kind not in self.KINDS:
            raise ValueError(f"unknown surrogate kind {kind!r}; expected one of {', '.join(self.KINDS)}")
        if not scale > 0:
            raise ValueError(f"surrogate scale must be positive, got {scale}")
        self.kind = kind
        self.scale = float(scale)

    def smooth(self, u):
        """The primitive f whose derivative is the surrogate gradient."""
        k = self.scale
        if self.kind == "fast_sigmoid":
            return u / (u.abs() * k + 1)  # derivative 1 / (k|u| + 1)^2
        if self.kind == "arctan":
            return torch.atan(u * (math.pi * k / 2)) / math.pi  # derivative (k/2) / (1 + (pi k u / 2)^2)
        c = u.clamp(-1 / k, 1 / k)
        return c - c * c.abs() * (k / 2)  # triangle: derivative max(0, 1 - k|u|)

    def spike(self, u):
        """0/1 spikes where ``u > 0`` (u = membrane - threshold), carrying the surrogate gradient."""
        step = (u > 0).to(u.dtype)
        f = self.smooth(u)
        return step + (f - f.detach())

    def __repr__(self):
        return f"Surrogate({self.kind!r}, scale={self.scale})"


def powers(beta, length):
    """beta^u for u = 0 .. length-1: ``[neurons or 1, length]``, differentiable in beta."""
    exponents = torch.arange(length, dtype=torch.float32, device=beta.device)
    return beta.unsqueeze(1).pow(exponents)


def no_reset_membrane(current, beta):
    """The no-reset membrane V~_t = sum_k beta^k I_{t-k} for all steps at once (eq. 3.1.2).

    ``current`` is ``[batch, neurons, T]``, ``beta`` the clamped decay ``[neurons]`` or ``[1]``. Chooses the same
    method snn's LibTorch path does, so the float32 sums are formed alike.
    """
    t = current.shape[2]
    single = t <= LONGEST_SINGLE_PRODUCT
    side = t if single else CHUNK
    if beta.shape[0] * side * side > MATRIX_ENTRIES_LIMIT:
        return _by_convolution(current, beta)
    return _by_matrix_product(current, beta) if single else _by_chunks(current, beta, CHUNK)


def _by_matrix_product(current, beta):
    """V~[b, i, :] = K_i I[b, i, :] with the lower-triangular Toeplitz matrix K_i[t, s] = beta_i^(t-s)."""
    t = current.shape[2]
    steps = torch.arange(t, device=current.device)
    lag = steps.unsqueeze(1) - steps.unsqueeze(0)
    causal = lag >= 0
    index = lag.clamp_min(0).flatten().unsqueeze(0).expand(beta.shape[0], t * t)
    kernel = powers(beta, t).gather(1, index).view(beta.shape[0], t, t) * causal
    if beta.shape[0] == 1:
        return current.matmul(kernel.squeeze(0).t())
    return current.permute(1, 0, 2).bmm(kernel.transpose(1, 2)).permute(1, 0, 2)


def _by_chunks(current, beta, chunk):
    """The membrane in chunks: each chunk from rest, plus beta^(u+1) times the end of the chunks before it."""
    b, n, t = current.shape
    chunks = (t + chunk - 1) // chunk
    padded = chunks * chunk
    x = current if padded == t else torch.nn.functional.pad(current, (0, padded - t))
    from_rest = _by_matrix_product(x.reshape(b, n, chunks, chunk).permute(0, 2, 1, 3).reshape(b * chunks, n, chunk),
                                   beta).reshape(b, chunks, n, chunk).permute(0, 2, 1, 3)
    ends = no_reset_membrane(from_rest.select(3, chunk - 1).contiguous(), beta.pow(float(chunk)))
    before = torch.nn.functional.pad(ends.narrow(2, 0, chunks - 1), (1, 0))
    decay = powers(beta, chunk + 1).narrow(1, 1, chunk)
    membrane = from_rest + before.unsqueeze(3) * decay.unsqueeze(1)
    return membrane.reshape(b, n, padded).narrow(2, 0, t)


def _by_convolution(current, beta):
    """The membrane as a causal depthwise convolution with the kernel [beta^(T-1), ..., beta, 1]."""
    n, t = current.shape[1], current.shape[2]
    kernel = powers(beta, t).flip(1)
    if kernel.shape[0] != n:
        kernel = kernel.expand(n, t)
    padded = torch.nn.functional.pad(current, (t - 1, 0))
    return torch.nn.functional.conv1d(padded, kernel.contiguous().unsqueeze(1), groups=n)


def first_spikes(faulty):
    """Each neuron's first spike along the last axis: z = cumsum(cumsum(s^)), s = [z == 1] (eq. 3.1.4-5).

    The backward pass treats the selection as the identity (straight through z), as snn and the reference do.
    """
    z = faulty.cumsum(-1).cumsum(-1)
    zd = z.detach()
    not_first = zd.masked_fill(zd == 1, 0)
    return z - not_first
