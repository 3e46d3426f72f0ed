//! Linear interpolation computed the way PyTorch's CPU `lerp_` does, for bit-close moments.

use burn::tensor::Tensor;

/// `start + w·(end − start)`, with `start = None` meaning zeros (a fresh moment buffer).
///
/// PyTorch evaluates `lerp` as `start + w·(end − start)` when `w < 0.5` and as
/// `end − (end − start)·(1 − w)` otherwise; both are mirrored so that moment buffers match
/// `torch.optim` to the last bits as far as possible.
pub(crate) fn lerp<const D: usize>(start: Option<Tensor<D>>, end: Tensor<D>, w: f64) -> Tensor<D> {
    match (start, w < 0.5) {
        (Some(start), true) => start.clone().add(end.sub(start).mul_scalar(w)),
        (Some(start), false) => end.clone().sub(end.sub(start).mul_scalar(1.0 - w)),
        (None, true) => end.mul_scalar(w),
        (None, false) => end.clone().sub(end.mul_scalar(1.0 - w)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    #[test]
    fn both_branches_and_zero_start_interpolate() {
        let device = Device::flex();
        let a = Tensor::<1>::from_floats([1.0, -2.0], &device);
        let b = Tensor::<1>::from_floats([3.0, 2.0], &device);
        for (w, expected) in [(0.25, [1.5, -1.0]), (0.75, [2.5, 1.0])] {
            let got: Vec<f32> = lerp(Some(a.clone()), b.clone(), w)
                .try_into_vec_as()
                .unwrap();
            assert_eq!(got, expected);
            let got: Vec<f32> = lerp(None, b.clone(), w).try_into_vec_as().unwrap();
            assert_eq!(got, [3.0 * w as f32, 2.0 * w as f32]);
        }
    }
}
