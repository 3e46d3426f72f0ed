//! The first layer's outputs at the centre and along each direction, per prepared batch, so
//! that a scan point combines them instead of recomputing the layer.
//!
//! A first layer that is an affine map of the images, `f(x; W, c) = W x + c` (a `Linear`, or
//! a `Conv2d` as a linear map of its input and weights), is affine in its parameters too:
//! at `theta + a d + b e` it gives `f(x; theta) + a f(x; d) + b f(x; e)`, where `f(x; d)`
//! applies the layer with the direction's weights and bias. The three outputs are computed
//! once per batch; each point then costs two scaled additions instead of the layer.

use burn::module::Module;
use descent_models::{ImageClassifier, InputLayerOutput};

use crate::LandscapeError;
use crate::evaluator::PreparedSet;
use crate::surface::Surface;

/// The cache of one surface: ready, or declined (the model has no split, the outputs would
/// be larger than its input or than the memory limit).
#[derive(Debug, Clone)]
pub(super) struct InputCache {
    surface: u64,
    /// `[set][batch][0 = centre, 1 = first direction, 2 = second]`; empty when declined.
    outputs: Vec<Vec<Vec<InputLayerOutput>>>,
}

impl InputCache {
    /// Builds the cache for `surface` over `sets`, or a declined one.
    ///
    /// # Errors
    ///
    /// Loading the centre or a direction into the model (never for a surface built by
    /// [`Surface::new`]).
    pub(super) fn build<M: ImageClassifier>(
        sets: &[PreparedSet],
        surface: &Surface<M>,
        limit: usize,
    ) -> Result<InputCache, LandscapeError> {
        let declined = InputCache {
            surface: surface.id(),
            outputs: Vec::new(),
        };
        let Some(first) = sets.iter().find_map(|s| s.batches.first()) else {
            return Ok(declined);
        };
        // Size check on one sample before anything large is allocated.
        let one = first.images.clone().narrow(0, 0, 1);
        let per_sample_in = one.shape().num_elements();
        let Some(out) = surface.model().input_layer(one) else {
            return Ok(declined);
        };
        let per_sample_out = out.num_elements();
        let samples: usize = sets.iter().map(|s| s.samples).sum();
        let basis = 1 + surface.directions().len();
        let bytes = per_sample_out
            .saturating_mul(samples)
            .saturating_mul(basis)
            .saturating_mul(std::mem::size_of::<f32>());
        if per_sample_out > per_sample_in || bytes > limit {
            return Ok(declined);
        }
        // The layer with the centre's parameters and with each direction's (buffers, which a
        // first affine layer does not read, stay as they are).
        let mut models = vec![surface.centre().load_into(surface.model().clone(), true)?];
        for d in surface.directions() {
            models.push(d.load_into(surface.model().clone(), false)?);
        }
        let mut outputs = Vec::with_capacity(sets.len());
        for set in sets {
            let mut per_batch = Vec::with_capacity(set.batches.len());
            for batch in &set.batches {
                let mut basis_out = Vec::with_capacity(models.len());
                for m in &models {
                    match m.input_layer(batch.images.clone()) {
                        Some(y) => basis_out.push(y),
                        None => return Ok(declined),
                    }
                }
                per_batch.push(basis_out);
            }
            outputs.push(per_batch);
        }
        Ok(InputCache {
            surface: surface.id(),
            outputs,
        })
    }

    /// Whether it was built for `surface`.
    pub(super) fn belongs_to<M: Module>(&self, surface: &Surface<M>) -> bool {
        self.surface == surface.id()
    }

    /// Whether it holds outputs (not declined).
    pub(super) fn is_ready(&self) -> bool {
        !self.outputs.is_empty()
    }

    /// The first layer's output for batch `j` of set `i` at `(a, b)`: `y0 + a y1 (+ b y2)`.
    pub(super) fn at(&self, i: usize, j: usize, a: f64, b: f64) -> InputLayerOutput {
        let basis = &self.outputs[i][j];
        let mut y = basis[0].clone().add_scaled(&basis[1], a);
        if let Some(e) = basis.get(2) {
            y = y.add_scaled(e, b);
        }
        y
    }
}
