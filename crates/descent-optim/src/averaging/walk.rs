//! Walking a module's float tensors by [`ParamId`], telling trainable parameters from
//! batch-norm buffers.
//!
//! Burn visits a [`RunningState`](burn::module::RunningState) like a parameter (a
//! `Param<Tensor>` carrying the state's id), so the two are told apart by where they sit: a
//! field whose name starts with `running_` inside a `BatchNorm` struct is a buffer; every other
//! float tensor is a parameter.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::Tensor;

/// What a float tensor of a module is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// A parameter (`Param<Tensor>`): weights, biases, BN `gamma`/`beta`.
    Param,
    /// A batch-norm running statistic (`RunningState<Tensor>`).
    Buffer,
}

/// One float tensor of a module, flattened and without autodiff.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// Parameter or buffer.
    pub role: Role,
    /// Dotted path, for error messages.
    pub path: String,
    /// The values, flattened to one dimension, on the module's (inner) device.
    pub value: Tensor<1>,
}

/// Tracks the path of the visit and classifies the tensor at its end.
#[derive(Default)]
struct Path {
    stack: Vec<(String, String)>,
}

impl Path {
    fn enter(&mut self, name: &str, container: &str) {
        self.stack.push((name.to_string(), container.to_string()));
    }

    fn exit(&mut self) {
        self.stack.pop();
    }

    fn role(&self) -> Role {
        match self.stack.last() {
            Some((name, container))
                if container == "Struct:BatchNorm" && name.starts_with("running_") =>
            {
                Role::Buffer
            }
            _ => Role::Param,
        }
    }

    fn joined(&self) -> String {
        let names: Vec<&str> = self.stack.iter().map(|(n, _)| n.as_str()).collect();
        names.join(".")
    }
}

struct Collector {
    path: Path,
    out: HashMap<ParamId, Entry>,
}

impl ModuleVisitor for Collector {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.enter(name, container_type);
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.exit();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val().without_autodiff();
        let n = value.shape().num_elements();
        self.out.insert(
            param.id,
            Entry {
                role: self.path.role(),
                path: self.path.joined(),
                value: value.reshape([n]),
            },
        );
    }
}

/// Every float tensor of `module` (parameters and buffers), keyed by id.
pub(crate) fn collect<M: Module>(module: &M) -> HashMap<ParamId, Entry> {
    let mut collector = Collector {
        path: Path::default(),
        out: HashMap::new(),
    };
    module.visit(&mut collector);
    collector.out
}

/// The paths of the batch-norm buffers of `module`, keyed by id.
pub(crate) fn buffers<M: Module>(module: &M) -> HashMap<ParamId, String> {
    collect(module)
        .into_iter()
        .filter(|(_, e)| e.role == Role::Buffer)
        .map(|(id, e)| (id, e.path))
        .collect()
}

/// Rewrites the float tensors of a module: `f(role, id, current)` returns the new flattened
/// value, or `None` to keep the tensor. Shapes are restored after `f`.
struct Rewriter<F> {
    path: Path,
    f: F,
}

impl<F: FnMut(Role, ParamId, &str, Tensor<1>) -> Option<Tensor<1>>> ModuleMapper for Rewriter<F> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.enter(name, container_type);
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.exit();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let role = self.path.role();
        let path = self.path.joined();
        let id = param.id;
        let current = param.val();
        let dims = current.dims();
        let n = current.shape().num_elements();
        match (self.f)(role, id, &path, current.reshape([n])) {
            Some(new) => param.map(|_| new.reshape(dims)),
            None => param,
        }
    }
}

/// Rewrites every float tensor of `module` with `f(role, id, path, flattened value)`; `None`
/// keeps the tensor unchanged. The returned tensor must have the same number of elements.
pub(crate) fn rewrite<M: Module>(
    module: M,
    f: impl FnMut(Role, ParamId, &str, Tensor<1>) -> Option<Tensor<1>>,
) -> M {
    let mut rewriter = Rewriter {
        path: Path::default(),
        f,
    };
    module.map(&mut rewriter)
}

/// Calls `f(role, id, path, number of elements)` for every float tensor of `module`, in
/// Burn's visit order (the order of the struct's fields).
pub(crate) fn visit_order<M: Module>(module: &M, f: impl FnMut(Role, ParamId, &str, usize)) {
    struct Order<F> {
        path: Path,
        f: F,
    }
    impl<F: FnMut(Role, ParamId, &str, usize)> ModuleVisitor for Order<F> {
        fn enter_module(&mut self, name: &str, container_type: &str) {
            self.path.enter(name, container_type);
        }

        fn exit_module(&mut self, _name: &str, _container_type: &str) {
            self.path.exit();
        }

        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let n = param.shape().num_elements();
            (self.f)(self.path.role(), param.id, &self.path.joined(), n);
        }
    }
    module.visit(&mut Order {
        path: Path::default(),
        f,
    });
}
