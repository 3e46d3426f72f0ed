//! A model, its centre weights and one or two directions: the model at any point
//! `theta + a d (+ b e)` of a scan's line or plane.

use std::sync::atomic::{AtomicU64, Ordering};

use burn::module::Module;

use crate::LandscapeError;
use crate::vector::{ParamEntry, ParamVector};

/// The next [`Surface::id`].
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A model, its centre weights and one or two directions: gives the model at any point of the
/// plane without rebuilding it (the parameter tensors are replaced in place with a
/// `ModuleMapper`; ids, structure and eval mode are kept).
#[derive(Debug, Clone)]
pub struct Surface<M: Module> {
    id: u64,
    model: M,
    centre: ParamVector,
    directions: Vec<ParamVector>,
}

impl<M: Module> Surface<M> {
    /// The surface around `model`'s current weights. Pass the model in the mode it should be
    /// evaluated in (`model.valid()` for eval mode without gradients).
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Mismatch`] if a direction does not have the model's parameters;
    /// [`LandscapeError::InvalidOption`] for no direction or more than two.
    pub fn new(model: M, directions: Vec<ParamVector>) -> Result<Surface<M>, LandscapeError> {
        if directions.is_empty() || directions.len() > 2 {
            return Err(LandscapeError::invalid(
                "directions",
                directions.len(),
                "a scan takes one or two directions",
            ));
        }
        let centre = ParamVector::from_module(&model);
        for d in &directions {
            centre.check_layout(d, "the model", "a direction")?;
        }
        Ok(Surface {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            model,
            centre,
            directions,
        })
    }

    /// A number that tells this surface (and its clones, which share its centre and
    /// directions) apart from every other one built in this process: what an evaluator keys
    /// its per-surface caches by.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The model as last set by [`Surface::model_at`] (the centre before any point).
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The centre weights.
    pub fn centre(&self) -> &ParamVector {
        &self.centre
    }

    /// The directions.
    pub fn directions(&self) -> &[ParamVector] {
        &self.directions
    }

    /// The parameters at `(a, b)`: `theta + a d + b e` (`b` ignored with one direction).
    pub fn params_at(&self, a: f64, b: f64) -> ParamVector {
        let entries = self
            .centre
            .entries()
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut value =
                    c.value.clone() + self.directions[0].entries()[i].value.clone().mul_scalar(a);
                if let Some(e) = self.directions.get(1) {
                    value = value + e.entries()[i].value.clone().mul_scalar(b);
                }
                ParamEntry {
                    info: c.info.clone(),
                    value,
                }
            })
            .collect();
        ParamVector::from_entries(entries)
    }

    /// The model with its parameters (and running statistics, which random directions leave
    /// unchanged) set to the point `(a, b)`.
    ///
    /// # Errors
    ///
    /// Never for a surface built by [`Surface::new`] (the layout was checked there).
    pub fn model_at(&mut self, a: f64, b: f64) -> Result<&M, LandscapeError> {
        let params = self.params_at(a, b);
        self.model = params.load_into(self.model.clone(), true)?;
        Ok(&self.model)
    }
}
