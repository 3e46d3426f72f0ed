#!/usr/bin/env python3
"""The results table of protocol.md from what run.sh left in OUT, with the verdicts by the
protocol's rules. Usage: summarize.py OUT > table.md   (needs numpy for the .npz files)

Reads, per seed: OUT/{sgd,sam}/seedN/eval.json (`descent eval RUN --json`: accuracy, loss =
mean cross-entropy = NLL, ece), OUT/swa/seedN/eval.json (`descent eval RUN --swag --json`: the
rows swag, swa and last, each accuracy, nll, ece) and every arm's curvature.npz
(`descent landscape curvature`: lambda_max with its residual, Keskar's and the
filter-normalized sharpness). Mean and sample standard deviation (n - 1) over the seeds.
"""
import json
import statistics
import sys
from pathlib import Path

import numpy as np

SEEDS = [0, 1, 2]


def spread(values):
    return statistics.mean(values), statistics.stdev(values)


def fmt(values, digits, scale=1.0):
    mean, sd = spread([v * scale for v in values])
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def load(out):
    rows = {}  # row name -> list of per-seed dicts
    for arm in ["sgd", "sam", "swa"]:
        for seed in SEEDS:
            run = out / arm / f"seed{seed}"
            ev = json.loads((run / "eval.json").read_text())
            z = np.load(run / "curvature.npz")
            curv = {
                "lambda_max": float(z["lambda_max"][0]),
                "residual": float(z["largest_residuals"][0]),
                "converged": bool(z["largest_converged"][0]),
                "keskar": float(z["sharpness_keskar"][0]),
                "filter": float(z["sharpness_filter-normalized"][0]),
                "train_loss": float(z["loss"][0]),
            }
            if arm == "swa":
                got = {
                    "SWA (average)": dict(ev["swa"], **curv),
                    "SWAG (BMA, 30 samples)": dict(ev["swag"]),
                    "SWA run, last weights": dict(ev["last"]),
                }
            else:
                name = "SGD" if arm == "sgd" else "SAM (rho 0.05)"
                got = {name: {"accuracy": ev["accuracy"], "nll": ev["loss"], "ece": ev["ece"], **curv}}
            for name, metrics in got.items():
                rows.setdefault(name, []).append(metrics)
    return rows


def column(rows, name, key):
    return [m[key] for m in rows[name]]


def compare(rows, a, b, key, lower_is_better):
    """(difference a - b, margin, verdict word) by the protocol's margin rule."""
    va, vb = column(rows, a, key), column(rows, b, key)
    diff = statistics.mean(va) - statistics.mean(vb)
    margin = max(statistics.stdev(va), statistics.stdev(vb))
    better = -diff if lower_is_better else diff
    word = "better" if better > margin else ("worse" if -better > margin else "within the spread")
    return diff, margin, word


def main():
    out = Path(sys.argv[1])
    rows = load(out)
    print("| weights | test accuracy (%) | test NLL | ECE (15 bins) | top Hessian eigenvalue "
          "| Keskar sharpness (eps 1e-3) | filter-normalized sharpness (eps 1e-3, ours) |")
    print("|---|---|---|---|---|---|---|")
    for name, ms in rows.items():
        cells = [fmt(column(rows, name, "accuracy"), 2, 100.0),
                 fmt(column(rows, name, "nll"), 4),
                 fmt(column(rows, name, "ece"), 4)]
        if "lambda_max" in ms[0]:
            cells += [fmt(column(rows, name, "lambda_max"), 1),
                      fmt(column(rows, name, "keskar"), 1),
                      fmt(column(rows, name, "filter"), 3)]
        else:
            cells += ["(SWA's mean)" if name.startswith("SWAG") else "—", "", ""]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    print("Eigenvalue residuals |H v - lambda v| (Lanczos' convergence test is residual <= "
          "tol |H|):")
    for name, ms in rows.items():
        if "residual" in ms[0]:
            res = ", ".join(f"{m['lambda_max']:.2f} (residual {m['residual']:.1e})"
                            + ("" if m["converged"] else " (not converged)") for m in ms)
            print(f"- {name}: {res}")
    print()
    print("Verdicts (margin = the larger sample sd of the two compared):")
    sgd, sam, swa, swag = "SGD", "SAM (rho 0.05)", "SWA (average)", "SWAG (BMA, 30 samples)"
    d, m, w = compare(rows, sam, sgd, "accuracy", lower_is_better=False)
    e = statistics.mean(column(rows, sam, "lambda_max")) < statistics.mean(column(rows, sgd, "lambda_max"))
    verdict = "reproduced" if w == "better" and e else ("not reproduced" if w == "worse" else "mixed")
    print(f"- SAM: accuracy {100 * d:+.2f} points against SGD (margin {100 * m:.2f}: {w}); "
          f"top eigenvalue {'lower' if e else 'not lower'}: **{verdict}**")
    d, m, w = compare(rows, swa, sgd, "accuracy", lower_is_better=False)
    e = statistics.mean(column(rows, swa, "lambda_max")) < statistics.mean(column(rows, sgd, "lambda_max"))
    verdict = "reproduced" if w == "better" and e else ("not reproduced" if w == "worse" else "mixed")
    print(f"- SWA: accuracy {100 * d:+.2f} points against SGD (margin {100 * m:.2f}: {w}); "
          f"top eigenvalue {'lower' if e else 'not lower'}: **{verdict}**")
    words = []
    for other in [sgd, swa]:
        for key in ["nll", "ece"]:
            d, m, w = compare(rows, swag, other, key, lower_is_better=True)
            words.append((other, key, d, m, w))
    if all(w == "better" for *_, w in words):
        verdict = "reproduced"
    elif any(o == sgd and w == "worse" for o, _, _, _, w in words):
        verdict = "not reproduced"
    else:
        verdict = "mixed"
    detail = "; ".join(f"{k.upper()} {d:+.4f} against {o} (margin {m:.4f}: {w})" for o, k, d, m, w in words)
    print(f"- SWAG: {detail}: **{verdict}**")


if __name__ == "__main__":
    main()
