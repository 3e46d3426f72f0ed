//! The lessons of gradient descent on analytic surfaces, drawn:
//!
//! 1. a learning rate too small, right and too large on a bowl of condition number 10;
//! 2. momentum in Rosenbrock's narrow curved valley;
//! 3. warm restarts (SGDR) escaping a shallow local minimum that one cosine annealing settles in;
//! 4. gradient noise leaving the saddle where full-batch gradient descent stalls.
//!
//! ```sh
//! cargo run --example valleys -- [OUT_DIR]     # default: valleys/
//! ```
//!
//! Writes `<lesson>.svg`, `<lesson>.png` and `<lesson>.csv` per lesson and prints where each
//! path ends. The configurations live in `descent_toy::lessons`, whose tests assert every
//! claim on the final points reached (the same fixed seeds as here).

use std::path::PathBuf;

use burn::tensor::Device;
use descent_toy::{PlotOptions, draw_paths, lessons, write_paths};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("valleys"));
    std::fs::create_dir_all(&out)?;
    let device = Device::flex();
    for lesson in lessons::all() {
        let paths = lesson.run(&device)?;
        println!("{}", lesson.title);
        for path in &paths {
            let [x, y] = path.final_point();
            let at = if lesson.function().dims() == 2 {
                format!("({x:.4}, {y:.4})")
            } else {
                format!("x = {x:.4}")
            };
            println!(
                "  {:<22} ends at {at}, loss {:.4e}",
                path.label,
                path.final_loss()
            );
        }
        let options = PlotOptions {
            title: Some(lesson.title.to_string()),
            ..PlotOptions::default()
        };
        for ext in ["svg", "png"] {
            let file = out.join(format!("{}.{ext}", lesson.name));
            draw_paths(lesson.function(), &paths, &file, &options)?;
        }
        write_paths(&paths, &out.join(format!("{}.csv", lesson.name)))?;
    }
    println!("figures in {}", out.display());
    Ok(())
}
