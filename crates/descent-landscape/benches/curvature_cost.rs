//! Cost of the Hessian eigenvalue methods at equal accuracy, and the error of the
//! Hessian-vector products.
//!
//! 1. Products per eigenvalue, Lanczos against power iteration, both stopped by the same
//!    residual test `|A v - lambda v| <= tol |A|` (so at equal accuracy), on exact operators
//!    (diagonal matrices, no rounding noise beyond f64): the spectrum {50, a bulk of
//!    1000 ~ N(0, 0.3^2), -2}, and the exact Hessian spectrum of the reference MLP 8-40-40-4
//!    (`src/curvature/reference/mlp_hessian.npz`, 2164 eigenvalues from PyTorch).
//! 2. The same on the reference MLP's real finite-difference Hessian (f32, central), with
//!    wall-clock time.
//! 3. The relative error of one Hessian-vector product against PyTorch's exact `H v`, for
//!    steps 1e-5 .. 1e-1, central and Richardson, f32 and f64, with the time per product.
//!
//! Run with `cargo bench -p descent-landscape --bench curvature_cost --profile dev` (never the
//! release profile here). Environment: `TOL` (default 1e-3), `SEED` (default 0).

use std::time::Instant;

use burn::module::Module;
use burn::tensor::Device;
use descent_data::{ImageBatcher, ImageDataset, ImageShape};
use descent_landscape::curvature::flat::{gaussian, norm};
use descent_landscape::curvature::{
    EigenMethod, EigenOptions, FdScheme, Hessian, HvpOptions, Precision, SymmetricOperator,
    classifier_objective, extreme_eigenpairs,
};
use descent_landscape::npz::{NpyData, Npz};
use descent_landscape::{LandscapeError, ParamVector, PreparedSet};
use descent_models::{Activation, MlpConfig, ModelConfig};

/// A diagonal matrix as an operator.
struct Diagonal {
    values: Vec<f64>,
    products: usize,
}

impl SymmetricOperator for Diagonal {
    fn dim(&self) -> usize {
        self.values.len()
    }

    fn apply(&mut self, v: &[f64]) -> Result<Vec<f64>, LandscapeError> {
        self.products += 1;
        Ok(v.iter().zip(&self.values).map(|(x, d)| x * d).collect())
    }

