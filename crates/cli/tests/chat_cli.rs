//! `adapterbot chat` is the same bot as the server: the same turns, piped into the terminal chat
//! and sent to `POST /api/chat` of `adapterbot serve`, get the same skills and the same greedy
//! replies. Runs the shipped skills, manager and knowledge index (scripts/test.sh builds the
//! index).

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::{adapterbot, model, repo, serve, text};
use serde_json::{json, Value};

/// Replies are cut here to keep the test short; both sides are cut the same way.
const MAX_TOKENS: &str = "40";

/// One conversation: persona facts and a pinned skill (both optional), then its user turns.
struct Session {
    persona: &'static [&'static str],
    skill: Option<&'static str>,
    turns: &'static [&'static str],
}

const PERSONA: &[&str] = &[
    "I work as a nurse at a children's hospital.",
    "I have a grey cat called Miso.",
    "I live in Denver with my sister.",
];

/// 20 turns: single and multi-turn, routed by the manager and pinned by hand.
const SESSIONS: &[Session] = &[
    Session {
        persona: &[],
        skill: None,
        turns: &[
            "What is the capital of Australia?",
            "And Peru?",
            "What does photosynthesis mean?",
        ],
    },
    Session {
        persona: &[],
        skill: None,
        turns: &[
            "My grandmother passed away last week.",
            "I keep thinking about the meals she used to cook for us.",
        ],
    },
    Session {
        persona: &[],
        skill: None,
        turns: &["I finally got the job I wanted and I can't stop smiling!"],
    },
    Session {
        persona: PERSONA,
        skill: None,
        turns: &[
            "What do you do for a living?",
            "Do you have any pets?",
            "Where do you live?",
        ],
    },
    Session {
        persona: &[],
        skill: None,
        turns: &[
            "Hey there! How is your day going?",
            "Any plans for the weekend?",
            "Tell me more",
        ],
    },
    Session {
        persona: &[],
        skill: Some("knowledge"),
        turns: &["What is the population of Japan?"],
    },
    Session {
        persona: &[],
        skill: Some("empathetic"),
        turns: &["I failed my driving test again."],
    },
    Session {
        persona: PERSONA,
        skill: Some("persona"),
        turns: &["Tell me about yourself."],
    },
    Session {
        persona: &[],
        skill: Some("chitchat"),
        turns: &["What did you have for breakfast?"],
    },
    Session {
        persona: &[],
        skill: None,
        turns: &["What is the capital of Kenya?", "Why is it there?"],
    },
    Session {
        persona: &[],
        skill: None,
        turns: &[
            "My dog is sick and I'm really worried about him.",
            "The vet says he needs surgery and I can't afford it.",
        ],
    },
];

/// The folders the server and the chat both read, as absolute paths (tests run elsewhere).
fn bot_flags() -> Vec<String> {
    let r = repo();
    let mut flags = vec!["--model".to_string(), model().display().to_string()];
    for (flag, dir) in [
        ("--skills-dir", "models/skills"),
        ("--manager-dir", "models/manager"),
        ("--encoder-dir", "models/minilm"),
        ("--knowledge-dir", "models/knowledge"),
    ] {
        flags.push(flag.into());
        flags.push(r.join(dir).display().to_string());
    }
    flags
}

