//! Writes docs/vectors/*.json (docs/vectors/README.md): `cargo run -p selfreport-tests
//! --example write-vectors`. The same generator backs the check in
//! `tests/tests/vectors.rs`, which fails when a checked-in file differs from what the code
//! produces.

#[path = "../tests/vector_generator/mod.rs"]
mod vectors;

fn main() -> std::io::Result<()> {
    let dir = vectors::vectors_dir();
    for topic in vectors::TOPICS {
        let path = dir.join(format!("{topic}.json"));
        std::fs::write(&path, vectors::file_text(topic))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
