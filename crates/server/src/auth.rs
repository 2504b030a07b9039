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
use subtle::{ConditionallySelectable, ConstantTimeEq};

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

    /// Which key `token` is, if it is one. Every key is compared, in constant time.
    pub fn identify(&self, token: &str) -> Option<KeyId> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let (mut index, mut found) = (0u64, subtle::Choice::from(0));
        for (i, d) in self.digests.iter().enumerate() {
            let same = d.ct_eq(&digest);
            index.conditional_assign(&(i as u64), same);
            found |= same;
        }
        bool::from(found).then_some(KeyId(index as usize))
    }

    /// The key an `Authorization` header carries, when it is one of the keys.
    pub fn key_of(&self, header: Option<&str>) -> Option<KeyId> {
        let (scheme, token) = header?.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        self.identify(token.trim())
    }

    /// Checks an `Authorization` header value.
    pub fn allows(&self, header: Option<&str>) -> bool {
        !self.enabled() || self.key_of(header).is_some()
    }
}

/// Which of the server's API keys a request came with (its place in the key list), set by
/// [`require_key`] when keys are on: per-key limits count by it, and no key text is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub usize);

/// Middleware for the routes that need a key.
/// With keys on, the request carries its [`KeyId`] as an extension.
pub async fn require_key(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if !state.keys().enabled() {
        return next.run(req).await;
    }
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match state.keys().key_of(header) {
        Some(key) => {
            req.extensions_mut().insert(key);
            next.run(req).await
        }
        None => ApiError::unauthorized().into_response(),
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
        // Each key is told apart by its place in the list (the empty entry is dropped).
        assert_eq!(keys.key_of(Some("Bearer alpha-key")), Some(KeyId(0)));
        assert_eq!(keys.key_of(Some("Bearer beta")), Some(KeyId(1)));
        assert_eq!(keys.key_of(Some("Bearer gamma")), None);
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
