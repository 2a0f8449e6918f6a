#!/usr/bin/env python3
"""Runs one network of bench/random_network.py in loihisim and in Brian2's C++ standalone mode
on this machine, in the same run, and prints spikes, loop synaptic events per second and their
ratio (docs/performance.md, "Spiking networks"). A benchmark, not a test.

    /usr/bin/python3 bench/random_network.py /tmp/rnd/net.yaml
    /usr/bin/python3 bench/brian2_compare.py /tmp/rnd/net.yaml [--steps 1000] [--build build]
                                              [--arch loihi1]

Brian2 (Debian's python3-brian) runs the same neurons and synapses in the same units: per step
u <- trunc(u (4096 - decay_u) / 4096), v <- trunc(v (4096 - decay_v) / 4096) + u + bias, a spike
when v > vth_mant * 64, then v <- 0; a spike adds weight * 64 to each target's u. Brian2's
order of operations within a step differs from Loihi's (input reaches u one step apart), so the
spike counts are close, not equal; the figure compared is synaptic events per second of loop
time (Brian2: its standalone run time; loihisim: its stepping loop), both on one thread.
"""
import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import yaml


def read_network(path):
    with open(path) as f:
        net = yaml.safe_load(f)
    pop = net["populations"][0]
    with h5py.File(os.path.join(os.path.dirname(path), net["arrays"]), "r") as a:
        arrays = {k: a[k][()] for k in ("pre", "post", "weight", "bias")}
    return pop["size"], pop["profile"], arrays


def run_loihisim(cli, net, steps, arch):
    out = subprocess.run([cli, "simulate", net, "--arch", arch, "--steps", str(steps), "-q"],
                         check=True, capture_output=True, text=True).stdout
    rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    spikes = int(re.search(r"^lif\s+\d+\s+(\d+)", out, re.M).group(1))
    m = re.search(r"simulated in ([\d.]+) s \(measured\).*?, (\d+) synaptic events", out)
    return {"spikes": spikes, "loop_s": float(m.group(1)), "syn_events": int(m.group(2)),
            "rss_bytes": rss_kb * 1024}


def run_brian(n, profile, arrays, steps, workdir):
    import brian2 as b
    b.set_device("cpp_standalone", directory=workdir, build_on_run=False)
    b.prefs.devices.cpp_standalone.openmp_threads = 0
    b.defaultclock.dt = 1 * b.ms
    du, dv = profile["decay_u"], profile["decay_v"]
    g = b.NeuronGroup(n, "u : 1\nv : 1\nbias : 1", threshold=f"v > {profile['vth_mant'] * 64}",
                      reset="v = 0", refractory=profile.get("refract_delay", 1) * b.ms,
                      method="exact")
    g.run_regularly(f"u = int(u * {4096 - du} / 4096)\n"
                    f"v = int(v * {4096 - dv} / 4096) + u + bias", when="before_thresholds")
    g.bias = arrays["bias"].astype(float)
    s = b.Synapses(g, g, "w : 1", on_pre="u_post += w")
    s.connect(i=arrays["pre"], j=arrays["post"])
    s.w = arrays["weight"].astype(float) * 64
    mon = b.SpikeMonitor(g, record=False)
    b.run(steps * b.ms)
    b.device.build(directory=workdir, compile=True, run=True, debug=False)
    spikes = int(mon.num_spikes)
    fanout = len(arrays["pre"]) / n
    return {"spikes": spikes, "loop_s": b.device._last_run_time,
            "syn_events": int(round(spikes * fanout))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("network")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--build", default="build")
    ap.add_argument("--arch", default="loihi1")
    args = ap.parse_args()
    n, profile, arrays = read_network(args.network)
    synapses = len(arrays["pre"])
    lo = run_loihisim(os.path.join(args.build, "tools", "loihisim"), args.network, args.steps,
                      args.arch)
    with tempfile.TemporaryDirectory() as work:
        br = run_brian(n, profile, arrays, args.steps, work)
    print(f"network {args.network}: {n} neurons, {synapses} synapses, {args.steps} steps")
    print(f"{'':10} {'spikes':>10} {'rate/neuron/step':>17} {'syn events':>12} {'loop s':>9}"
          f" {'syn events/s':>13}")
    for name, r in (("brian2", br), ("loihisim", lo)):
        print(f"{name:10} {r['spikes']:>10} {r['spikes'] / n / args.steps:>17.4f}"
              f" {r['syn_events']:>12} {r['loop_s']:>9.3f} {r['syn_events'] / r['loop_s']:>13.4g}")
    ratio = (lo["syn_events"] / lo["loop_s"]) / (br["syn_events"] / br["loop_s"])
    print(f"loihisim / brian2 synaptic events per second: {ratio:.3g}")
    print(f"loihisim peak memory {lo['rss_bytes'] / 2**20:.1f} MiB = "
          f"{lo['rss_bytes'] / synapses:.0f} bytes per synapse (whole process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
