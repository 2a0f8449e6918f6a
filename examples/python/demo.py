#!/usr/bin/env python3
"""The README's demo from Python (docs/python.md): the hybrid analog-spiking LSTM on row-wise
MNIST, T = 32, on the simulated Loihi 1 against the original LSTM on this CPU.

    cmake --build build --target loihisim_python     # or: bash tools/setup.sh
    PYTHONPATH=build/python /usr/bin/python3 examples/python/demo.py [SAMPLES]

Run from the source tree (the paths below are relative to it); SAMPLES defaults to 300.
"""
import sys

import loihisim

n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
every = max(1, 2000 // n)  # the 2,000 test digits are in class order: every k-th keeps the mix

# Inferences on the chip (the GIL is released while they run) and the original network on the CPU.
run = loihisim.run("examples/hybrid/mnist_row_t32.model.yaml", arch="loihi1", samples=n,
                   every=every, threads=2)
cpu = loihisim.baseline("models/weights/mnist_row_modified.h5", samples=n, every=every, rapl="off")
print(f"accuracy: chip {run.accuracy:.2%}, CPU {cpu.accuracy:.2%} on {run.samples} digits")

# Where the chip's energy goes: every event kind, per inference (numbers from the report dict).
breakdown = run.summary["chip"]["energy"]["breakdown"]
for line in sorted(breakdown, key=lambda l: -l["energy_per_inference_pJ"])[:6]:
    print(f"  {line['event']:<20} {line['energy_per_inference_pJ'] / 1e6:9.3f} uJ")
print(f"host share of the active energy: {run.host_share:.2%}")
print(f"latency per inference: {run.latency_ps.mean() / 1e9:.3f} ms "
      f"(min {run.latency_ps.min() / 1e9:.3f}, max {run.latency_ps.max() / 1e9:.3f})")

# Chip against CPU, per inference, with the ratios and every assumption (as `loihisim compare`).
print(loihisim.compare_text(run, cpu))
