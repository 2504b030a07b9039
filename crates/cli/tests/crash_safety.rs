//! Crash safety: `train adapter`, `skill add`, `train manager` and `knowledge build` are killed
//! with SIGKILL at random moments while they replace (or add) what the server loads. Afterwards
//! every skill, the manager and the index load and answer exactly as one whole version does:
//! the old one, or the new one when the kill came after the atomic swap — never a mix, never a
//! missing or broken part. The kill moments are drawn over the length of an uninterrupted run
//! (the seed is printed; set `CRASH_SEED` to replay one).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use adapterbot_engine::testing::write_tiny_gguf;
use adapterbot_engine::LlamaConfig;

/// A stopped training's checkpoint (for `--resume`), or the temporary file of one whose
/// writing was killed (`.train-checkpoint.safetensors.<pid>.tmp`): left beside the skill, never
/// loaded by the server.
const CHECKPOINT: &str = "train-checkpoint.safetensors";

/// Kills per command.
const KILLS: usize = 6;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_adapterbot"));
    c.args(args)
        .env("ADAPTERBOT_THREADS", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    c
}

fn ok(args: &[&str]) -> String {
    let out: Output = command(args).output().expect("the binary runs");
    assert!(
        out.status.success(),
        "{args:?}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A small xorshift generator: the kill moments, reproducible from the printed seed.
struct Moments(u64);

impl Moments {
    fn new(what: &str) -> Self {
        let seed = std::env::var("CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .subsec_nanos() as u64
                    | 1
            });
        eprintln!("{what}: CRASH_SEED={seed}");
        Self(seed)
    }

    /// A moment in [0, `run`): inside an uninterrupted run's length.
    fn within(&mut self, run: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        run.mul_f64((self.0 % 10_000) as f64 / 10_000.0)
    }
}

/// Runs `args` to the end; returns how long it took.
fn timed(args: &[&str]) -> Duration {
    let started = Instant::now();
    ok(args);
    started.elapsed()
}

/// Starts `args` and kills it with SIGKILL after `after`; true when it was still running then
/// (so the kill interrupted it).
fn killed(args: &[&str], after: Duration) -> bool {
    let mut child = command(args).spawn().expect("the binary starts");
    std::thread::sleep(after);
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill(); // SIGKILL on Unix
    let _ = child.wait();
    running
}

/// Most kills must land inside a run, or the test proves little.
fn enough(interrupted: usize) {
    assert!(
        interrupted * 2 >= KILLS,
        "only {interrupted} of {KILLS} kills interrupted a run"
    );
}

/// What a file holds, short: a hash of its bytes, or for JSON of its content without the
/// run's clock readings (creation and finish times, durations, speeds), which differ from run
/// to run of the same version.
fn digest(path: &Path) -> u64 {
    use std::hash::{Hash, Hasher};
    let bytes = std::fs::read(path).unwrap();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(mut v) if path.extension().is_some_and(|e| e == "json") => {
            strip_clock(&mut v);
            v.to_string().hash(&mut h);
        }
        _ => bytes.hash(&mut h),
    }
    h.finish()
}

fn strip_clock(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.retain(|k, _| {
                !(k == "created"
                    || k == "finished"
                    || k.ends_with("seconds")
                    || k.ends_with("_s")
                    || k.ends_with("_ms"))
            });
            m.values_mut().for_each(strip_clock);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_clock),
        _ => {}
    }
}

/// Every file of a folder (relative path → [`digest`]), leaving out those whose name contains
/// one of `skip`.
fn snapshot(dir: &Path, skip: &[&str]) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            let name = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            // Hidden files are the temporary files of a killed write (a checkpoint's), which
            // nothing loads.
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden || skip.iter().any(|s| name.contains(s)) {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((name, digest(&path)));
            }
        }
    }
    out.sort();
    out
}

/// `generate`'s greedy reply to "hi" with `skill` from `skills` on `model`.
fn reply_args<'a>(model: &'a Path, skills: &'a Path, skill: &'a str) -> Vec<&'a str> {
    let mut a = vec!["generate", "--model", p(model), "--skills-dir", p(skills)];
    a.extend(["--skill", skill, "--temperature", "0", "--max-tokens", "6"]);
    a.extend(["--prompt", "hi"]);
    a
}

struct Tiny {
    _dir: tempfile::TempDir,
    root: PathBuf,
    model: PathBuf,
}

