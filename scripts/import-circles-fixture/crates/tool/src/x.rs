use super::y::Why;

pub struct Ex(Why);
