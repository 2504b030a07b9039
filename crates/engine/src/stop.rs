//! Stop strings: text is held back while it could still be the start of a stop string, so a
//! client never sees part of one.

#[derive(Debug, Clone, Default)]
pub struct StopMatcher {
    stops: Vec<String>,
    held: String,
}

impl StopMatcher {
    pub fn new(stops: Vec<String>) -> Self {
        Self {
            stops: stops.into_iter().filter(|s| !s.is_empty()).collect(),
            held: String::new(),
        }
    }

    /// Adds `piece`; returns the text now safe to emit and whether a stop string was reached
    /// (the text before it is returned; the stop string and anything after it are dropped).
    pub fn feed(&mut self, piece: &str) -> (String, bool) {
        self.held.push_str(piece);
        if let Some(at) = self
            .stops
            .iter()
            .filter_map(|s| self.held.find(s.as_str()))
            .min()
        {
            let out = self.held[..at].to_string();
            self.held.clear();
            return (out, true);
        }
        let keep_from = self
            .held
            .char_indices()
            .map(|(i, _)| i)
            .find(|&i| self.stops.iter().any(|s| s.starts_with(&self.held[i..])))
            .unwrap_or(self.held.len());
        let out = self.held[..keep_from].to_string();
        self.held.drain(..keep_from);
        (out, false)
    }

    /// Whatever is still held back, at the end of a reply.
    pub fn flush(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.held);
        (!rest.is_empty()).then_some(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn holds_back_a_possible_prefix_and_cuts_at_the_stop() {
        let mut m = StopMatcher::new(vec!["\nUser:".into()]);
        assert_eq!(m.feed("Hello"), ("Hello".into(), false));
        assert_eq!(m.feed(" there\nUs"), (" there".into(), false));
        assert_eq!(m.feed("er: hi"), ("".into(), true));
    }

    #[test]
    fn a_false_start_is_released() {
        let mut m = StopMatcher::new(vec!["END".into()]);
        assert_eq!(m.feed("the EN"), ("the ".into(), false));
        assert_eq!(m.feed("D?"), ("".into(), true));
        let mut m = StopMatcher::new(vec!["END".into()]);
        assert_eq!(m.feed("EN"), ("".into(), false));
        assert_eq!(m.feed("ergy"), ("ENergy".into(), false));
        assert_eq!(m.flush(), None);
    }

    proptest! {
        /// Whatever the chunking, the emitted text is the input cut before the first stop.
        #[test]
        fn emitted_text_is_the_prefix_before_the_first_stop(
            text in "[abc ]{0,40}",
            cuts in proptest::collection::vec(0usize..40, 0..8),
        ) {
            let stop = "ab c".to_string();
            let mut m = StopMatcher::new(vec![stop.clone()]);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(text.len())).collect();
            cuts.push(0);
            cuts.push(text.len());
            cuts.sort_unstable();
            let mut out = String::new();
            let mut hit = false;
            for w in cuts.windows(2) {
                let (o, h) = m.feed(&text[w[0]..w[1]]);
                out.push_str(&o);
                if h { hit = true; break; }
            }
            if !hit { out.push_str(&m.flush().unwrap_or_default()); }
            let expected = match text.find(&stop) { Some(i) => &text[..i], None => &text[..] };
            prop_assert_eq!(out, expected);
            prop_assert_eq!(hit, text.contains(&stop));
        }
    }
}