fn tiny() -> Tiny {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let model = root.join("tiny.gguf");
    write_tiny_gguf(&model, &LlamaConfig::tiny_for_tests(), 3).unwrap();
    Tiny {
        _dir: dir,
        root,
        model,
    }
}

const ROW: &str = r#"{"messages":[{"role":"user","content":"hi there, how are you?"}],"reply":"ok then, fine thanks","source":"test","license":"CC0-1.0"}"#;

#[test]
fn a_killed_adapter_training_leaves_the_old_skill_or_the_new_one_whole() {
    let t = tiny();
    let skills = t.root.join("skills");
    let data = t.root.join("data");
    std::fs::create_dir_all(skills.join("calm")).unwrap();
    std::fs::write(skills.join("calm/skill.json"), r#"{"id": "calm"}"#).unwrap();
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("train.jsonl"), [ROW; 8].join("\n")).unwrap();
    let train = |seed: &'static str| -> Vec<String> {
        let mut a = vec!["train", "adapter", "--skill", "calm", "--data", p(&data)];
        a.extend(["--model", p(&t.model), "--skills-dir", p(&skills)]);
        a.extend(["--bottleneck", "4", "--max-steps", "40", "--max-len", "64"]);
        a.extend(["--eval-every", "1000", "--seed", seed]);
        a.into_iter().map(str::to_string).collect()
    };
    let answer = || ok(&reply_args(&t.model, &skills, "calm"));

    // The old version, then the new one (another seed) once uninterrupted, as references.
    ok(&strs(&train("1")));
    let old = (snapshot(&skills.join("calm"), &[CHECKPOINT]), answer());
    let run = timed(&strs(&train("2")));
    let new = (snapshot(&skills.join("calm"), &[CHECKPOINT]), answer());
    assert_ne!(old.0, new.0, "the two versions must differ");
    ok(&strs(&train("1")));
    assert_eq!(snapshot(&skills.join("calm"), &[CHECKPOINT]), old.0);

    let mut moments = Moments::new("train adapter");
    let mut interrupted = 0;
    for _ in 0..KILLS {
        let before = (snapshot(&skills.join("calm"), &[CHECKPOINT]), answer());
        interrupted += usize::from(killed(&strs(&train("2")), moments.within(run)));
        let after = (snapshot(&skills.join("calm"), &[CHECKPOINT]), answer());
        assert!(
            after == before || after == new,
            "after the kill the skill is neither the version before nor the new one:\n\
             before {before:?}\nnew {new:?}\nafter {after:?}"
        );
        // Back to the old version for the next kill.
        ok(&strs(&train("1")));
    }
    enough(interrupted);
}

#[test]
fn a_killed_skill_add_leaves_no_skill_or_the_whole_skill() {
    let t = tiny();
    let skills = t.root.join("skills");
    std::fs::create_dir_all(skills.join("calm")).unwrap();
    std::fs::write(skills.join("calm/skill.json"), r#"{"id": "calm"}"#).unwrap();
    let incoming = t.root.join("incoming");
    std::fs::create_dir_all(incoming.join("data")).unwrap();
    std::fs::write(incoming.join("skill.json"), r#"{"id": "cheer"}"#).unwrap();
    std::fs::write(incoming.join("data/train.jsonl"), [ROW; 8].join("\n")).unwrap();
    let no_manager = t.root.join("no-manager");
    let mut add = vec![
        "skill",
        "add",
        p(&incoming),
        "--manager-dir",
        p(&no_manager),
    ];
    add.extend(["--model", p(&t.model), "--skills-dir", p(&skills)]);
    add.extend(["--bottleneck", "4", "--max-steps", "40", "--max-len", "64"]);
    let list = || {
        // The registry as the server loads it: every skill that loads, and nothing refused.
        let a = reply_args(&t.model, &skills, "cheer");
        let out = command(&a).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).contains("refused"),
        )
    };
    let calm = snapshot(&skills.join("calm"), &[CHECKPOINT]);

    let run = timed(&add);
    let whole = (snapshot(&skills.join("cheer"), &[]), list());
    assert!(whole.1 .0, "the added skill answers");
    let mut moments = Moments::new("skill add");
    let mut interrupted = 0;
    for _ in 0..KILLS {
        if skills.join("cheer").exists() {
            std::fs::remove_dir_all(skills.join("cheer")).unwrap();
        }
        interrupted += usize::from(killed(&add, moments.within(run)));
        let (loads, _, refused) = list();
        assert!(!refused, "a half-added skill was found and refused");
        if skills.join("cheer").exists() {
            assert!(loads);
            assert_eq!(
                (snapshot(&skills.join("cheer"), &[]), list()),
                whole,
                "a skill added is the whole skill"
            );
        } else {
            assert!(!loads, "no skill `cheer` until it is added whole");
        }
        assert_eq!(
            snapshot(&skills.join("calm"), &[CHECKPOINT]),
            calm,
            "other skills untouched"
        );
    }
    enough(interrupted);
}

