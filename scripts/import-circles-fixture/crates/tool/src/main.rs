mod x;
mod y;

fn main() {
    y::run();
}
