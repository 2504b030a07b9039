//! Optional bearer API keys. Keys are kept as SHA-256 digests and compared in constant time
//! (`subtle`), every key checked, so neither a key's length nor which key matched shows in the
//! timing. `/health`, `/ready` and the web page's files stay open; the page sends the key the
//! user types into its settings as `Authorization: Bearer …`.

use std::path::Path;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("reading the API key file {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("the API key file {0} holds no key (one per line; '#' starts a comment)")]
    Empty(std::path::PathBuf),
}

/// Keys from a file: one per line, blank lines and `#` comments ignored.
pub fn read_key_file(path: &Path) -> Result<Vec<String>, KeyFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let keys: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    if keys.is_empty() {
        return Err(KeyFileError::Empty(path.to_path_buf()));
    }
    Ok(keys)
}

#[derive(Debug, Clone, Default)]
pub struct ApiKeys {
    digests: Vec<[u8; 32]>,
}

impl ApiKeys {
    pub fn new(keys: &[String]) -> Self {
        Self {
            digests: keys
                .iter()
                .map(|k| k.trim())
                .filter(|k| !k.is_empty())
                .map(|k| Sha256::digest(k.as_bytes()).into())
                .collect(),
        }
    }

    pub fn enabled(&self) -> bool {
        !self.digests.is_empty()
    }

    /// True when `token` is one of the keys.
    pub fn accepts(&self, token: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut found = subtle::Choice::from(0);
        for d in &self.digests {
            found |= d.ct_eq(&digest);
        }
        found.into()
    }

    /// Checks an `Authorization` header value.
    pub fn allows(&self, header: Option<&str>) -> bool {
        if !self.enabled() {
            return true;
        }
        let Some(value) = header else { return false };
        let Some((scheme, token)) = value.split_once(' ') else {
            return false;
        };
        scheme.eq_ignore_ascii_case("bearer") && self.accepts(token.trim())
    }
}

/// Middleware for the routes that need a key.
pub async fn require_key(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if state.keys().allows(header) {
        next.run(req).await
    } else {
        ApiError::unauthorized().into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_listed_key_with_the_bearer_scheme_passes() {
        let keys = ApiKeys::new(&["alpha-key".into(), " beta ".into(), "".into()]);
        assert!(keys.allows(Some("Bearer alpha-key")));
        assert!(keys.allows(Some("bearer beta")));
        assert!(!keys.allows(Some("Bearer alpha-ke")));
        assert!(!keys.allows(Some("Bearer alpha-key2")));
        assert!(!keys.allows(Some("Basic alpha-key")));
        assert!(!keys.allows(Some("alpha-key")));
        assert!(!keys.allows(None));
        assert!(ApiKeys::new(&[]).allows(None), "no keys: open");
        assert!(!ApiKeys::new(&["x".into()]).allows(Some("Bearer ")));
    }

    #[test]
    fn key_files_skip_comments_and_refuse_to_be_empty() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("keys");
        std::fs::write(&p, "# team keys\nfirst\n\n  second  \n").unwrap();
        assert_eq!(read_key_file(&p).unwrap(), ["first", "second"]);
        std::fs::write(&p, "# nothing\n").unwrap();
        assert!(read_key_file(&p)
            .unwrap_err()
            .to_string()
            .contains("no key"));
        let missing = read_key_file(&dir.path().join("nope")).unwrap_err();
        assert!(missing.to_string().contains("nope"), "{missing}");
    }
}
