//! Per-layer curvature: the largest and smallest eigenvalue and the trace of each layer's
//! diagonal block of the Hessian, `H[l, l]` over the parameters of one module (a linear or
//! convolution layer's weight and bias, a norm layer's scale and shift).
//!
//! A block's products are full Hessian-vector products of vectors that are zero outside the
//! block, restricted to the block's rows ([`BlockOperator`]), so each costs what a full
//! product costs. Eigenvalues and trace come from [`extreme_eigenpairs`] and
//! [`hutchinson_trace`] (deflated by the block's two eigenvectors) with the options of the
//! whole-Hessian measurement. PyHessian users ask for this (PyHessian issues #9 and #10).

use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::curvature::EigenSummary;
use crate::curvature::eigen::EigenOptions;
use crate::curvature::extremes::extreme_eigenpairs;
use crate::curvature::flat::FlatLayout;
use crate::curvature::hutchinson::{TraceEstimate, TraceOptions, hutchinson_trace};
use crate::curvature::operator::{BlockOperator, SymmetricOperator};

/// The curvature of one layer's diagonal block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerCurvature {
    /// The module's path (e.g. `Mlp.hidden.0`).
    pub layer: String,
    /// The block's parameters.
    pub parameters: usize,
    /// The block's largest eigenvalue.
    pub lambda_max: EigenSummary,
    /// The block's smallest eigenvalue.
    pub lambda_min: EigenSummary,
    /// The block's trace.
    pub trace: TraceEstimate,
    /// Products used for this block.
    pub products: usize,
}

/// The layers of a flat layout: each module's path and its contiguous range of coordinates
/// (entries are grouped by their path without the last field name).
pub fn layer_blocks(layout: &FlatLayout) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out: Vec<(String, std::ops::Range<usize>)> = Vec::new();
    for (info, range) in layout.ranges() {
        let module = info
            .path
            .rsplit_once('.')
            .map_or(info.path.as_str(), |(m, _)| m)
            .to_string();
        match out.last_mut() {
            Some((name, r)) if *name == module && r.end == range.start => r.end = range.end,
            _ => out.push((module, range)),
        }
    }
    out
}

/// The curvature of each layer's block of `op` (whose coordinates are `layout`'s).
///
/// # Errors
///
/// Bad options; the operator's errors.
pub fn per_layer_curvature(
    op: &mut dyn SymmetricOperator,
    layout: &FlatLayout,
    eigen: &EigenOptions,
    trace: &TraceOptions,
) -> Result<Vec<LayerCurvature>, LandscapeError> {
    let mut out = Vec::new();
    for (layer, range) in layer_blocks(layout) {
        let parameters = range.len();
        let mut block = BlockOperator::new(op, range)?;
        let start = block.products();
        let ends = extreme_eigenpairs(&mut block, 1, 1, eigen)?;
        let vectors: Vec<&[f64]> = ends
            .largest
            .iter()
            .chain(&ends.smallest)
            .map(|p| p.vector.as_slice())
            .collect();
        let t = hutchinson_trace(&mut block, &vectors, trace)?;
        out.push(LayerCurvature {
            layer,
            parameters,
            lambda_max: EigenSummary::from(&ends.largest[0]),
            lambda_min: EigenSummary::from(&ends.smallest[0]),
            trace: t,
            products: block.products() - start,
        });
    }
    Ok(out)
}
