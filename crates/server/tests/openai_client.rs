//! The official `openai` Python client, unmodified, against `/v1` (streaming with usage, and
//! not streaming). scripts/test.sh installs it in `.venv-test/` and passes its Python as
//! ADAPTERBOT_TEST_PYTHON.

mod common;

use std::process::Command;

use adapterbot_server::ServerConfig;
use common::start;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_openai_client_works_unmodified() {
    let python = std::env::var("ADAPTERBOT_TEST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "ADAPTERBOT_TEST_PYTHON is not set: run scripts/test.sh, which installs the openai \
             client in .venv-test/ and sets it"
        )
    });
    let s = start(ServerConfig {
        api_keys: vec!["test-key".into()],
        ..ServerConfig::default()
    })
    .await;
    let script = common::repo().join("crates/server/tests/openai_client.py");
    let base = s.at("/v1");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .env("ADAPTERBOT_BASE_URL", base)
            .env("ADAPTERBOT_API_KEY", "test-key")
            .output()
            .expect("python runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "openai_client.py failed\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all checks passed"), "{stdout}\n{stderr}");
    s.shutdown().await;
}
