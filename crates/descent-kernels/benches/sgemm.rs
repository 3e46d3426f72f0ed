//! This crate's `sgemm` against the pure-Rust products Burn 0.22's CPU backends use (`gemm`
//! 0.19 behind `Flex`, `matrixmultiply` 0.3 behind `ndarray`), in one process, on the shapes of
//! descent's workloads: square products, the products of an MLP 3072-512-512-10 step and of a
//! width-1/4 VGG-11 step (batch 128). Median of repeated runs; GFLOP/s and the ratio ours /
//! best other.
//!
//! ```text
//! cargo bench -p descent-kernels --bench sgemm --profile dev            # all shapes
//! cargo bench -p descent-kernels --bench sgemm --profile dev -- square  # one group
//! cargo bench -p descent-kernels --bench sgemm --profile dev -- 128x3072x512   # one shape
//! cargo bench -p descent-kernels --bench sgemm --profile dev -- tiles  # weight-gradient tiles
//! ```
//!
//! `tiles` is a group of its own (not in the default run): the weight gradient of a
//! full-width VGG-11 convolution as descent_models computes it, each of 2 threads adding
//! products of a short `k` (one tile's columns) into its own large `C` with
//! `sgemm_serial`, against one threaded product over the same total `k`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use descent_kernels::{Isa, MatMut, MatRef, Store, sgemm_on, sgemm_serial};
use rayon::prelude::*;
use std::time::Instant;

