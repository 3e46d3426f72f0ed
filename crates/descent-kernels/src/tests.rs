//! Every kernel family this CPU runs against a float64 reference.

use crate::{
    Isa, KernelError, MatMut, MatRef, PackedA, Store, sgemm, sgemm_on, sgemm_packed,
    sgemm_packed_serial, sgemm_serial,
};
use rand::{RngExt, SeedableRng, rngs::StdRng};

fn random(len: usize, rng: &mut StdRng) -> Vec<f32> {
    (0..len).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

/// `a` (`m x k`) as a buffer with the given layout: row-major, or stored transposed
/// (column-major), either with `pad` unused elements after every line.
struct Operand {
    data: Vec<f32>,
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl Operand {
    fn new(rows: usize, cols: usize, transposed: bool, pad: usize, rng: &mut StdRng) -> Self {
        let (lines, line) = if transposed {
            (cols, rows)
        } else {
            (rows, cols)
        };
        let stride = line + pad;
        let data = random(lines * stride, rng);
        let (row_stride, col_stride) = if transposed { (1, stride) } else { (stride, 1) };
        Self {
            data,
            rows,
            cols,
            row_stride,
            col_stride,
        }
    }

    fn view(&self) -> MatRef<'_> {
        MatRef::new(
            &self.data,
            self.rows,
            self.cols,
            self.row_stride,
            self.col_stride,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn at(&self, i: usize, j: usize) -> f64 {
        f64::from(self.data[i * self.row_stride + j * self.col_stride])
    }
}

/// Runs one product on `isa` and compares every element of C (and the padding between its
/// rows, which must stay untouched) with the f64 reference.
#[allow(clippy::too_many_arguments)]
fn check(isa: Isa, m: usize, n: usize, k: usize, ta: bool, tb: bool, store: Store, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let a = Operand::new(m, k, ta, 3, &mut rng);
    let b = Operand::new(k, n, tb, 5, &mut rng);
    let ldc = n + 2;
    let before = random(m * ldc, &mut rng);
    let mut c = before.clone();
    let out = MatMut::new(&mut c, m, n, ldc).unwrap_or_else(|e| panic!("{e}"));
    sgemm_on(isa, a.view(), b.view(), out, store).unwrap_or_else(|e| panic!("{e}"));
    for i in 0..m {
        for j in 0..ldc {
            let got = c[i * ldc + j];
            if j >= n {
                assert_eq!(
                    got.to_bits(),
                    before[i * ldc + j].to_bits(),
                    "padding touched"
                );
                continue;
            }
            let mut want: f64 = (0..k).map(|p| a.at(i, p) * b.at(p, j)).sum();
            if store == Store::Accumulate {
                want += f64::from(before[i * ldc + j]);
            }
            // Each term is below 1 in magnitude: float32 rounding of a k-term sum.
            let tol = 1e-6 * (k as f64 + 1.0) * 4.0;
            assert!(
                (f64::from(got) - want).abs() <= tol,
                "{isa} m={m} n={n} k={k} ta={ta} tb={tb} {store:?}: c[{i}][{j}] = {got}, want {want}"
            );
        }
    }
}

fn families() -> Vec<Isa> {
    let isas: Vec<Isa> = Isa::ALL.into_iter().filter(|isa| isa.available()).collect();
    assert!(isas.contains(&Isa::Portable));
    isas
}

#[test]
fn edge_shapes_match_the_float64_reference_on_every_family() {
    // Sizes around every kernel's MR (4, 6, 12) and NR (16, 32), and 1.
    let sizes = [1, 3, 4, 5, 6, 7, 11, 12, 13, 15, 16, 17, 31, 32, 33, 47];
    let mut seed = 0;
    for isa in families() {
        for &m in &sizes {
            for &n in &sizes {
                seed += 1;
                let k = [1, 2, 7, 16, 33][seed as usize % 5];
                let (ta, tb) = (seed % 2 == 0, seed % 3 == 0);
                let store = if seed % 4 == 0 {
                    Store::Accumulate
                } else {
                    Store::Overwrite
                };
                check(isa, m, n, k, ta, tb, store, seed);
            }
        }
    }
}

#[test]
fn products_larger_than_the_blocks_match_on_every_family() {
    // Past KC in k (several k blocks), past NB in n, past MB in m, threaded, every layout.
    let cases = [
        (70, 1100, 300),
        (1000, 40, 520),
        (130, 129, 257),
        (16, 5000, 27),
        (27, 16, 3000),
    ];
    for isa in families() {
        for (index, &(m, n, k)) in cases.iter().enumerate() {
            for layout in 0..4 {
                let store = if layout == 3 {
                    Store::Accumulate
                } else {
                    Store::Overwrite
                };
                check(
                    isa,
                    m,
                    n,
                    k,
                    layout & 1 == 1,
                    layout & 2 == 2,
                    store,
                    index as u64,
                );
            }
        }
    }
}

#[test]
fn empty_dimensions_and_zero_k() {
    for isa in families() {
        check(isa, 0, 5, 3, false, false, Store::Overwrite, 1);
        check(isa, 5, 0, 3, false, false, Store::Overwrite, 2);
        // k = 0: C = 0 (overwrite) or unchanged (accumulate).
        check(isa, 4, 5, 0, false, false, Store::Overwrite, 3);
        check(isa, 4, 5, 0, false, false, Store::Accumulate, 4);
    }
}

#[test]
fn overwrite_ignores_nan_in_the_output() {
    let a = [1.0f32; 6];
    let b = [2.0f32; 6];
    let mut c = [f32::NAN; 4];
    let run = sgemm(
        MatRef::row_major(&a, 2, 3).unwrap_or_else(|e| panic!("{e}")),
        MatRef::row_major(&b, 3, 2).unwrap_or_else(|e| panic!("{e}")),
        MatMut::row_major(&mut c, 2, 2).unwrap_or_else(|e| panic!("{e}")),
        Store::Overwrite,
    );
    assert!(run.is_ok());
    assert_eq!(c, [6.0; 4]);
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    // Split by rows, by columns (B in place), and along k.
    for (m, n, k) in [(200, 300, 600), (16, 5000, 27), (27, 16, 3000)] {
        let mut rng = StdRng::seed_from_u64(9);
        let a = random(m * k, &mut rng);
        let b = random(k * n, &mut rng);
        let product = |threads: usize| {
            let mut c = vec![0f32; m * n];
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap_or_else(|e| panic!("{e}"));
            pool.install(|| {
                sgemm(
                    MatRef::row_major(&a, m, k).unwrap_or_else(|e| panic!("{e}")),
                    MatRef::row_major(&b, k, n).unwrap_or_else(|e| panic!("{e}")),
                    MatMut::row_major(&mut c, m, n).unwrap_or_else(|e| panic!("{e}")),
                    Store::Overwrite,
                )
            })
            .unwrap_or_else(|e| panic!("{e}"));
            c.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        };
        assert_eq!(product(1), product(3), "{m}x{k}x{n}");
    }
}

#[test]
fn mismatched_shapes_and_unavailable_families_are_refused() {
    let data = [0f32; 12];
    let mut out = [0f32; 12];
    let a = MatRef::row_major(&data, 3, 4).unwrap_or_else(|e| panic!("{e}"));
    let c = MatMut::row_major(&mut out, 3, 3).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        sgemm(a, a, c, Store::Overwrite),
        Err(KernelError::ShapeMismatch {
            a_cols: 4,
            b_rows: 3,
            ..
        })
    ));
    for isa in Isa::ALL.into_iter().filter(|isa| !isa.available()) {
        let c = MatMut::row_major(&mut out, 3, 3).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            sgemm_on(isa, a, a.t(), c, Store::Overwrite),
            Err(KernelError::IsaUnavailable(isa))
        );
    }
}

