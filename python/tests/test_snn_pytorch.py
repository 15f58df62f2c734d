"""Unit tests of snn_pytorch against the models' equations (docs/specification.md), independent of snn.

    PYTHONPATH=python /usr/bin/python3 -m unittest discover -s python/tests

The Java suite (snn.interop.PyTorchRuntimeTest) checks the package against snn itself on trained networks.
"""
import os
import tempfile
import unittest

import torch

import snn_pytorch
from snn_pytorch import BlockLayer, DBlockLayer, LifLayer, SnnNetwork, Surrogate
from snn_pytorch.dynamics import _by_chunks, _by_convolution, _by_matrix_product


def layer_with(layer, weight, bias, beta):
    with torch.no_grad():
        layer.input.weight.copy_(weight)
        layer.input.bias.copy_(bias)
        layer.beta.copy_(beta)
    return layer


def loop_membrane(current, beta):
    """V~_t = beta V~_{t-1} + I_t, one step at a time (eq. 3.1.2)."""
    v, out = torch.zeros_like(current[..., 0]), []
    for t in range(current.shape[2]):
        v = beta * v + current[..., t]
        out.append(v)
    return torch.stack(out, 2)


class WorkedExample(unittest.TestCase):
    """Section 2.2: one neuron, beta 0.9, currents 0.6, 0.6, 0.6, 0, 1.5, 0.2 (fed as the input, W = 1, b = 0)."""

    x = torch.tensor([0.6, 0.6, 0.6, 0.0, 1.5, 0.2]).view(1, 1, 6)

    def run_mode(self, mode, reset="subtract"):
        layer = layer_with(LifLayer(1, 1, mode, False, 1, True, Surrogate(), reset), torch.ones(1, 1),
                           torch.zeros(1), torch.tensor([0.9]))
        s, v = layer(self.x)
        return (None if s is None else s.flatten().tolist()), v.flatten().tolist()

    def test_multi_spike(self):
        s, u = self.run_mode("multi")
        self.assertEqual(s, [0, 1, 0, 0, 1, 1])
        for a, e in zip(u, [0.6, 1.14, 0.726, 0.6534, 2.0881, 1.1793]):
            self.assertAlmostEqual(a, e, places=4)

    def test_single_spike(self):
        s, v = self.run_mode("single")
        self.assertEqual(s, [0, 1, 0, 0, 0, 0])
        for a, e in zip(v, [0.6, 1.14, 0, 0, 0, 0]):
            self.assertAlmostEqual(a, e, places=5)

    def test_integrator(self):
        s, v = self.run_mode("integrator")
        self.assertIsNone(s)
        for a, e in zip(v, [0.6, 1.14, 1.626, 1.4634, 2.8171, 2.7354]):
            self.assertAlmostEqual(a, e, places=4)

    def test_zero_reset(self):
        # After the spike at step 1 the membrane restarts from 0: U_2 = 0.6, U_3 = 0.54, U_4 = 1.986 (spike),
        # U_5 = 0.2.
        s, u = self.run_mode("multi", "zero")
        self.assertEqual(s, [0, 1, 0, 0, 1, 0])
        for a, e in zip(u, [0.6, 1.14, 0.6, 0.54, 1.986, 0.2]):
            self.assertAlmostEqual(a, e, places=5)


