mod child;

pub use child::Kid;

fn helper() -> u32 {
    child::depth() + 1
}