#[test]
fn the_serial_product_matches_the_reference_and_the_threaded_one() {
    // Shapes the threaded product splits by rows, by columns and by depth.
    for (index, &(m, n, k)) in [(300, 70, 90), (16, 5000, 27), (27, 16, 3000)]
        .iter()
        .enumerate()
    {
        let mut rng = StdRng::seed_from_u64(40 + index as u64);
        let a = Operand::new(m, k, false, 1, &mut rng);
        let b = Operand::new(k, n, true, 2, &mut rng);
        let mut serial = vec![f32::NAN; m * n];
        let mut threaded = vec![f32::NAN; m * n];
        let c = MatMut::row_major(&mut serial, m, n).unwrap_or_else(|e| panic!("{e}"));
        sgemm_serial(a.view(), b.view(), c, Store::Overwrite).unwrap_or_else(|e| panic!("{e}"));
        let c = MatMut::row_major(&mut threaded, m, n).unwrap_or_else(|e| panic!("{e}"));
        sgemm(a.view(), b.view(), c, Store::Overwrite).unwrap_or_else(|e| panic!("{e}"));
        let tol = 1e-6 * (k as f64 + 1.0) * 4.0;
        for i in 0..m {
            for j in 0..n {
                let want: f64 = (0..k).map(|p| a.at(i, p) * b.at(p, j)).sum();
                let (s, t) = (f64::from(serial[i * n + j]), f64::from(threaded[i * n + j]));
                assert!(
                    (s - want).abs() <= tol,
                    "{m}x{n}x{k} serial [{i}][{j}]: {s} vs {want}"
                );
                assert!(
                    (s - t).abs() <= tol,
                    "{m}x{n}x{k} [{i}][{j}]: {s} vs threaded {t}"
                );
            }
        }
    }
    // Refusals are the same as the threaded product's.
    let data = [0f32; 12];
    let a = MatRef::row_major(&data, 3, 4).unwrap_or_else(|e| panic!("{e}"));
    let mut out = [0f32; 9];
    let c = MatMut::row_major(&mut out, 3, 3).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        sgemm_serial(a, a, c, Store::Overwrite),
        Err(KernelError::ShapeMismatch { .. })
    ));
}