#[test]
fn a_killed_manager_training_leaves_the_old_manager_or_the_new_one_whole() {
    let t = tiny();
    let skills = t.root.join("skills");
    std::fs::create_dir_all(&skills).unwrap();
    let manager = t.root.join("manager");
    let encoder = root().join("models/minilm");
    let data = t.root.join("turns.jsonl");
    let turns = [
        ("What is the capital of Kenya?", "knowledge"),
        ("How big is Brazil?", "knowledge"),
        ("What does photosynthesis mean?", "knowledge"),
        ("Which currency does Japan use?", "knowledge"),
        ("I feel so lonely since my friend moved away.", "empathetic"),
        ("My dog died yesterday and I miss him.", "empathetic"),
        ("I'm scared about my exam tomorrow.", "empathetic"),
        ("I was laid off today and feel awful.", "empathetic"),
    ];
    let rows: Vec<String> = turns
        .iter()
        .map(|(text, skill)| {
            serde_json::json!({"text": text, "skill": skill, "source": "test", "license": "CC0-1.0"})
                .to_string()
        })
        .collect();
    std::fs::write(&data, rows.join("\n")).unwrap();
    let train = |seed: &'static str| -> Vec<String> {
        let mut a = vec!["train", "manager", "--data", p(&data), "--no-valid"];
        a.extend(["--skills-dir", p(&skills), "--manager-dir", p(&manager)]);
        a.extend(["--encoder-dir", p(&encoder), "--seed", seed]);
        a.into_iter().map(str::to_string).collect()
    };
    let state = || {
        let route = ok(&[
            "route",
            "--manager-dir",
            p(&manager),
            "--encoder-dir",
            p(&encoder),
            "--text",
            "What is the capital of Peru?",
        ]);
        let mut v: serde_json::Value = serde_json::from_str(&route).unwrap();
        v.as_object_mut().unwrap().remove("elapsed_ms");
        (snapshot(&manager, &[]), v)
    };

    ok(&strs(&train("1")));
    let old = state();
    let run = timed(&strs(&train("2")));
    let new = state();
    assert_ne!(old.0, new.0, "the two versions must differ");
    let mut moments = Moments::new("train manager");
    let mut interrupted = 0;
    for _ in 0..KILLS {
        ok(&strs(&train("1")));
        assert_eq!(state(), old);
        interrupted += usize::from(killed(&strs(&train("2")), moments.within(run)));
        let after = state();
        assert!(after == old || after == new, "a mixed or broken manager");
    }
    enough(interrupted);
}

#[test]
fn a_killed_index_build_leaves_the_old_index_or_the_new_one_whole() {
    let t = tiny();
    let sources = root().join("data/sources");
    let index = t.root.join("knowledge");
    let build = |only: Option<&'static str>| -> Vec<String> {
        let mut a = vec![
            "knowledge",
            "build",
            "--sources",
            p(&sources),
            "--out",
            p(&index),
        ];
        if let Some(o) = only {
            a.extend(["--only", o]);
        }
        a.into_iter().map(str::to_string).collect()
    };
    let search = || {
        let mut a = vec!["knowledge", "search", "--index", p(&index), "--json"];
        a.extend([
            "--k",
            "3",
            "What does photosynthesis mean? capital of Kenya",
        ]);
        ok(&a)
    };

    ok(&strs(&build(Some("factbook"))));
    let old = search();
    let run = timed(&strs(&build(None)));
    let new = search();
    assert_ne!(old, new, "the two versions must differ");
    let mut moments = Moments::new("knowledge build");
    let mut interrupted = 0;
    for _ in 0..KILLS {
        ok(&strs(&build(Some("factbook"))));
        assert_eq!(search(), old);
        interrupted += usize::from(killed(&strs(&build(None)), moments.within(run)));
        let after = search();
        assert!(
            after == old || after == new,
            "a mixed or missing index: {after}"
        );
    }
    enough(interrupted);
}
