#!/usr/bin/python3
"""Golden cases for the standard LIF neuron with the zero reset (model.reset = "zero").

The authors' reference code has no zero reset, so these cases are computed here, independently of snn, from the
equations of docs/specification.md section 2.2 (float32, CPU, PyTorch autograd):

    U_0 = I_0,   U_t = beta * V_{t-1} + I_t + R_t           (t >= 1; R_t = W_rec sg(s_{t-1}) + b_rec when recurrent)
    s_t = H(U_t - 1)                                         (backward: the fast sigmoid 1 / (k |U_t - 1| + 1)^2)
    V_t = U_t * (1 - s_t)                                    (reset to 0 in the spike's own step, gradient through s_t)

with beta = clamp(raw beta, 0, 1), the reported membrane U_t, and networks whose readout is the never-resetting
integrator (V_t = U_t) read out by the sum or the maximum over time. The spike function is a custom autograd
function (not snn's H + f - sg(f) construction), so the gradients are derived separately from snn's.

Writes golden_layer_standard_zero_*.json and golden_model_standard_zero_*.json next to this script, in the format of
the other cases (README.md). Run with a Python that has torch:  /usr/bin/python3 make_zero_reset_cases.py
"""

import json
import math
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SCALE = 10.0
MARGIN = 1e-3  # every membrane at least this far from the threshold, so float32 rounding cannot flip a spike


class Heaviside(torch.autograd.Function):
    """H(u) forward; the fast sigmoid 1 / (k|u| + 1)^2 backward."""

    @staticmethod
    def forward(ctx, u):
        ctx.save_for_backward(u)
        return (u > 0).to(u.dtype)

    @staticmethod
    def backward(ctx, grad):
        (u,) = ctx.saved_tensors
        return grad / (SCALE * u.abs() + 1) ** 2


def lif(current, beta, rec_w=None, rec_b=None, spiking=True):
    """Runs a layer on its current [batch, n, T]: (spikes or None, reported membrane), both [batch, n, T]."""
    b = beta.clamp(0, 1)
    v = None
    s = None
    spikes, membranes = [], []
    for t in range(current.shape[2]):
        u = current[:, :, t] if t == 0 else b * v + current[:, :, t]
        if rec_w is not None and t > 0:
            u = u + s.detach() @ rec_w.t() + rec_b
        if spiking:
            s = Heaviside.apply(u - 1)
            v = u * (1 - s)
            spikes.append(s)
        else:
            v = u
        membranes.append(u)
    return (torch.stack(spikes, 2) if spiking else None), torch.stack(membranes, 2)


def project(x, w, bias):
    """I = W x + b at every step: [batch, in, T] -> [batch, out, T]."""
    return torch.einsum("oi,bit->bot", w, x) + bias[None, :, None]


def tensor_json(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.flatten().tolist()]}


def uniform(gen, shape, bound):
    return ((torch.rand(shape, generator=gen) * 2 - 1) * bound).requires_grad_(True)


def betas(gen, n, low, high, heterogeneous):
    if not heterogeneous:
        return torch.full((1,), (low + high) / 2).requires_grad_(True)
    return (low + (high - low) * torch.rand(n, generator=gen)).requires_grad_(True)


def margin(membranes):
    return min(float((m - 1).abs().min()) for m in membranes)


def layer_case(name, seed, recurrent, heterogeneous=True, batch=3, n_in=12, n_out=10, t_len=40):
    for attempt in range(1000):
        gen = torch.Generator().manual_seed(seed * 1000 + attempt)
        x = (torch.rand(batch, n_in, t_len, generator=gen) < 0.3).float().requires_grad_(True)
        params = {
            "_beta": betas(gen, n_out, 0.8, 0.95, heterogeneous),
            "_to_current.weight": uniform(gen, (n_out, n_in), 1.2 / math.sqrt(n_in) * 2),
            "_to_current.bias": uniform(gen, (n_out,), 0.1),
        }
        if recurrent:
            params["_to_recurrent_current.weight"] = uniform(gen, (n_out, n_out), 1 / math.sqrt(n_out))
            params["_to_recurrent_current.bias"] = uniform(gen, (n_out,), 1 / math.sqrt(n_out))
        current = project(x, params["_to_current.weight"], params["_to_current.bias"])
        spikes, membrane = lif(current, params["_beta"], params.get("_to_recurrent_current.weight"),
                               params.get("_to_recurrent_current.bias"))
        rate = float(spikes.mean())
        if margin([membrane]) < MARGIN or not 0.1 < rate < 0.4:
            continue
        up_s = torch.randn(spikes.shape, generator=gen)
        up_m = torch.randn(membrane.shape, generator=gen)
        loss = (spikes * up_s).sum() + (membrane * up_m).sum()
        loss.backward()
        grads = {k: tensor_json(p.grad) for k, p in params.items()}
        grads["input"] = tensor_json(x.grad)
        return {
            "case": name,
            "level": "layer",
            "spec": {"kind": "standard", "t_len": t_len, "n_in": n_in, "n_out": n_out, "beta_init": 0.9,
                     "heterogeneous_beta": heterogeneous, "beta_requires_grad": True, "surrogate_scale": SCALE,
                     "threshold": 1.0, "method": "standard", "single_spike": False, "recurrent": recurrent,
                     "reset": "zero"},
            "state_dict": {k: tensor_json(p) for k, p in params.items()},
            "input": tensor_json(x),
            "outputs": {"spikes": tensor_json(spikes), "membrane": tensor_json(membrane)},
            "upstream": {"spikes": tensor_json(up_s), "membrane": tensor_json(up_m)},
            "loss": float(loss),
            "grads": grads,
            "stats": {"spike_count": float(spikes.sum()), "min_threshold_margin": margin([membrane])},
        }
    raise RuntimeError(name + ": no draw kept every membrane " + str(MARGIN) + " from the threshold")


