//! The web chat page in a real headless Chromium, against the real server and model: type a
//! message and watch the reply stream in with its skill badge, pin a skill by hand, see a bad
//! request's error inline and retry, stop a reply mid-stream (the server stays healthy), reload,
//! start a new conversation. Also checks the page's SSE parser on awkwardly split input.
//!
//! Needs Debian's `chromium` and `chromium-driver` (scripts/test.sh installs them). Saves a
//! screenshot to `<target>/tmp/web_ui/chat.png`; with `ADAPTERBOT_UPDATE_SCREENSHOTS=1` also to
//! `docs/screenshots/chat.png`.

mod browser;
mod chat_page;
mod common;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::Duration;

use adapterbot_server::ServerConfig;
use browser::{wait_until, Browser};
use chat_page::{
    Page, INSTALL_PROBES, LONG_REPLY_TOKENS, REPLY_TIMEOUT, SHORT_REPLY_TOKENS, UI_TIMEOUT,
};
use fantoccini::key::Key;
use futures::FutureExt;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_page_streams_pins_a_skill_stops_and_starts_over() {
    browser::programs(); // fail at once, before loading the model, when Chromium is missing
    let server = common::start(ServerConfig::default()).await;
    let browser = Browser::launch(1200, 1300).await;
    let outcome = AssertUnwindSafe(scenario(&browser, &server))
        .catch_unwind()
        .await;
    browser.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    server.shutdown().await;
}

/// A server started with an API key: the page says a key is needed (skills and chat), and the
/// key typed into Settings unlocks both and is remembered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_key_from_settings_unlocks_the_api() {
    browser::programs();
    let config = ServerConfig {
        api_keys: vec!["page-test-key".into()],
        ..ServerConfig::default()
    };
    let server = common::start(config).await;
    let browser = Browser::launch(900, 800).await;
    let outcome = AssertUnwindSafe(key_scenario(&browser, &server))
        .catch_unwind()
        .await;
    browser.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    server.shutdown().await;
}

async fn key_scenario(browser: &Browser, server: &common::TestServer) {
    let page = Page { browser };
    browser
        .client
        .goto(&server.at("/"))
        .await
        .expect("open the page");
    let help = wait_until("the page to ask for a key", UI_TIMEOUT, || async {
        let text = page
            .by_testid("skill-help")
            .await
            .text()
            .await
            .unwrap_or_default();
        text.contains("API key").then_some(text)
    })
    .await;
    assert!(help.contains("Settings"), "skill help: {help}");

    page.in_settings(&[("max-tokens", "8")]).await;
    page.send("Hello?").await;
    let refused = page.finished_turn(0).await;
    assert_eq!(refused.state, "error", "{refused:?}");
    assert!(
        refused.error.contains("API key"),
        "error: {:?}",
        refused.error
    );

    // Typing the key and leaving the field (closing Settings) stores it and reloads the skills.
    page.in_settings(&[("api-key", "page-test-key")]).await;
    wait_until("the skills with the key", UI_TIMEOUT, || async {
        let v = browser
            .js("return document.querySelector('[data-testid=skill-select]').options.length;")
            .await;
        (v.as_u64().unwrap_or(0) > 1).then_some(())
    })
    .await;
    page.last_by_testid("retry")
        .await
        .click()
        .await
        .expect("retry");
    let answered = page.finished_turn(0).await;
    assert_eq!(answered.state, "done", "{answered:?}");
    let stored = browser
        .js("return JSON.parse(localStorage.getItem('adapterbot.apiKey'));")
        .await;
    assert_eq!(stored, json!("page-test-key"));
}

