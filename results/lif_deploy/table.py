#!/usr/bin/python3
"""Prints the README's deployment table from the run folders beside this script (after commands.sh)."""
import csv
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
KS = (1, 2, 5)


def metrics(run):
    with open(os.path.join(HERE, run, "metrics.csv")) as f:
        return list(csv.DictReader(f))


def accuracy(text_file, pattern):
    with open(os.path.join(HERE, text_file)) as f:
        return float(re.search(pattern, f.read()).group(1))


def row(label, run, k0=None):
    rows = metrics(run)
    cells = ["%.1f %%" % k0 if k0 is not None else "–"]
    seconds = 0.0
    for k in KS:
        cells.append("%.1f %%" % (100 * float(rows[k - 1]["test_accuracy"])))
    seconds = sum(float(r["epoch_seconds"]) for r in rows[:max(KS)])
    return "| %s | %s | %.0f s |" % (label, " | ".join(cells), seconds)


for task, name, source in (("qs", "quickstart", "recurrent d-block (d = 5), 10 epochs"),
                           ("fm", "Fashion-MNIST subset", "block 784 → 1000 → 10, 10 epochs")):
    src = metrics(task + "_" + ("dblock" if task == "qs" else "block"))
    print("| %s: %s | %.1f %% (%.0f s) | | | | |" % (name, source, 100 * float(src[-1]["test_accuracy"]),
                                                   sum(float(r["epoch_seconds"]) for r in src)))
    approx = accuracy(task + "_approximate.txt", r"([\d.]+) % \(LIF\)")
    print("| `--approximate` (its weights as subtractive LIF neurons, no training) | %.1f %% | | | | |" % approx)
    for reset in ("subtract", "zero"):
        k0 = accuracy("%s_k0_%s.txt" % (task, reset), r"test accuracy ([\d.]+)%")
        print(row("LIF, %s reset, fine-tuned from it" % reset, "%s_finetune_%s" % (task, reset), k0))
        print(row("LIF, %s reset, from scratch" % reset, "%s_scratch_%s" % (task, reset)))
