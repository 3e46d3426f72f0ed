//! [`WalkConfig`]: any optimizer and schedule of `descent-optim` walking a [`ToyFunction`](crate::ToyFunction).

use burn::lr_scheduler::LrScheduler;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};
use descent_optim::MomentumHandle;

use crate::ToyError;
use crate::path::{Divergence, DivergenceReason, Path};
use crate::point::{Point, read};

mod config;

pub use config::{DEFAULT_ESCAPE_RADIUS, WalkConfig};

impl WalkConfig {
    /// Walks on `device` (its autodiff version is used) and returns the path. A walk that
    /// diverges is not an error: the path ends at the first bad point and records why.
    pub fn run(&self, device: &Device) -> Result<Path, ToyError> {
        self.validate()?;
        let dims = self.function.dims();
        let device = device.clone().autodiff();
        let mut point = Point::new(&self.start_point(), &device);
        // Cyclic and one-cycle schedules cycle the momentum too (PyTorch's `cycle_momentum`).
        let momentum = self.schedule.momentum(self.lr, 1, self.steps)?;
        let handle = MomentumHandle::new();
        let mut optim = match momentum {
            Some(_) => self.optimizer.init_with_momentum(&handle)?,
            None => self.optimizer.init()?,
        };
        let mut schedule = self.schedule.init(self.lr, 1, self.steps)?;
        let mut path = Path {
            label: self.label(),
            config: self.clone(),
            points: Vec::with_capacity(self.steps + 1),
            losses: Vec::with_capacity(self.steps + 1),
            lrs: Vec::with_capacity(self.steps),
            gradients: Vec::with_capacity(self.steps),
            diverged: None,
        };
        let pad = |v: Vec<f64>| [v[0], if dims == 2 { v[1] } else { 0.0 }];
        for step in 0..=self.steps {
            let xy = point.xy.val();
            let loss = self.function.loss(&xy);
            let coords = pad(read(xy.clone())?);
            let value = read(loss.clone())?[0];
            path.points.push(coords);
            path.losses.push(value);
            let stop = |reason| Some(Divergence { step, reason });
            if !(value.is_finite() && coords.iter().all(|c| c.is_finite())) {
                path.diverged = stop(DivergenceReason::NonFinite);
                break;
            }
            if coords.iter().any(|c| c.abs() > self.escape_radius) {
                path.diverged = stop(DivergenceReason::Escaped);
                break;
            }
            if step == self.steps {
                break;
            }
            let grads = loss.backward();
            let Some(mut grad) = xy.grad(&grads) else {
                return Err(ToyError::Device {
                    reason: "autodiff returned no gradient for the point".into(),
                });
            };
            if let Some(noise) = &self.noise
                && noise.std > 0.0
            {
                let draw: Vec<f32> = noise
                    .sample(step as u64, dims)
                    .into_iter()
                    .map(|v| v as f32)
                    .collect();
                let device = grad.device();
                grad = grad + Tensor::<1>::from_floats(draw.as_slice(), &device);
            }
            let g = pad(read(grad.clone())?);
            if !g.iter().all(|c| c.is_finite()) {
                // Recorded at this point: the step cannot be taken.
                path.diverged = stop(DivergenceReason::NonFinite);
                break;
            }
            path.gradients.push(g);
            let lr = schedule.step();
            path.lrs.push(lr);
            if let Some(momentum) = &momentum {
                handle.set(momentum.at(step));
            }
            let mut params = GradientsParams::new();
            params.register(point.xy.id, grad);
            let params = self.optimizer.clip_gradients(&point, params);
            point = optim.step(lr, point, params);
        }
        Ok(path)
    }
}

#[cfg(test)]
mod tests;