async fn scenario(browser: &Browser, server: &common::TestServer) {
    let base = server.url.as_str();
    let page = Page { browser };
    let skills = skill_ids(base).await;
    assert!(
        skills.iter().any(|s| s == "empathetic"),
        "the server lists {skills:?}"
    );

    assert_serves_the_page_in_web(server).await;
    browser
        .client
        .goto(&format!("{base}/"))
        .await
        .expect("open the page");
    assert_eq!(browser.client.title().await.expect("title"), "AdapterBot");

    // The picker offers `auto` and every skill the server lists.
    let options = wait_until("the skill list", UI_TIMEOUT, || async {
        let v = browser
            .js(
                "const s = document.querySelector('[data-testid=skill-select]');
                 return s.dataset.loaded ? [...s.options].map((o) => o.value) : null;",
            )
            .await;
        serde_json::from_value::<Option<Vec<String>>>(v)
            .ok()
            .flatten()
    })
    .await;
    let mut expected = vec!["auto".to_string()];
    expected.extend(skills.iter().cloned());
    assert_eq!(options, expected);

    check_sse_parser(browser).await;
    browser.js(INSTALL_PROBES).await;
    page.in_settings(&[("max-tokens", SHORT_REPLY_TOKENS)])
        .await;

    // Shift+Enter makes a new line without sending.
    let input = page.by_testid("message-input").await;
    input.send_keys("Hi there!").await.expect("type");
    let shift_enter = format!(
        "{}{}{}",
        char::from(Key::Shift),
        char::from(Key::Enter),
        char::from(Key::Null)
    );
    input.send_keys(&shift_enter).await.expect("shift+enter");
    assert_eq!(
        page.count("user-message").await,
        0,
        "Shift+Enter must not send"
    );

    // Enter sends; the reply streams in (its text grows over time) and gets a badge.
    page.send("How are you doing today?").await;
    let first = page.finished_turn(0).await;
    assert_eq!(first.state, "done", "first reply: {first:?}");
    assert!(!first.text.trim().is_empty(), "empty reply: {first:?}");
    assert!(
        first.token_events >= 2,
        "the reply came in one piece: {first:?}"
    );
    let log: Vec<(f64, u64)> =
        serde_json::from_value(browser.js("return window.__textLog;").await).unwrap();
    assert_streamed(&log);
    let skill = first.skill.clone().unwrap_or_default();
    assert!(
        first.badge_visible && skills.contains(&skill),
        "badge: {first:?}"
    );
    let source = first.source.clone().unwrap_or_default();
    assert!(
        matches!(source.as_str(), "auto" | "fallback"),
        "on auto the source is {source}"
    );
    assert!(
        first.badge.contains(&skill) && first.badge.contains(&source),
        "badge text {:?}",
        first.badge
    );
    if source == "auto" {
        assert!(
            first.probabilities.contains(&skill),
            "probabilities: {:?}",
            first.probabilities
        );
    }
    assert!(
        first.status.contains("tokens"),
        "status line: {:?}",
        first.status
    );
    let user_text = browser
        .js("return document.querySelector('[data-testid=user-message] [data-testid=message-text]').textContent;")
        .await;
    assert_eq!(user_text, json!("Hi there!\nHow are you doing today?"));

    // Pin `empathetic` by hand and give a persona: the next reply says empathetic · manual.
    page.by_testid("skill-select")
        .await
        .select_by_value("empathetic")
        .await
        .expect("pick a skill");
    page.in_settings(&[("persona", "I love sailing.\nI have a grey cat.")])
        .await;
    page.send("I failed my exam and I feel awful.").await;
    let second = page.finished_turn(1).await;
    assert_eq!(second.state, "done", "second reply: {second:?}");
    assert_eq!(second.skill.as_deref(), Some("empathetic"), "{second:?}");
    assert_eq!(second.source.as_deref(), Some("manual"), "{second:?}");
    assert!(
        second.badge.contains("empathetic") && second.badge.contains("manual"),
        "{second:?}"
    );
    let requests = page.requests().await;
    assert_eq!(requests.len(), 2, "requests: {requests:?}");
    assert_eq!(requests[0]["skill"], "auto");
    assert_eq!(requests[0]["max_tokens"], 24);
    assert_eq!(requests[1]["skill"], "empathetic");
    assert_eq!(
        requests[1]["persona"],
        json!(["I love sailing.", "I have a grey cat."])
    );
    let roles: Vec<&str> = requests[1]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        ["user", "assistant", "user"],
        "the whole conversation goes with each turn"
    );

    // A request the server refuses (temperature out of range): the error shows inline, the
    // conversation stays, and Retry works once the setting is fixed.
    page.in_settings(&[("temperature", "99")]).await;
    page.send("Are you still there?").await;
    let refused = page.finished_turn(2).await;
    assert_eq!(refused.state, "error", "{refused:?}");
    assert!(
        refused.error.contains("temperature"),
        "error message: {:?}",
        refused.error
    );
    assert_eq!(
        page.count("bot-message").await,
        3,
        "the conversation is kept"
    );
    let retry = page.last_by_testid("retry").await;
    assert!(
        retry.is_displayed().await.unwrap(),
        "a failed last turn offers Retry"
    );
    page.in_settings(&[("temperature", "")]).await;
    retry.click().await.expect("retry");
    let retried = page.finished_turn(2).await;
    assert_eq!(retried.state, "done", "retried reply: {retried:?}");

    // Stop a long reply mid-stream: the turn is marked stopped and nothing more arrives.
    page.in_settings(&[("max-tokens", LONG_REPLY_TOKENS)]).await;
    page.send("Tell me a long story about a lighthouse keeper and his cat.")
        .await;
    // Checked and clicked in one script, so no token can arrive in between: a short reply may
    // otherwise end between a WebDriver check and a WebDriver click.
    wait_until(
        "the long reply to stream, and Stop to be pressed while it does",
        REPLY_TIMEOUT,
        || async { page.press_stop_while_streaming(3).await.then_some(()) },
    )
    .await;
    let stopped = page.finished_turn(3).await;
    assert_eq!(stopped.state, "stopped", "{stopped:?}");
    assert_eq!(stopped.status, "Stopped");
    assert!(!stopped.text.is_empty());
    tokio::time::sleep(Duration::from_millis(700)).await;
    let after = &page.turns().await[3];
    assert_eq!(after.text, stopped.text, "text kept arriving after Stop");
    assert!(page.is_displayed("send").await && !page.is_displayed("stop").await);
    assert_server_healthy(server).await;

    // The server answers the next turn as usual.
    page.in_settings(&[("max-tokens", SHORT_REPLY_TOKENS)])
        .await;
    page.send("Thanks, that is enough.").await;
    let next = page.finished_turn(4).await;
    assert_eq!(next.state, "done", "reply after a stop: {next:?}");

    // Reloading keeps the conversation (it lives in the browser).
    browser.client.refresh().await.expect("reload");
    wait_until("the conversation after reload", UI_TIMEOUT, || async {
        (page.count("bot-message").await == 5).then_some(())
    })
    .await;
    let reloaded = page.turns().await;
    assert_eq!(reloaded[3].state, "stopped");
    assert_eq!(reloaded[1].skill.as_deref(), Some("empathetic"));

    save_screenshot(browser).await;

    // New conversation clears it.
    page.by_testid("new-conversation")
        .await
        .click()
        .await
        .expect("new conversation");
    assert_eq!(page.count("bot-message").await, 0);
    assert_eq!(page.count("user-message").await, 0);
    assert!(page.is_displayed("empty-state").await);
    let focused = browser
        .js("return document.activeElement.dataset.testid;")
        .await;
    assert_eq!(
        focused,
        json!("message-input"),
        "focus goes back to the message box"
    );
    browser.client.refresh().await.expect("reload");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        page.count("bot-message").await,
        0,
        "a cleared conversation stays cleared"
    );
}

