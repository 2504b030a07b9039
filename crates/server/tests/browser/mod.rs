//! Debian's headless Chromium driven through chromedriver (WebDriver) with fantoccini, for the web
//! page's test. The browser runs on a fresh profile with its background networking off: on a closed
//! network Chromium's own connections are refused and can stall it.

use std::future::Future;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

const INSTALL_HINT: &str = "run scripts/test.sh, which installs Debian's `chromium` and \
     `chromium-driver` when they are missing (or: apt-get install -y chromium chromium-driver)";

/// A chromedriver process and one browser session on it. Call [`Browser::close`] at the end; if the
/// test panics first, dropping it still ends chromedriver.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium window of the given size.
    pub async fn launch(width: u32, height: u32) -> Browser {
        let (chromium, chromedriver) = programs();
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", chromedriver.display()));
        // From here on, `guard` ends chromedriver if anything below panics.
        let mut guard = DriverGuard(Some(driver));
        wait_for_port(port, Duration::from_secs(20));

        let profile = tempfile::tempdir().expect("temporary browser profile");
        let args = [
            "--headless".to_string(),
            "--no-sandbox".to_string(),
            "--disable-gpu".to_string(),
            "--disable-quic".to_string(),
            "--no-first-run".to_string(),
            "--disable-background-networking".to_string(),
            "--disable-component-update".to_string(),
            "--disable-sync".to_string(),
            "--disable-dev-shm-usage".to_string(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_string(),
            json!({ "binary": chromium.to_string_lossy(), "args": args }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("chromedriver did not open a Chromium session: {e}"));
        Browser {
            client,
            driver: guard.0.take().expect("driver still owned"),
            _profile: profile,
        }
    }

    /// Ends the browser session and chromedriver.
    pub async fn close(mut self) {
        let client = self.client.clone();
        if let Err(e) = client.close().await {
            eprintln!("closing the browser session failed: {e}");
        }
        stop_child(&mut self.driver);
    }

    /// Runs a script in the page and returns its result (`return …;` in the script).
    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed in the page: {e}\n{script}"))
    }
}

/// Chromium and chromedriver on PATH, or a panic that says how to install them.
pub fn programs() -> (PathBuf, PathBuf) {
    let chromium = find_program(&["chromium", "chromium-browser"]).unwrap_or_else(|| {
        panic!("Chromium is not installed, so the web page cannot be tested: {INSTALL_HINT}")
    });
    let chromedriver = find_program(&["chromedriver"]).unwrap_or_else(|| {
        panic!("chromedriver is not installed, so the web page cannot be tested: {INSTALL_HINT}")
    });
    (chromium, chromedriver)
}

impl Drop for Browser {
    fn drop(&mut self) {
        stop_child(&mut self.driver);
    }
}

struct DriverGuard(Option<Child>);

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            stop_child(child);
        }
    }
}

fn stop_child(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The first of `names` found on PATH.
fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

fn wait_for_port(port: u16, timeout: Duration) {
    let start = Instant::now();
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        assert!(
            start.elapsed() < timeout,
            "chromedriver did not listen on port {port} within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Polls `check` until it returns `Some`, or panics after `timeout` saying what was awaited.
pub async fn wait_until<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}
