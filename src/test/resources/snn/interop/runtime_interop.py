"""Python side of snn.interop.PyTorchRuntimeTest: runs snn's networks with the repository's snn_pytorch package.

Usage: python3 runtime_interop.py JOB.json

JOB.json is a list of tasks; every failure is reported (task and reason) and the exit status is 1 if any failed.
Each task names the package's folder (``python_path``, the repository's ``python/``), an exported network
(``file``), an input (``input``: {"shape", "data"}) and what snn computed on it (``expected``: logits and each
hidden layer's spikes).

Tasks:
  run         snn_pytorch.load(file)(input): logits within rtol of snn's (relative to the sample's largest logit),
              spikes identical; then a backward pass of the cross-entropy gives finite gradients, nonzero for the
              first layer's weights.
  safetensors the same for a safetensors export where the safetensors package is installed; where it is not,
              load must fail with SnnFileError naming the file and the package.
  finetune    a few Adam steps in PyTorch, then snn_pytorch.save(net, out) and torch.save(net.state_dict(),
              state_dict_out); writes the fine-tuned logits on the input to ``logits_out`` for Java to compare
              with Checkpoints.load(out) and with Checkpoints.loadInto(state_dict_out, net).
"""
import json
import sys
import traceback

import torch


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def tensor(node):
    return torch.tensor(node["data"], dtype=torch.float32).reshape(node["shape"])


def read_json(path):
    with open(path) as f:
        return json.load(f)


def package(task):
    if task["python_path"] not in sys.path:
        sys.path.insert(0, task["python_path"])
    import snn_pytorch
    return snn_pytorch


def compare(out, expected, rtol, what):
    logits = tensor(expected["logits"])
    check(list(out.logits.shape) == list(logits.shape), f"{what}: logits shape {list(out.logits.shape)}")
    scale = logits.abs().amax(dim=1, keepdim=True).clamp_min(1e-30)
    worst = float(((out.logits.detach() - logits).abs() / scale).max())
    check(worst <= rtol, f"{what}: logits differ by {worst:.3g} of the sample's largest logit (allowed {rtol})")
    spikes = [tensor(s) for s in expected["spikes"]]
    check(len(out.spikes) == len(spikes), f"{what}: {len(out.spikes)} hidden layers, snn has {len(spikes)}")
    counts = []
    for i, (a, e) in enumerate(zip(out.spikes, spikes)):
        check(list(a.shape) == list(e.shape), f"{what}: layer {i} spikes shape {list(a.shape)}, snn {list(e.shape)}")
        differ = int((a.detach() != e).sum())
        check(differ == 0, f"{what}: layer {i}: {differ} of {e.numel()} spikes differ from snn's")
        counts.append(int(e.sum()))
    return worst, counts


def backward(net, x):
    net.zero_grad()
    out = net(x)
    target = torch.arange(out.logits.shape[0]) % out.logits.shape[1]
    torch.nn.functional.cross_entropy(out.logits, target).backward()
    for name, p in net.named_parameters():
        if p.requires_grad:
            check(p.grad is not None and bool(torch.isfinite(p.grad).all()), f"gradient of {name} is not finite")
    check(float(net.hidden[0].input.weight.grad.abs().sum()) > 0, "the first layer's weights get no gradient")


def run(task):
    snn = package(task)
    net = snn.load(task["file"])
    x = tensor(read_json(task["input"]))
    worst, counts = compare(net(x), read_json(task["expected"]), task["rtol"], "run")
    backward(net, x)
    return f"logits within {worst:.2g} (relative), spikes identical {counts}, finite gradients"


def safetensors(task):
    snn = package(task)
    try:
        import safetensors  # noqa: F401
    except ImportError:
        try:
            snn.load(task["file"])
        except snn.SnnFileError as e:
            check(task["file"] in str(e) and "safetensors package" in str(e), f"unclear message: {e}")
            return f"safetensors not installed: {e}"
        raise Failure("loading a safetensors file without the package did not fail")
    net = snn.load(task["file"])
    worst, counts = compare(net(tensor(read_json(task["input"]))), read_json(task["expected"]), task["rtol"],
                            "safetensors")
    return f"logits within {worst:.2g}, spikes identical {counts}"


def finetune(task):
    snn = package(task)
    net = snn.load(task["file"])
    x = tensor(read_json(task["input"]))
    before = net(x).logits.detach().clone()
    optimiser = torch.optim.Adam(net.parameters(), lr=0.05)
    target = torch.arange(x.shape[0]) % net.classes
    for _ in range(3):
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(net(x).logits, target).backward()
        optimiser.step()
    with torch.no_grad():
        after = net(x).logits
    check(not torch.equal(before, after), "fine-tuning changed nothing")
    snn.save(net, task["out"])
    torch.save(net.state_dict(), task["state_dict_out"])  # the usual PyTorch file: an OrderedDict, no metadata
    with open(task["logits_out"], "w") as f:
        json.dump({"logits": {"shape": list(after.shape), "data": after.double().flatten().tolist()}}, f)
    return f"3 Adam steps, saved {task['out']}"


TASKS = {"run": run, "safetensors": safetensors, "finetune": finetune}


def main():
    tasks = read_json(sys.argv[1])
    failures = 0
    print(f"torch {torch.__version__}")
    for task in tasks:
        label = task.get("label", task["task"])
        try:
            print(f"ok   {label}: {TASKS[task['task']](task)}")
        except Exception as e:  # report every task, then fail
            failures += 1
            detail = str(e) if isinstance(e, Failure) else traceback.format_exc()
            print(f"FAIL {label}: {detail}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