/// Every file of `web/` is served as it is on disk, with its type (a stale build embeds old files).
async fn assert_serves_the_page_in_web(server: &common::TestServer) {
    let files = [
        ("", "index.html", "text/html"),
        ("app.js", "app.js", "text/javascript"),
        ("sse.js", "sse.js", "text/javascript"),
        ("render.js", "render.js", "text/javascript"),
        ("style.css", "style.css", "text/css"),
    ];
    for (url_path, file, content_type) in files {
        let on_disk = std::fs::read_to_string(common::repo().join("web").join(file))
            .unwrap_or_else(|e| panic!("web/{file}: {e}"));
        let resp = reqwest::get(server.at(&format!("/{url_path}")))
            .await
            .and_then(|r| r.error_for_status())
            .unwrap_or_else(|e| panic!("GET /{url_path}: {e}"));
        let served_type = resp.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            served_type.starts_with(content_type),
            "/{url_path} is served as {served_type}"
        );
        let served = resp.text().await.expect("body");
        assert!(
            served == on_disk,
            "the server embeds a different web/{file} than this checkout: the build is stale \
             (touch crates/server/src/web.rs and rebuild)"
        );
    }
}

/// The text grew in several steps spread over time, not all at once.
fn assert_streamed(log: &[(f64, u64)]) {
    let mut lengths: Vec<u64> = log.iter().map(|&(_, n)| n).filter(|&n| n > 0).collect();
    lengths.dedup();
    assert!(
        lengths.len() >= 3,
        "the text grew in {} steps: {log:?}",
        lengths.len()
    );
    assert!(
        lengths.windows(2).all(|w| w[0] < w[1]),
        "the text only grows: {lengths:?}"
    );
    let first_text = log.iter().find(|&&(_, n)| n > 0).map(|&(t, _)| t).unwrap();
    let last = log.last().map(|&(t, _)| t).unwrap();
    assert!(
        last - first_text > 10.0,
        "all text arrived within {} ms",
        last - first_text
    );
}