/// Runs `adapterbot chat` with `args`, `input` piped into it.
fn chat(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_adapterbot"))
        .arg("chat")
        .args(bot_flags())
        .args(args)
        .env("ADAPTERBOT_THREADS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The skill of every route line (`[knowledge · 0.97 · auto · …]`) on stderr.
fn routed_skills(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix('['))
        .map(|l| {
            l.split(' ')
                .next()
                .unwrap()
                .trim_end_matches(']')
                .to_string()
        })
        .collect()
}

/// Stops the server when the test ends, passed or not.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_terminal_chat_answers_like_the_server() {
    let flags = bot_flags();
    let flag_refs: Vec<&std::ffi::OsStr> = flags[2..].iter().map(|s| s.as_ref()).collect();
    let (child, url) = serve(&flag_refs);
    let _server = Server(child);

    // The API side: each session is a conversation the client keeps, replies included.
    let client = reqwest::blocking::Client::new();
    let mut api_skills = Vec::new();
    let mut api_replies = Vec::new();
    let mut first_passages = Vec::new();
    for session in SESSIONS {
        let mut messages: Vec<Value> = Vec::new();
        for turn in session.turns {
            messages.push(json!({"role": "user", "content": turn}));
            let body = json!({
                "messages": messages,
                "skill": session.skill.unwrap_or("auto"),
                "persona": session.persona,
                "temperature": 0.0,
                "max_tokens": MAX_TOKENS.parse::<u32>().unwrap(),
                "stream": false,
            });
            let res = client
                .post(format!("{url}api/chat"))
                .json(&body)
                .send()
                .unwrap();
            assert!(res.status().is_success(), "{}", res.text().unwrap());
            let answer: Value = res.json().unwrap();
            let reply = answer["message"]["content"].as_str().unwrap().to_string();
            api_skills.push(answer["route"]["skill"].as_str().unwrap().to_string());
            if first_passages.is_empty() {
                first_passages = answer["route"]["knowledge"].as_array().unwrap().clone();
            }
            messages.push(json!({"role": "assistant", "content": reply}));
            api_replies.push(reply);
        }
    }

    // The terminal side: the same sessions typed into one piped chat.
    let mut script = String::new();
    for session in SESSIONS {
        script.push_str("/reset\n");
        script.push_str(&format!("/skill {}\n", session.skill.unwrap_or("auto")));
        script.push_str(&format!("/persona {}\n", session.persona.join("; ")));
        for turn in session.turns {
            script.push_str(turn);
            script.push('\n');
        }
    }
    let out = chat(&["--temperature", "0", "--max-tokens", MAX_TOKENS], &script);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let chat_skills = routed_skills(&stderr);

    assert_eq!(api_replies.len(), 20);
    assert_eq!(chat_skills, api_skills, "{stderr}");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &api_skills {
        *counts.entry(s.as_str()).or_default() += 1;
    }
    for skill in ["chitchat", "empathetic", "knowledge", "persona"] {
        assert!(
            counts.get(skill).copied().unwrap_or(0) >= 4,
            "each skill answers ≥ 4 of the turns: {counts:?}"
        );
    }
    // Only the replies on stdout, one after another, each ended by a newline.
    let stdout = text(&out.stdout);
    let mut expected = String::new();
    for (i, reply) in api_replies.iter().enumerate() {
        expected.push_str(reply);
        expected.push('\n');
        assert!(
            stdout.starts_with(&expected),
            "turn {} ({:?}) differs:\nAPI:  {reply:?}\nchat: {:?}",
            i + 1,
            api_skills[i],
            stdout
                .get(expected.len() - reply.len() - 1..)
                .unwrap_or(&stdout)
        );
    }
    assert_eq!(stdout, expected);
    // The route line names the passages the knowledge turn was given.
    let first_title = first_passages[0]["title"].as_str().unwrap();
    let first_line = stderr.lines().find(|l| l.starts_with('[')).unwrap();
    assert!(
        first_line.starts_with("[knowledge · ") && first_line.contains(first_title),
        "{first_line}"
    );
}

#[test]
fn a_piped_session_prints_only_the_replies_and_says_what_went_wrong() {
    let out = chat(
        &["--max-tokens", "12", "--quiet"],
        "Hello!\n/why\n/skill pirate\n/frobnicate\nWhat is the capital of France?\n\nThanks, bye.\n",
    );
    let stderr = text(&out.stderr);
    // Two lines could not be answered: the exit status says so once every turn is done.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("unknown skill `pirate`") && stderr.contains("knowledge"),
        "{stderr}"
    );
    assert!(stderr.contains("no command /frobnicate"), "{stderr}");
    assert!(
        stderr.contains("manager ("),
        "/why shows the manager: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(routed_skills(&stderr).is_empty(), "--quiet: {stderr}");
    let stdout = text(&out.stdout);
    assert_eq!(stdout.matches('\n').count(), 3, "three replies: {stdout:?}");
    assert!(!stdout.contains('['), "{stdout:?}");

    let ok = chat(&["--max-tokens", "8"], "Hi\nHow are you?\nBye\n");
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert_eq!(routed_skills(&text(&ok.stderr)).len(), 3);
    assert_eq!(text(&ok.stdout).matches('\n').count(), 3);
}

#[test]
fn generate_routes_with_auto_and_reports_the_route_as_json() {
    let flags = bot_flags();
    let mut args: Vec<&str> = flags.iter().map(String::as_str).collect();
    args.splice(0..0, ["generate", "--skill", "auto", "--json"]);
    args.extend([
        "--prompt",
        "What is the capital of Australia?",
        "--max-tokens",
        "24",
        "--temperature",
        "0",
    ]);
    let out = adapterbot(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["route"]["skill"], "knowledge", "{report}");
    assert_eq!(report["route"]["source"], "auto");
    let passages = report["knowledge"].as_array().unwrap();
    assert!(
        passages
            .iter()
            .any(|p| p["text"].as_str().unwrap().contains("Canberra")),
        "{report}"
    );
    assert!(
        report["reply"].as_str().unwrap().contains("Canberra"),
        "{report}"
    );
}
