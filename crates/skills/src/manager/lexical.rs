//! Word features beside the sentence embedding. Mean-pooled embeddings capture the topic of a
//! turn but blur who it is about: "how do you feel about snow?" (asking the bot) lands next to
//! "snow day!" (small talk). Hashed word and word-pair indicators keep cues such as "you",
//! "your", "I feel" and "?" visible to the head.
//!
//! Hand-written because it is a dozen lines: a stable hash (FNV-1a, so features never change
//! between builds or platforms) into a fixed number of buckets.

/// Number of hash buckets.
pub const LEXICAL_DIM: usize = 4096;
/// Weight of the word features next to the unit-length embeddings.
const WEIGHT: f32 = 0.5;

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Lower-cased words (letters, digits, apostrophes) plus `?` and `!` as their own tokens.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '\'' || c == '’' {
            word.push(if c == '’' { '\'' } else { c });
            continue;
        }
        if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if c == '?' || c == '!' {
            out.push(c.to_string());
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Word and word-pair indicators of `text`, hashed into `LEXICAL_DIM` buckets and scaled to
/// length `WEIGHT`.
pub fn lexical_features(text: &str) -> Vec<f32> {
    let mut v = vec![0f32; LEXICAL_DIM];
    let t = tokens(text);
    let pairs = t.windows(2).map(|w| format!("{} {}", w[0], w[1]));
    for f in t.iter().cloned().chain(pairs) {
        v[(fnv1a(f.as_bytes()) % LEXICAL_DIM as u64) as usize] = 1.0;
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x *= WEIGHT / norm);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_pairs_are_hashed_stably() {
        assert_eq!(
            tokens("How do YOU feel?!"),
            ["how", "do", "you", "feel", "?", "!"]
        );
        assert_eq!(tokens("it’s"), ["it's"]);
        let a = lexical_features("how do you feel");
        let norm = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - WEIGHT).abs() < 1e-6);
        // 4 words + 3 pairs, barring collisions.
        assert_eq!(a.iter().filter(|x| **x > 0.0).count(), 7);
        assert_eq!(a, lexical_features("How do you feel"));
        assert!(lexical_features("...").iter().all(|x| *x == 0.0));
        // Fixed by FNV-1a's definition, so saved heads keep working across builds.
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