/// Feeds the page's SSE parser events split at every awkward place: inside a UTF-8 character,
/// between \r and \n, inside a field name; with comments and multi-line data.
async fn check_sse_parser(browser: &Browser) {
    let script = r#"
const stream = ': keep-alive\r\nevent: route\r\ndata: {"skill":"knowledge"}\r\n\r\n' +
  'event: token\ndata: {"text":"caf\u00e9 \ud83d\ude00"}\n\n' +
  'event: token\rdata: line one\rdata: line two\r\r' +
  'data:no-space\nid: 7\nretry: 10\n\n' +
  'event: done\ndata: {}\n\n' +
  'event: dropped\ndata: never closed';
const bytes = new TextEncoder().encode(stream);
const runs = [];
for (const size of [1, 2, 3, 5, 7, bytes.length]) {
  const events = [];
  const parser = window.AdapterBotSse.createSseParser((e) => events.push(e));
  for (let i = 0; i < bytes.length; i += size) parser.push(bytes.slice(i, i + size));
  parser.end();
  runs.push(events);
}
return runs;"#;
    let runs: Vec<Vec<Value>> =
        serde_json::from_value(browser.js(script).await).expect("parser runs");
    let expected = json!([
        {"event": "route", "data": "{\"skill\":\"knowledge\"}", "id": ""},
        {"event": "token", "data": "{\"text\":\"café 😀\"}", "id": ""},
        {"event": "token", "data": "line one\nline two", "id": ""},
        {"event": "message", "data": "no-space", "id": "7"},
        {"event": "done", "data": "{}", "id": "7"},
    ]);
    for (i, events) in runs.iter().enumerate() {
        assert_eq!(json!(events), expected, "SSE parser, split run {i}");
    }
}

async fn skill_ids(base: &str) -> Vec<String> {
    let body: Value = reqwest::get(format!("{base}/api/skills"))
        .await
        .and_then(|r| r.error_for_status())
        .expect("GET /api/skills")
        .json()
        .await
        .expect("skills JSON");
    let list = body.get("skills").unwrap_or(&body);
    list.as_array()
        .expect("a list of skills")
        .iter()
        .map(|s| s["id"].as_str().expect("skill id").to_string())
        .collect()
}

/// The aborted request freed its generation, and the server still answers.
async fn assert_server_healthy(server: &common::TestServer) {
    wait_until("the stopped generation to be freed", UI_TIMEOUT, || async {
        let m = server.metrics().await;
        (common::metric(&m, "adapterbot_active_generations") == Some(0.0)).then_some(())
    })
    .await;
    let ready = reqwest::get(server.at("/ready")).await.expect("GET /ready");
    assert!(ready.status().is_success(), "/ready: {}", ready.status());
}

async fn save_screenshot(browser: &Browser) {
    // Show the manager's view of the first reply in the picture.
    browser
        .js("document.querySelectorAll('[data-testid=probabilities]:not([hidden])').forEach((d) => d.open = true);
             document.getElementById('conversation').scrollTop = 0; return true;")
        .await;
    let png = browser.client.screenshot().await.expect("screenshot");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web_ui");
    std::fs::create_dir_all(&out).expect("screenshot folder");
    std::fs::write(out.join("chat.png"), &png).expect("write the screenshot");
    eprintln!("screenshot: {}", out.join("chat.png").display());
    if std::env::var_os("ADAPTERBOT_UPDATE_SCREENSHOTS").is_some() {
        let docs: PathBuf = [
            env!("CARGO_MANIFEST_DIR"),
            "..",
            "..",
            "docs",
            "screenshots",
        ]
        .iter()
        .collect();
        std::fs::create_dir_all(&docs).expect("docs/screenshots");
        std::fs::write(docs.join("chat.png"), &png).expect("write docs/screenshots/chat.png");
    }
}
