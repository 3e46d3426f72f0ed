//! Fixture: one circle (a <-> b, b's side through the re-export below).

mod a;
mod b;
mod parent;
mod solo;

pub use a::Alpha;
pub use parent::Kid;
