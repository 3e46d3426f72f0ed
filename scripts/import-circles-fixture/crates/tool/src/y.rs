pub struct Why;

pub fn run() {
    let _ = super::x::Ex(Why);
}