fn median_ms(mut f: impl FnMut(), min_reps: usize) -> f64 {
    f();
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < min_reps || (start.elapsed().as_secs_f64() < 0.3 && times.len() < 1000) {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// One `[m, k] · [k, n]` product with A stored transposed (`ta`) or B stored transposed (`tb`).
fn bench(name: &str, m: usize, k: usize, n: usize, ta: bool, tb: bool) -> [f64; 4] {
    let a: Vec<f32> = (0..m * k)
        .map(|i| ((i * 7) % 13) as f32 / 13.0 - 0.5)
        .collect();
    let b: Vec<f32> = (0..k * n)
        .map(|i| ((i * 5) % 11) as f32 / 11.0 - 0.5)
        .collect();
    let mut c = vec![0f32; m * n];
    // Strides of the logical m x k and k x n operands.
    let (ars, acs) = if ta { (1, m) } else { (k, 1) };
    let (brs, bcs) = if tb { (1, k) } else { (n, 1) };
    let reps = 5;
    let mut ours = |isa: Isa| {
        median_ms(
            || {
                sgemm_on(
                    isa,
                    MatRef::new(&a, m, k, ars, acs).unwrap(),
                    MatRef::new(&b, k, n, brs, bcs).unwrap(),
                    MatMut::row_major(&mut c, m, n).unwrap(),
                    Store::Overwrite,
                )
                .unwrap();
            },
            reps,
        )
    };
    let t_ours = ours(Isa::best());
    let t_avx2 = if Isa::Avx2.available() {
        ours(Isa::Avx2)
    } else {
        f64::NAN
    };
    let t_mm = median_ms(
        || {
            // SAFETY: the strides describe the buffers above, c is m x n row-major.
            #[allow(unsafe_code)]
            unsafe {
                matrixmultiply::sgemm(
                    m,
                    k,
                    n,
                    1.0,
                    a.as_ptr(),
                    ars as isize,
                    acs as isize,
                    b.as_ptr(),
                    brs as isize,
                    bcs as isize,
                    0.0,
                    c.as_mut_ptr(),
                    n as isize,
                    1,
                );
            }
        },
        reps,
    );
    let threads = rayon::current_num_threads();
    let t_gemm = median_ms(
        || {
            // SAFETY: as above.
            #[allow(unsafe_code)]
            unsafe {
                gemm::gemm(
                    m,
                    n,
                    k,
                    c.as_mut_ptr(),
                    1,
                    n as isize,
                    false,
                    a.as_ptr(),
                    acs as isize,
                    ars as isize,
                    b.as_ptr(),
                    bcs as isize,
                    brs as isize,
                    0.0f32,
                    1.0f32,
                    false,
                    false,
                    false,
                    gemm::Parallelism::Rayon(threads),
                );
            }
        },
        reps,
    );
    let gf = |t: f64| 2.0 * (m * n * k) as f64 / 1e6 / t;
    println!(
        "| {name} | {m}x{k}x{n}{} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} |",
        match (ta, tb) {
            (true, _) => " (Aᵀ)",
            (_, true) => " (Bᵀ)",
            _ => "",
        },
        gf(t_ours),
        gf(t_avx2),
        gf(t_mm),
        gf(t_gemm),
        t_mm.min(t_gemm) / t_ours
    );
    [t_ours, t_avx2, t_mm, t_gemm]
}

/// `dW[m, n] (+)= dY[m, k] · colsᵀ[k, n]` as `tiles` products of `k` steps each, accumulated
/// into a `C` per thread (2 threads, each its own), against one threaded product of
/// `tiles·k` steps into one `C`: GFLOP/s of both, in this process.
fn tiles(m: usize, k: usize, n: usize, tiles: usize) {
    let a: Vec<f32> = (0..m * k)
        .map(|i| ((i * 7) % 13) as f32 / 13.0 - 0.5)
        .collect();
    let b: Vec<f32> = (0..n * k)
        .map(|i| ((i * 5) % 11) as f32 / 11.0 - 0.5)
        .collect();
    let mut parts: Vec<Vec<f32>> = (0..2).map(|_| vec![0f32; m * n]).collect();
    let t_tiles = median_ms(
        || {
            parts.par_iter_mut().for_each(|c| {
                for tile in 0..tiles {
                    let store = if tile == 0 {
                        Store::Overwrite
                    } else {
                        Store::Accumulate
                    };
                    sgemm_serial(
                        MatRef::row_major(&a, m, k).unwrap(),
                        MatRef::row_major(&b, n, k).unwrap().t(),
                        MatMut::row_major(c, m, n).unwrap(),
                        store,
                    )
                    .unwrap();
                }
            })
        },
        5,
    );
    // The same flops as one product: k·tiles·2 steps (both threads' shares).
    let long_k = 2 * tiles * k;
    let a_long: Vec<f32> = (0..m * long_k)
        .map(|i| ((i * 7) % 13) as f32 / 13.0)
        .collect();
    let b_long: Vec<f32> = (0..n * long_k)
        .map(|i| ((i * 5) % 11) as f32 / 11.0)
        .collect();
    let mut c = vec![0f32; m * n];
    let t_one = median_ms(
        || {
            sgemm_on(
                Isa::best(),
                MatRef::row_major(&a_long, m, long_k).unwrap(),
                MatRef::row_major(&b_long, n, long_k).unwrap().t(),
                MatMut::row_major(&mut c, m, n).unwrap(),
                Store::Overwrite,
            )
            .unwrap();
        },
        5,
    );
    let flops = 2.0 * (m * n * long_k) as f64;
    println!(
        "| tiles | {m}x{k}x{n}, 2 x {tiles} tiles | {:.1} | one product of k = {long_k}: {:.1} | tiles / one = {:.2} |",
        flops / 1e6 / t_tiles,
        flops / 1e6 / t_one,
        t_one / t_tiles
    );
}

fn main() {
    let group = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if group.as_deref() == Some("tiles") {
        println!("weight-gradient tiles (GFLOP/s, median)\n");
        println!("| group | shape | ours, tiles | ours, one product | ratio |");
        println!("|---|---|---|---|---|");
        // Full-width VGG-11: 512->512 @4 (tiles of 6-7 images x 16 positions), @2 (16
        // images x 4), 256->512 @4, 128->256 @8 (3 images x 64).
        for (m, k, n, count) in [
            (512, 100, 4608, 10),
            (512, 64, 4608, 4),
            (512, 100, 2304, 10),
            (256, 192, 1152, 21),
        ] {
            tiles(m, k, n, count);
        }
        return;
    }
    let want = |g: &str| group.as_deref().is_none_or(|x| x == g);
    // `MxKxN`: that one product, B (or with a trailing `t`, A) stored transposed otherwise no.
    let custom: Option<Vec<usize>> = group.as_deref().and_then(|g| {
        g.trim_end_matches('t')
            .split('x')
            .map(|v| v.parse().ok())
            .collect()
    });
    println!(
        "sgemm, {} threads, best kernels: {} (GFLOP/s, median)\n",
        rayon::current_num_threads(),
        Isa::best()
    );
    println!(
        "| group | m x k x n | ours ({}) | ours (avx2) | matrixmultiply | gemm | ours / best other |",
        Isa::best()
    );
    println!("|---|---|---|---|---|---|---|");
    let mut totals = Vec::new();
    if let Some([m, k, n]) = custom.as_deref() {
        let ta = group.as_deref().is_some_and(|g| g.ends_with('t'));
        bench("shape", *m, *k, *n, ta, false);
    }
    if want("square") {
        for n in [128, 256, 512, 1024, 2048] {
            bench("square", n, n, n, false, false);
        }
    }
    if want("mlp") {
        // Forward x·W, input gradient dy·Wᵀ, weight gradient xᵀ·dy of each layer.
        let mut sum = [0.0; 4];
        for (din, dout) in [(3072, 512), (512, 512), (512, 10)] {
            for t in [
                bench("mlp", 128, din, dout, false, false),
                bench("mlp", 128, dout, din, false, true),
                bench("mlp", din, 128, dout, true, false),
            ] {
                for (s, v) in sum.iter_mut().zip(t) {
                    *s += v;
                }
            }
        }
        totals.push(("mlp step products", sum));
    }
    if want("vgg") {
        // The three products of each convolution of a width-1/4 VGG-11 at batch 128
        // (descent_models::conv): forward W·cols, weight gradient cols·dYᵀ, input gradient
        // Wᵀ·dY; patch P = 9·C_in, nL = 128·H·W.
        let layers = [
            (3, 16, 32),
            (16, 32, 16),
            (32, 64, 8),
            (64, 64, 8),
            (64, 128, 4),
            (128, 128, 4),
            (128, 128, 2),
            (128, 128, 2),
        ];
        let mut sum = [0.0; 4];
        for (ci, co, s) in layers {
            let (p, nl) = (ci * 9, 128 * s * s);
            for t in [
                bench("vgg", co, p, nl, false, false),
                bench("vgg", p, nl, co, false, false),
                bench("vgg", p, co, nl, true, false),
            ] {
                for (s, v) in sum.iter_mut().zip(t) {
                    *s += v;
                }
            }
        }
        totals.push(("vgg x1/4 step products", sum));
    }
    println!();
    for (name, [ours, avx2, mm, gemm]) in totals {
        println!(
            "{name}: ours {ours:.2} ms, ours avx2 {avx2:.2} ms, matrixmultiply {mm:.2} ms, gemm {gemm:.2} ms; \
             best other / ours = {:.2}",
            mm.min(gemm) / ours
        );
    }
}
