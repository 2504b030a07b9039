//! What the binary's tests share: the real model, running `adapterbot`, and a server started
//! the way a user starts it.
#![allow(dead_code)] // each test binary uses its own part of this

use std::path::PathBuf;
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn model() -> PathBuf {
    let p = repo().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(p.exists(), "the real model is missing: run models/fetch.sh");
    p
}

pub fn adapterbot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_adapterbot"))
        .args(args)
        .env("ADAPTERBOT_THREADS", "1")
        .output()
        .expect("the binary runs")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Starts `adapterbot serve` on a free port with `args` and waits until it says it is ready;
/// returns the process and the address it prints.
pub fn serve(args: &[&std::ffi::OsStr]) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let m = model();
    let mut child = Command::new(env!("CARGO_BIN_EXE_adapterbot"))
        .args(["serve", "--port", "0", "--model", m.to_str().unwrap()])
        .args(args)
        .env("ADAPTERBOT_THREADS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_string();
    let ready = lines.next().unwrap().unwrap();
    assert!(ready.starts_with("Ready: open http://"), "{ready}");
    (child, url)
}
