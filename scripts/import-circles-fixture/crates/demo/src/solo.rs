// Not an arrow to parent/child.rs: crate::parent::Kid
pub struct Solo;

/// Nor this: [`crate::Kid`].
pub fn name() -> &'static str {
    "crate::parent::Kid"
}

#[cfg(test)]
fn only_in_tests() -> crate::Kid {
    crate::Kid(Solo)
}

#[cfg(test)]
mod tests {
    use crate::Kid;
}