#[test]
fn a_transposed_column_vector_as_b() {
    // B = vᵀ for a column vector v (n x 1): one row, row stride 1, column stride 1, the
    // operand of a linear layer's input gradient with one output. Found by the tiny MLP of the
    // speed suite (2-32-1): the product read B in place as if its row stride were a panel's.
    for isa in families() {
        for (m, n) in [(32, 32), (1, 64), (40, 33), (12, 96)] {
            let mut rng = StdRng::seed_from_u64((m * n) as u64);
            let (a, v) = (random(m, &mut rng), random(n, &mut rng));
            let a_view = MatRef::new(&a, m, 1, 1, 1).unwrap_or_else(|e| panic!("{e}"));
            let b_view = MatRef::new(&v, 1, n, 1, 1).unwrap_or_else(|e| panic!("{e}"));
            let mut c = vec![f32::NAN; m * n];
            let out = MatMut::row_major(&mut c, m, n).unwrap_or_else(|e| panic!("{e}"));
            sgemm_on(isa, a_view, b_view, out, Store::Overwrite).unwrap_or_else(|e| panic!("{e}"));
            for i in 0..m {
                for j in 0..n {
                    assert_eq!(c[i * n + j], a[i] * v[j], "{isa} {m}x{n} [{i}][{j}]");
                }
            }
        }
    }
}

/// The bits of C after `run` writes it (starting from the same random contents, so that
/// `Accumulate` is checked too).
fn product_bits(m: usize, n: usize, seed: u64, run: impl FnOnce(MatMut<'_>)) -> Vec<u32> {
    let mut c = random(m * n, &mut StdRng::seed_from_u64(seed));
    run(MatMut::row_major(&mut c, m, n).unwrap_or_else(|e| panic!("{e}")));
    c.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn a_packed_beforehand_gives_the_same_bits_as_a_packed_per_call() {
    // One block and several blocks of KC, edge rows, splits by rows, columns and depth, both
    // layouts of A, both stores, serial and threaded, on every family.
    let shapes = [
        (1, 1, 1),
        (13, 33, 7),
        (37, 65, 600),
        (200, 300, 600),
        (16, 5000, 27),
        (27, 16, 3000),
    ];
    for isa in families() {
        for (index, &(m, n, k)) in shapes.iter().enumerate() {
            for (ta, store) in [(false, Store::Overwrite), (true, Store::Accumulate)] {
                let mut rng = StdRng::seed_from_u64(70 + index as u64);
                let a = Operand::new(m, k, ta, 1, &mut rng);
                let b = Operand::new(k, n, false, 3, &mut rng);
                let packed = PackedA::new_on(isa, a.view()).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!((packed.rows(), packed.cols(), packed.isa()), (m, k, isa));
                let what = format!("{isa} {m}x{k}x{n} transposed A {ta} {store:?}");
                let per_call = product_bits(m, n, 1, |c| {
                    sgemm_on(isa, a.view(), b.view(), c, store).unwrap_or_else(|e| panic!("{e}"))
                });
                let once = product_bits(m, n, 1, |c| {
                    sgemm_packed(&packed, b.view(), c, store).unwrap_or_else(|e| panic!("{e}"))
                });
                assert_eq!(per_call, once, "{what}");
                if isa == Isa::best() {
                    let serial = product_bits(m, n, 1, |c| {
                        sgemm_serial(a.view(), b.view(), c, store).unwrap_or_else(|e| panic!("{e}"))
                    });
                    let packed_serial = product_bits(m, n, 1, |c| {
                        sgemm_packed_serial(&packed, b.view(), c, store)
                            .unwrap_or_else(|e| panic!("{e}"))
                    });
                    assert_eq!(serial, packed_serial, "{what}, serial");
                }
            }
        }
    }
}

#[test]
fn packed_products_do_not_depend_on_the_thread_count_and_refuse_bad_shapes() {
    let (m, n, k) = (27, 16, 3000);
    let mut rng = StdRng::seed_from_u64(5);
    let a = Operand::new(m, k, false, 0, &mut rng);
    let b = Operand::new(k, n, false, 0, &mut rng);
    let packed = PackedA::new(a.view());
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        product_bits(m, n, 2, |c| {
            pool.install(|| sgemm_packed(&packed, b.view(), c, Store::Overwrite))
                .unwrap_or_else(|e| panic!("{e}"))
        })
    };
    assert_eq!(on(1), on(3));

    let mut out = vec![0f32; m * 3];
    let short = MatRef::row_major(&b.data, 3, 3).unwrap_or_else(|e| panic!("{e}"));
    let c = MatMut::row_major(&mut out, m, 3).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        sgemm_packed_serial(&packed, short, c, Store::Overwrite),
        Err(KernelError::ShapeMismatch {
            a_cols: 3000,
            b_rows: 3,
            ..
        })
    ));
    for isa in Isa::ALL.into_iter().filter(|isa| !isa.available()) {
        assert_eq!(
            PackedA::new_on(isa, a.view()).err(),
            Some(KernelError::IsaUnavailable(isa))
        );
    }
}
