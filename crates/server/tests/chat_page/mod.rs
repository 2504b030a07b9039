//! The chat page as the web UI test sees it: what a bot turn shows (read through the page's
//! `data-testid` hooks), the probes the test installs, and the actions a user takes.

use std::time::Duration;

use fantoccini::key::Key;
use fantoccini::Locator;
use serde::Deserialize;
use serde_json::Value;

use crate::browser::{wait_until, Browser};

/// Long enough for a reply on a busy 2-core machine running other tests.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(180);
pub const UI_TIMEOUT: Duration = Duration::from_secs(20);
/// Short replies keep the test quick; the Stop step asks for a long one.
pub const SHORT_REPLY_TOKENS: &str = "24";
pub const LONG_REPLY_TOKENS: &str = "400";

/// What the page shows for one bot turn (read through `data-testid` hooks).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BotTurn {
    pub state: String,
    pub skill: Option<String>,
    pub source: Option<String>,
    pub badge: String,
    pub badge_visible: bool,
    pub text: String,
    pub status: String,
    pub error: String,
    pub token_events: u32,
    pub probabilities: Vec<String>,
}

const READ_TURNS: &str = r#"
return [...document.querySelectorAll('[data-testid=bot-message]')].map((m) => {
  const q = (id) => m.querySelector(`[data-testid=${id}]`);
  const badge = q('skill-badge');
  return {
    state: m.dataset.state,
    skill: badge.dataset.skill ?? null,
    source: badge.dataset.source ?? null,
    badge: badge.textContent,
    badgeVisible: !badge.hidden && badge.offsetParent !== null,
    text: q('bot-text').textContent,
    status: q('turn-status').textContent,
    error: q('error').textContent,
    tokenEvents: Number(m.dataset.tokenEvents || 0),
    probabilities: [...m.querySelectorAll('.prob')].map((p) => p.dataset.skill),
  };
});"#;

/// Records every change of the newest bot turn's text (time and length), and every request body
/// the page sends to api/chat, so the test can check streaming and what was asked for.
pub const INSTALL_PROBES: &str = r#"
window.__textLog = [];
const conv = document.getElementById('conversation');
new MutationObserver(() => {
  const texts = conv.querySelectorAll('[data-testid=bot-text]');
  if (texts.length) window.__textLog.push([performance.now(), texts[texts.length - 1].textContent.length]);
}).observe(conv, { subtree: true, childList: true, characterData: true });
window.__requests = [];
const realFetch = window.fetch;
window.fetch = (url, init) => {
  if (String(url).endsWith('api/chat') && init && init.body) window.__requests.push(JSON.parse(init.body));
  return realFetch(url, init);
};
return true;"#;

pub struct Page<'a> {
    pub browser: &'a Browser,
}

impl Page<'_> {
    pub async fn turns(&self) -> Vec<BotTurn> {
        serde_json::from_value(self.browser.js(READ_TURNS).await).expect("bot turns")
    }

    pub async fn count(&self, testid: &str) -> usize {
        let script = format!("return document.querySelectorAll('[data-testid={testid}]').length;");
        self.browser.js(&script).await.as_u64().unwrap_or(0) as usize
    }

    pub async fn by_testid(&self, testid: &str) -> fantoccini::elements::Element {
        let css = format!("[data-testid={testid}]");
        self.browser
            .client
            .find(Locator::Css(&css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// The newest element with this test id (e.g. the last turn's Retry button).
    pub async fn last_by_testid(&self, testid: &str) -> fantoccini::elements::Element {
        let css = format!("[data-testid={testid}]");
        let all = self
            .browser
            .client
            .find_all(Locator::Css(&css))
            .await
            .expect("find elements");
        all.into_iter()
            .last()
            .unwrap_or_else(|| panic!("no element {css}"))
    }

    pub async fn is_displayed(&self, testid: &str) -> bool {
        self.by_testid(testid)
            .await
            .is_displayed()
            .await
            .unwrap_or(false)
    }

    pub async fn set_field(&self, testid: &str, value: &str) {
        let field = self.by_testid(testid).await;
        field.clear().await.expect("clear field");
        if !value.is_empty() {
            field.send_keys(value).await.expect("type into field");
        }
    }

    /// Opens the settings panel, runs `f`, closes it again.
    pub async fn in_settings(&self, fields: &[(&str, &str)]) {
        self.by_testid("settings-toggle")
            .await
            .click()
            .await
            .expect("open settings");
        for (testid, value) in fields {
            self.set_field(testid, value).await;
        }
        self.by_testid("settings-toggle")
            .await
            .click()
            .await
            .expect("close settings");
    }

    /// Types a message into the composer and presses Enter.
    pub async fn send(&self, text: &str) {
        let input = self.by_testid("message-input").await;
        input.send_keys(text).await.expect("type the message");
        input.send_keys(&Key::Enter).await.expect("press Enter");
    }

    /// Presses Stop if bot turn `index` is streaming (at least two tokens in) with Stop shown
    /// and Send hidden; says whether it did. One script, so the turn cannot end in between.
    pub async fn press_stop_while_streaming(&self, index: usize) -> bool {
        let script = format!(
            "const turn = document.querySelectorAll('[data-testid=bot-message]')[{index}];
             const stop = document.querySelector('[data-testid=stop]');
             const send = document.querySelector('[data-testid=send]');
             const shown = (e) => !e.hidden && e.offsetParent !== null;
             if (!turn || turn.dataset.state !== 'streaming'
                 || Number(turn.dataset.tokenEvents || 0) < 2 || !shown(stop) || shown(send)) {{
               return false;
             }}
             stop.click();
             return true;"
        );
        self.browser.js(&script).await.as_bool().unwrap_or(false)
    }

    /// Waits until bot turn `index` exists and is no longer waiting or streaming.
    pub async fn finished_turn(&self, index: usize) -> BotTurn {
        wait_until(
            &format!("bot turn {index} to finish"),
            REPLY_TIMEOUT,
            || async {
                let mut turns = self.turns().await;
                (turns.len() > index
                    && !matches!(turns[index].state.as_str(), "waiting" | "streaming"))
                .then(|| turns.swap_remove(index))
            },
        )
        .await
    }

    pub async fn requests(&self) -> Vec<Value> {
        let v = self.browser.js("return window.__requests;").await;
        v.as_array().cloned().unwrap_or_default()
    }
}
