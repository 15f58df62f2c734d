"""snn_pytorch against the golden model cases (src/test/resources/golden): runs of the authors' original PyTorch
implementation (and, for the zero reset, of the equations alone), with their parameters, inputs, logits, hidden
spikes and loss gradients. The same tolerances as snn's GoldenCasesTest: spikes equal, logits within 1e-4, every
gradient within 1e-3 of its tensor's largest magnitude.

    PYTHONPATH=python /usr/bin/python3 -m unittest discover -s python/tests
"""
import glob
import json
import os
import unittest

import torch

from snn_pytorch import SnnNetwork

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "..", "src", "test", "resources", "golden")
NAMES = (("_layers.", "hidden."), ("_readout_layer.", "readout."), ("_to_input_current.", "input."),
         ("_to_current.", "input."), ("_to_recurrent_current.", "recurrent."), ("._beta", ".beta"))


def tensor(node):
    return torch.tensor(node["data"], dtype=torch.float32).reshape(node["shape"])


def snn_name(reference):
    for old, new in NAMES:
        reference = reference.replace(old, new)
    return reference


def model_of(spec):
    """The model section of an snn config for a golden case's spec."""
    family = spec["family"]
    model = {"hidden": [spec["n_hidden"]] * spec["n_layers"], "readout": spec["readout"],
             "per_neuron_beta": spec["heterogeneous_beta"], "learn_beta": spec["beta_requires_grad"],
             "surrogate": {"kind": "fast_sigmoid", "scale": spec["surrogate_scale"]}}
    if family == "block" and spec.get("method") == "standard":
        model.update(kind="standard", single_spike=True)
    elif family == "block":
        model.update(kind="block")
    elif family == "standard":
        model.update(kind="standard", recurrent=spec.get("recurrent", False), reset=spec.get("reset", "subtract"))
    else:
        model.update(kind="dblock", d=spec["d"], recurrent=spec["recurrent"], detach_recurrent=spec["detach"],
                     recurrent_input="max" if spec.get("use_max", True) else "sum")
    return model


class GoldenModels(unittest.TestCase):

    def test_every_golden_model_case(self):
        files = sorted(glob.glob(os.path.join(GOLDEN, "golden_model_*.json")))
        self.assertGreater(len(files), 10, f"golden cases in {GOLDEN}")
        for path in files:
            with open(path) as f:
                case = json.load(f)
            name = case["case"]
            spec = case["spec"]
            net = SnnNetwork(model_of(spec), spec["n_in"], spec["n_out"])
            expected = net.state_dict()
            state = {snn_name(k): tensor(v) for k, v in case["state_dict"].items()}
            state = {k: v for k, v in state.items() if k in expected}  # the reference's unused projections
            net.load_state_dict(state, strict=True)
            out = net(tensor(case["input"]))
            torch.testing.assert_close(out.logits, tensor(case["logits"]), rtol=0, atol=1e-4, msg=name)
            for i, spikes in enumerate(case["hidden_spikes"]):
                self.assertTrue(torch.equal(out.spikes[i], tensor(spikes)), f"{name}: spikes of layer {i}")
            loss = torch.nn.functional.cross_entropy(out.logits, torch.tensor(case["target"]))
            self.assertAlmostEqual(float(loss), case["loss"], places=4, msg=name)
            loss.backward()
            params = dict(net.named_parameters())
            for reference, grad in case["grads"].items():
                p = params.get(snn_name(reference))
                if p is None:
                    continue  # the reference's unused projections
                want = tensor(grad)
                scale = float(want.abs().max()) or 1.0
                self.assertLessEqual(float((p.grad - want).abs().max()), 1e-3 * scale, f"{name}: gradient of"
                                     f" {reference}")


if __name__ == "__main__":
    unittest.main()