def model_case(name, seed, recurrent, readout, layers, heterogeneous=True, batch=4, n_in=20, n_hidden=16, n_out=5,
               t_len=30):
    hidden_beta, readout_beta = math.exp(-1 / 10), math.exp(-1 / 20)
    for attempt in range(1000):
        gen = torch.Generator().manual_seed(seed * 1000 + attempt)
        x = (torch.rand(batch, n_in, t_len, generator=gen) < 0.3).float()
        target = torch.randint(0, n_out, (batch,), generator=gen)
        params = {}
        width = n_in
        for i in range(layers):
            p = "_layers.%d." % i
            params[p + "_beta"] = (torch.full((n_hidden if heterogeneous else 1,), hidden_beta)
                                   * (1 + 0.05 * (torch.rand(n_hidden if heterogeneous else 1, generator=gen) - 0.5))
                                   ).requires_grad_(True)
            params[p + "_to_current.weight"] = uniform(gen, (n_hidden, width), 2.5 / math.sqrt(width))
            params[p + "_to_current.bias"] = uniform(gen, (n_hidden,), 0.05)
            if recurrent:
                params[p + "_to_recurrent_current.weight"] = uniform(gen, (n_hidden, n_hidden), 1 / math.sqrt(n_hidden))
                params[p + "_to_recurrent_current.bias"] = uniform(gen, (n_hidden,), 1 / math.sqrt(n_hidden))
            width = n_hidden
        params["_readout_layer._beta"] = torch.full((n_out if heterogeneous else 1,), readout_beta).requires_grad_(True)
        params["_readout_layer._to_current.weight"] = uniform(gen, (n_out, width), 1 / math.sqrt(width))
        params["_readout_layer._to_current.bias"] = uniform(gen, (n_out,), 0.05)

        h = x
        hidden_spikes, membranes = [], []
        for i in range(layers):
            p = "_layers.%d." % i
            s, m = lif(project(h, params[p + "_to_current.weight"], params[p + "_to_current.bias"]),
                       params[p + "_beta"], params.get(p + "_to_recurrent_current.weight"),
                       params.get(p + "_to_recurrent_current.bias"))
            hidden_spikes.append(s)
            membranes.append(m)
            h = s
        _, readout_membrane = lif(project(h, params["_readout_layer._to_current.weight"],
                                          params["_readout_layer._to_current.bias"]),
                                  params["_readout_layer._beta"], spiking=False)
        logits = readout_membrane.sum(2) if readout == "sum" else readout_membrane.amax(2)
        rates = [float(s.mean()) for s in hidden_spikes]
        if margin(membranes) < MARGIN or not all(0.1 < r < 0.45 for r in rates):
            continue
        if readout == "max" and float((readout_membrane.sort(2).values[:, :, -1]
                                       - readout_membrane.sort(2).values[:, :, -2]).min()) < 1e-4:
            continue  # a near tie of the maximum would make its gradient depend on rounding
        loss = torch.nn.functional.cross_entropy(logits, target)
        loss.backward()
        # The reference's standard network gives every layer, the readout included, a recurrent projection; where
        # this one is not recurrent it is unused (no gradient), as in the reference's own feed-forward cases.
        state = dict(params)
        for prefix, n in [("_layers.%d." % i, n_hidden) for i in range(layers)] + [("_readout_layer.", n_out)]:
            if prefix + "_to_recurrent_current.weight" not in state:
                state[prefix + "_to_recurrent_current.weight"] = uniform(gen, (n, n), 1 / math.sqrt(n))
                state[prefix + "_to_recurrent_current.bias"] = uniform(gen, (n,), 1 / math.sqrt(n))
        return {
            "case": name,
            "level": "model",
            "spec": {"family": "standard", "t_len": t_len, "n_in": n_in, "n_hidden": n_hidden, "n_out": n_out,
                     "n_layers": layers, "readout": readout, "hidden_beta": hidden_beta, "readout_beta": readout_beta,
                     "heterogeneous_beta": heterogeneous, "beta_requires_grad": True, "surrogate_scale": SCALE,
                     "threshold": 1.0, "recurrent": recurrent, "reset": "zero"},
            "state_dict": {k: tensor_json(p) for k, p in state.items()},
            "input": tensor_json(x),
            "target": [int(v) for v in target],
            "logits": tensor_json(logits),
            "hidden_spikes": [tensor_json(s) for s in hidden_spikes],
            "loss": float(loss),
            "grads": {k: tensor_json(p.grad) for k, p in params.items()},
            "stats": {"hidden_spike_counts": [float(s.sum()) for s in hidden_spikes],
                      "min_threshold_margin": margin(membranes)},
        }
    raise RuntimeError(name + ": no draw met the margins")


def main():
    torch.set_num_threads(1)
    cases = [
        layer_case("golden_layer_standard_zero_ff_s1", 1, recurrent=False),
        layer_case("golden_layer_standard_zero_rec_s1", 2, recurrent=True),
        layer_case("golden_layer_standard_zero_shared_beta_s1", 3, recurrent=False, heterogeneous=False),
        model_case("golden_model_standard_zero_ff_sum_2layers_s1", 4, recurrent=False, readout="sum", layers=2),
        model_case("golden_model_standard_zero_rec_max_s1", 5, recurrent=True, readout="max", layers=1),
    ]
    for case in cases:
        with open(os.path.join(HERE, case["case"] + ".json"), "w") as f:
            json.dump(case, f, separators=(",", ":"))
            f.write("\n")
        print("wrote", case["case"], case["stats"])


if __name__ == "__main__":
    main()
