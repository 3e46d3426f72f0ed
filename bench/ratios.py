"""Prints descent / PyTorch throughput ratios from the JSON lines of bench/compare.sh.

  python ratios.py TORCH.jsonl DESCENT.jsonl

A row's value on each side is the median over rounds of that round's own median; the ratio is
descent throughput / PyTorch throughput (> 1 = descent is faster). Seconds per landscape point
are turned into points per second first. The min-max of the per-round ratios is shown when
there is more than one round.
"""
import json
import statistics
import sys

# descent workload -> (PyTorch bench name, PyTorch batch or None, PyTorch metric, label); a
# workload with several PyTorch references has one entry per reference (key "workload#k").
PAIRS = {
    "mlp_train": ("mlp_cifar_train", None, "images_per_s", "1 MLP 3072-512-512-10 train b128"),
    "vgg11_full_train": ("vgg11_full_train", None, "images_per_s", "2 VGG-11 train b128"),
    "vgg11_narrow_train": ("vgg11_narrow_train", None, "images_per_s", "3 VGG-11 x1/4 train b128"),
    "vgg11_narrow_infer_b128": ("vgg11_narrow_infer", 128, "images_per_s", "3 VGG-11 x1/4 infer b128"),
    "vgg11_narrow_infer_b512": ("vgg11_narrow_infer", 512, "images_per_s", "3 VGG-11 x1/4 infer b512"),
    "landscape": ("landscape_vgg11_narrow", None, "s_per_point", "4 landscape x1/4, 2048 img, b512"),
    "landscape#2": ("llpkg_vgg11_narrow_batched", None, "s_per_point",
                    "4 landscape x1/4 vs the loss-landscapes package"),
    "landscape_mlp": (None, None, "s_per_point", "9 landscape MLP 3072-512-512-10, 2048 img, b512"),
    "tiny_mlp": ("mlp_tiny_train", None, "steps_per_s", "5 tiny MLP 2-32-1 b32"),
    "resnet20_train": ("resnet20_train", None, "images_per_s", "7 ResNet-20 train b128"),
    "resnet56_train": ("resnet56_train", None, "images_per_s", "8 ResNet-56 train b128"),
}


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def throughput(metric, value):
    return 1.0 / value if metric == "s_per_point" else value


def fmt(metric, value):
    if metric == "s_per_point":
        return f"{value:.3f} s/pt"
    if metric == "steps_per_s":
        return f"{value:,.0f} steps/s"
    return f"{value:,.0f} img/s"


def main():
    torch_recs, ours_recs = load(sys.argv[1]), load(sys.argv[2])
    print("| row | backend | descent | PyTorch | descent/PyTorch (>1 = faster) | per-round | "
          "foreign CPU descent / torch | notes |")
    print("|---|---|---|---|---|---|---|---|")
    backends = sorted({r.get("backend") for r in ours_recs if "workload" in r})
    for key, (tname, tbatch, tmetric, label) in PAIRS.items():
        workload = key.split("#")[0]
        tr = {r.get("run", 0): r for r in torch_recs
              if r.get("bench") == tname and (tbatch is None or r.get("batch") == tbatch)}
        for backend in backends:
            ours = {r.get("round", 0): r for r in ours_recs
                    if r.get("workload") == workload and r.get("backend") == backend}
            if not ours:
                continue
            metric = next(iter(ours.values()))["metric"]
            o_med = statistics.median(r["value"] for r in ours.values())
            notes = ""
            if workload.startswith("landscape"):
                nf = [r["non_forward_share"] for r in ours.values()]
                notes = f"descent non-forward {100 * statistics.median(nf):.1f}%"
                if tr:
                    sf = statistics.median(r["set_frac"] for r in tr.values())
                    notes += f", torch set-params {100 * sf:.2f}%"
            of = statistics.median(r.get("foreign_cpu_frac") or 0.0 for r in ours.values())
            if not tr:
                print(f"| {label} | {backend} | {fmt(metric, o_med)} | - | - | - | {100 * of:.1f}% / - | {notes} |")
                continue
            t_med = statistics.median(r[tmetric] for r in tr.values())
            tf = statistics.median(r.get("foreign_cpu_frac") or 0.0 for r in tr.values())
            ratio = throughput(metric, o_med) / throughput(tmetric, t_med)
            rounds = [throughput(metric, ours[k]["value"]) / throughput(tmetric, tr[k][tmetric])
                      for k in sorted(ours) if k in tr]
            spread = f"{min(rounds):.2f}-{max(rounds):.2f}" if len(rounds) > 1 else "-"
            print(f"| {label} | {backend} | {fmt(metric, o_med)} | {fmt(tmetric, t_med)} | "
                  f"**{ratio:.2f}** | {spread} | {100 * of:.1f}% / {100 * tf:.1f}% | {notes} |")
    for r in ours_recs:
        if r.get("row") == 6 and "value" in r:
            o, b = r["ours_step_s"]["median"], r["burn_step_s"]["median"]
            print(f"| 6 {r['workload']} | {r['backend']} | ours {1e3 * o:.1f} ms | Burn {1e3 * b:.1f} ms "
                  f"| Burn/ours **{r['value']:.3f}** (round {r.get('round', 0)}) | - | "
                  f"{100 * (r.get('foreign_cpu_frac') or 0):.1f}% / - | not PyTorch: ours vs Burn's SGD |")
        if "error" in r:
            print(f"| {r.get('row')} | {r.get('backend')} | failed: {r['error']} | | | | | |")


if __name__ == "__main__":
    main()