class ClosedForms(unittest.TestCase):

    def setUp(self):
        torch.manual_seed(3)

    def test_every_membrane_method_is_the_step_loop(self):
        for t in (1, 7, 40, 131):
            current = torch.randn(2, 3, t)
            for beta in (torch.rand(3), torch.rand(1), torch.tensor([0.0, 1.0, 0.5])):
                want = loop_membrane(current, beta)
                for method in (_by_matrix_product, _by_convolution, lambda c, b: _by_chunks(c, b, 8)):
                    torch.testing.assert_close(method(current, beta), want, rtol=1e-5, atol=1e-5)

    def test_block_layer_fires_as_the_single_spike_lif(self):
        w, b, beta = torch.randn(5, 4), 0.3 * torch.randn(5), torch.rand(5)
        x = (torch.rand(8, 4, 30) < 0.4).float()
        block = layer_with(BlockLayer(4, 5, True, 5, True, Surrogate()), w, b, beta)
        lif = layer_with(LifLayer(4, 5, "single", False, 5, True, Surrogate()), w, b, beta)
        self.assertTrue(torch.equal(block(x)[0], lif(x)[0]))
        self.assertGreater(int(block(x)[0].sum()), 0)

    def test_one_block_is_the_block_layer(self):
        w, b, beta = torch.randn(5, 4), 0.3 * torch.randn(5), torch.rand(5)
        x = (torch.rand(8, 4, 30) < 0.4).float()
        block = layer_with(BlockLayer(4, 5, True, 5, True, Surrogate()), w, b, beta)
        dblock = layer_with(DBlockLayer(4, 5, 1, False, True, "max", True, 5, True, Surrogate()), w, b, beta)
        for a, e in zip(dblock(x), block(x)):
            torch.testing.assert_close(a, e)

    def test_dblock_fires_at_most_once_per_block_and_restarts(self):
        layer = DBlockLayer(4, 6, 3, True, True, "max", True, 6, True, Surrogate())
        with torch.no_grad():
            layer.input.weight.mul_(4)
        x = (torch.rand(5, 4, 20) < 0.5).float()  # blocks of 6, 6, 6 and a last block of 2
        s, v = layer(x)
        for start, end in ((0, 6), (6, 12), (12, 18), (18, 20)):
            self.assertLessEqual(float(s[..., start:end].sum(2).max()), 1)
        self.assertGreater(int(s.sum()), 0)
        # Block 0 has no injection: its membrane is the current filtered from rest.
        torch.testing.assert_close(v[..., :6], loop_membrane(layer.current(x)[..., :6], layer.beta.clamp(0, 1)))

    def test_surrogate_derivatives(self):
        u = torch.tensor([-0.2, 0.0, 0.3], requires_grad=True)
        Surrogate("fast_sigmoid", 10).spike(u).sum().backward()
        torch.testing.assert_close(u.grad, torch.tensor([1 / 9, 1, 1 / 16]))
        for kind, expected in (("arctan", lambda v: 1 / (1 + (torch.pi * v) ** 2)),
                               ("triangle", lambda v: (1 - 2 * v.abs()).clamp_min(0))):
            u = torch.tensor([-0.3, 0.1, 0.4], requires_grad=True)
            Surrogate(kind, 2).spike(u).sum().backward()
            torch.testing.assert_close(u.grad, expected(u.detach()))


class Networks(unittest.TestCase):

    MODELS = {
        "standard": {"kind": "standard", "hidden": [6, 5], "recurrent": True},
        "single": {"kind": "standard", "hidden": [6], "single_spike": True, "readout": "max"},
        "block": {"kind": "block", "hidden": [6, 5], "per_neuron_beta": False},
        "dblock": {"kind": "dblock", "hidden": [6], "d": 3, "recurrent": True, "detach_recurrent": False,
                   "recurrent_input": "sum"},
    }

    def test_backward_gives_finite_nonzero_gradients(self):
        torch.manual_seed(1)
        x = (torch.rand(4, 4, 12) < 0.5).float()
        for label, model in self.MODELS.items():
            net = SnnNetwork(model, 4, 3)
            out = net(x)
            self.assertEqual(list(out.logits.shape), [4, 3], label)
            self.assertEqual([list(s.shape) for s in out.spikes], [[4, n, 12] for n in model["hidden"]], label)
            torch.nn.functional.cross_entropy(out.logits, torch.tensor([0, 1, 2, 0])).backward()
            for name, p in net.named_parameters():
                self.assertTrue(torch.isfinite(p.grad).all(), f"{label} {name}")
            self.assertGreater(float(net.hidden[0].input.weight.grad.abs().sum()), 0, label)

    def test_save_and_load_round_trip(self):
        import json
        net = SnnNetwork(self.MODELS["dblock"], 4, 3)
        net.metadata = {"format": "snn", "format_version": 1, "layout": "snn", "inputs": 4, "classes": 3,
                        "config": {"model": self.MODELS["dblock"]}}
        x = (torch.rand(2, 4, 12) < 0.5).float()
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "net.pt")
            snn_pytorch.save(net, path)
            back = snn_pytorch.load(path)
            self.assertTrue(torch.equal(back(x).logits, net(x).logits))
            state = torch.load(path, weights_only=True)
            self.assertEqual(json.loads(state["snn_metadata"])["inputs"], 4)

    def test_errors_name_the_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "weights.pt")
            torch.save({"hidden.0.input.weight": torch.zeros(2, 2)}, path)
            with self.assertRaises(snn_pytorch.SnnFileError) as e:
                snn_pytorch.load(path)
            self.assertIn(path, str(e.exception))
            self.assertIn("snn_metadata", str(e.exception))


if __name__ == "__main__":
    unittest.main()
