//! Storage of optimizer state tensors, and helpers for our hand-written
//! [`RecordState`](burn::optim::RecordState) impls.
//!
//! Each field is stored as a leaf `{param_id}.{field}` in Burn's optimizer record, exactly as
//! `#[derive(RecordState)]` would name it (writing the impls by hand avoids the derive's
//! crate-root imports).
//!
//! A loaded tensor stays host data ([`Slot::Pending`]) until the first step tells us the
//! parameter's device. Burn's `ModuleOptimizer::load_record` would otherwise materialise every
//! state tensor on `Device::default()`, which is the GPU whenever `wgpu` is compiled in: a
//! resumed CPU run would start a GPU runtime (or panic on a machine without an adapter) only
//! to copy the state back.

use burn::optim::{StateSink, StateSource};
use burn::tensor::{Device, Tensor, TensorData};

/// One state tensor: on a device, or loaded data waiting for the parameter's device.
#[derive(Clone)]
pub(crate) enum Slot<const D: usize> {
    /// A live tensor on the parameter's device.
    Ready(Tensor<D>),
    /// Data read from a record, not yet placed on a device.
    Pending(TensorData),
}

impl<const D: usize> Slot<D> {
    /// The tensor; pending data is placed on `device` (the parameter's) keeping its dtype.
    pub(crate) fn resolve(self, device: &Device) -> Tensor<D> {
        match self {
            Self::Ready(tensor) => tensor,
            Self::Pending(data) => {
                let dtype = data.dtype();
                Tensor::from_data(data, (device, dtype))
            }
        }
    }

    /// Move (or place) the tensor on `device`.
    pub(crate) fn into_device(self, device: &Device) -> Self {
        match self {
            Self::Ready(tensor) => Self::Ready(tensor.to_device(device)),
            pending => Self::Ready(pending.resolve(device)),
        }
    }

    /// The values, for a record.
    fn to_data(&self) -> TensorData {
        match self {
            Self::Ready(tensor) => tensor.to_data(),
            Self::Pending(data) => data.clone(),
        }
    }
}

/// Record `slot` as the leaf `{prefix}.{leaf}`.
pub(crate) fn put<const D: usize>(out: &mut StateSink, prefix: &str, leaf: &str, slot: &Slot<D>) {
    out.push_tensor(prefix, leaf, slot.to_data());
}

/// Record an optional slot; nothing is written for `None`.
pub(crate) fn put_opt<const D: usize>(
    out: &mut StateSink,
    prefix: &str,
    leaf: &str,
    slot: &Option<Slot<D>>,
) {
    if let Some(slot) = slot {
        put(out, prefix, leaf, slot);
    }
}

/// Take the leaf `{prefix}.{leaf}` back as pending rank-`D` data.
///
/// `None` when the leaf is absent or has another rank (a foreign or truncated record).
pub(crate) fn take<const D: usize>(
    src: &mut StateSource,
    prefix: &str,
    leaf: &str,
) -> Option<Slot<D>> {
    let data = src.take_tensor(prefix, leaf)?;
    (data.rank() == D).then_some(Slot::Pending(data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn pending_data_round_trips_and_checks_rank() {
        let device = Device::flex();
        let slot = Slot::Ready(Tensor::<2>::from_floats([[1.0, 2.0], [3.0, 4.0]], &device));
        let mut sink = StateSink::default();
        put(&mut sink, "7", "buf", &slot);
        assert_eq!(sink.tensors[0].0, "7.buf");

        let mut src = StateSource::new(BTreeMap::new());
        let (name, data) = sink.tensors.remove(0);
        src.insert_tensor(name.clone(), data.clone());
        assert!(
            take::<3>(&mut src, "7", "buf").is_none(),
            "wrong rank is rejected"
        );
        src.insert_tensor(name, data);
        let back = take::<2>(&mut src, "7", "buf").unwrap();
        assert!(matches!(back, Slot::Pending(_)));
        let values: Vec<f32> = back.resolve(&device).try_into_vec_as().unwrap();
        assert_eq!(values, [1.0, 2.0, 3.0, 4.0]);
        assert!(take::<2>(&mut src, "7", "buf").is_none(), "taken once");
    }
}