    fn products(&self) -> usize {
        self.products
    }
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn f64s(npz: &Npz, name: &str) -> Vec<f64> {
    match &npz.arrays[name].data {
        NpyData::F64(v) => v.clone(),
        NpyData::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
        _ => Vec::new(),
    }
}

/// One row: products and worst relative error of each method on `op`'s `top_k` largest and
/// `bottom_k` smallest eigenvalues; `base` holds the tolerance, seed and budget.
fn compare(
    name: &str,
    op: &mut dyn SymmetricOperator,
    exact: &[f64],
    (top_k, bottom_k): (usize, usize),
    base: &EigenOptions,
) -> Result<(), LandscapeError> {
    let mut cells = Vec::new();
    for (method, second_pass) in [
        (EigenMethod::Lanczos, false),
        (EigenMethod::Lanczos, true),
        (EigenMethod::Power, false),
    ] {
        let options = EigenOptions {
            method,
            second_pass,
            max_iterations: if method == EigenMethod::Lanczos {
                base.max_iterations.min(op.dim())
            } else {
                base.max_iterations
            },
            ..*base
        };
        let t = Instant::now();
        let e = extreme_eigenpairs(op, top_k, bottom_k, &options)?;
        let seconds = t.elapsed().as_secs_f64();
        let n = exact.len();
        let mut worst: f64 = 0.0;
        for (k, p) in e.largest.iter().enumerate() {
            worst = worst.max((p.value - exact[n - 1 - k]).abs() / exact[n - 1 - k].abs());
        }
        for (k, p) in e.smallest.iter().enumerate() {
            worst = worst.max((p.value - exact[k]).abs() / exact[k].abs());
        }
        let count = (top_k + bottom_k) as f64;
        cells.push(format!(
            "{} products ({:.1}/eigenvalue), {}, worst rel. error {worst:.1e}, {seconds:.2} s",
            e.products,
            e.products as f64 / count,
            if e.converged() {
                "converged"
            } else {
                "NOT converged"
            },
        ));
    }
    println!(
        "| {name} | top {top_k} + bottom {bottom_k} | {} | {} | {} |",
        cells[0], cells[1], cells[2]
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tol: f64 = env("TOL", 1e-3);
    let seed: u64 = env("SEED", 0);
    let npz = Npz::from_bytes(include_bytes!("../src/curvature/reference/mlp_hessian.npz"))?;
    let mut mlp = f64s(&npz, "eigenvalues");
    mlp.sort_by(f64::total_cmp);
    let mut bulk: Vec<f64> = vec![50.0, -2.0];
    bulk.extend(gaussian(1000, 77).iter().map(|g| 0.3 * g));
    let mut bulk_sorted = bulk.clone();
    bulk_sorted.sort_by(f64::total_cmp);

    let exact_budget = EigenOptions {
        method: EigenMethod::Lanczos,
        max_iterations: 20_000,
        tol,
        seed,
        second_pass: false,
    };
    println!("# 1. exact operators, tol {tol} (residual relative to |A|), seed {seed}\n");
    println!("| spectrum | wanted | Lanczos | Lanczos, second pass | power iteration |");
    println!("|---|---|---|---|---|");
    for (top, bottom) in [(1, 1), (3, 1)] {
        let mut op = Diagonal {
            values: bulk.clone(),
            products: 0,
        };
        compare(
            "{50, 1000 ~ N(0, 0.09), -2}",
            &mut op,
            &bulk_sorted,
            (top, bottom),
            &exact_budget,
        )?;
        let mut op = Diagonal {
            values: mlp.clone(),
            products: 0,
        };
        compare(
            "MLP 8-40-40-4 exact Hessian",
            &mut op,
            &mlp,
            (top, bottom),
            &exact_budget,
        )?;
    }

    println!("\n# 2. the reference MLP's finite-difference Hessian (f32, central, default step)\n");
    println!("| spectrum | wanted | Lanczos | Lanczos, second pass | power iteration |");
    println!("|---|---|---|---|---|");
    let device = Device::flex();
    let (mut objective, theta) = reference_objective(&npz, &device, Precision::F32)?;
    for (top, bottom) in [(1, 1), (3, 1)] {
        let mut hessian = Hessian::new(&mut objective, &theta, &HvpOptions::default())?;
        compare(
            "MLP 8-40-40-4, f32 finite differences",
            &mut hessian,
            &mlp,
            (top, bottom),
            &EigenOptions {
                max_iterations: 2_000,
                ..exact_budget
            },
        )?;
    }

    println!("\n# 3. relative error of one Hessian-vector product against PyTorch's exact H v\n");
    println!("| precision | scheme | step | h | relative error | ms/product |");
    println!("|---|---|---|---|---|---|");
    let probe = f64s(&npz, "probe");
    let exact = f64s(&npz, "hessian_probe");
    for precision in [Precision::F32, Precision::F64] {
        let (mut objective, theta) = reference_objective(&npz, &device, precision)?;
        for scheme in [FdScheme::Central, FdScheme::Richardson] {
            for step in [1e-5, 1e-4, 1e-3, 1e-2, 1e-1] {
                let options = HvpOptions {
                    step,
                    scheme,
                    precision,
                };
                let mut hessian = Hessian::new(&mut objective, &theta, &options)?;
                let t = Instant::now();
                let reps = 5;
                let mut hv = Vec::new();
                for _ in 0..reps {
                    hv = hessian.apply(&probe)?;
                }
                let ms = 1e3 * t.elapsed().as_secs_f64() / reps as f64;
                let diff: Vec<f64> = hv.iter().zip(&exact).map(|(a, b)| a - b).collect();
                println!(
                    "| {precision} | {scheme} | {step:e} | {:.3e} | {:.2e} | {ms:.2} |",
                    hessian.step(),
                    norm(&diff) / norm(&exact)
                );
            }
        }
    }
    Ok(())
}

/// The reference MLP and its loss on the reference data (as in `reference_tests.rs`).
#[allow(clippy::type_complexity)]
fn reference_objective(
    npz: &Npz,
    device: &Device,
    precision: Precision,
) -> Result<
    (
        descent_landscape::curvature::ModuleObjective<
            descent_models::Model,
            impl FnMut(&descent_models::Model, usize) -> burn::tensor::Tensor<1> + use<>,
        >,
        ParamVector,
    ),
    Box<dyn std::error::Error>,
> {
    let model =
        ModelConfig::from(MlpConfig::new(8, vec![40, 40], 4).with_activation(Activation::Tanh))
            .init(device)?;
    let layout = ParamVector::from_module(&model).infos();
    let values = ["w0", "b0", "w1", "b1", "w2", "b2"]
        .iter()
        .map(|n| match &npz.arrays[*n].data {
            NpyData::F32(v) => v.clone(),
            _ => Vec::new(),
        })
        .collect();
    let theta = ParamVector::from_host(&layout, values, device)?;
    let model = theta.load_into(model, false)?.valid();
    let pixels = match &npz.arrays["x"].data {
        NpyData::F32(v) => v.clone(),
        _ => Vec::new(),
    };
    let labels = match &npz.arrays["labels"].data {
        NpyData::I64(v) => v.iter().map(|&l| l as usize).collect(),
        _ => Vec::new(),
    };
    let data = ImageDataset::from_f32("reference", ImageShape::new(1, 2, 4), 4, pixels, labels)?;
    let set = PreparedSet::new(
        "train",
        &data,
        &ImageBatcher::new(None, None, 0),
        64,
        device,
    )?;
    let objective = classifier_objective(model, &set, device, precision)?;
    Ok((objective, theta))
}
