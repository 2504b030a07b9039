//! Learning rate: linear warm-up, then cosine decay to a floor.

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrSchedule {
    pub peak: f64,
    pub warmup_steps: usize,
    pub total_steps: usize,
    /// The rate at the last step, as a fraction of `peak`.
    pub floor: f64,
}

impl LrSchedule {
    /// The learning rate for update number `step` (0-based).
    pub fn at(&self, step: usize) -> f64 {
        if step < self.warmup_steps {
            return self.peak * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let decay_steps = self.total_steps.saturating_sub(self.warmup_steps).max(1);
        let progress = ((step - self.warmup_steps) as f64 / decay_steps as f64).min(1.0);
        let cosine = 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
        self.peak * (self.floor + (1.0 - self.floor) * cosine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warms_up_then_decays_to_the_floor() {
        let s = LrSchedule {
            peak: 1.0,
            warmup_steps: 4,
            total_steps: 104,
            floor: 0.1,
        };
        assert_eq!(s.at(0), 0.25);
        assert_eq!(s.at(3), 1.0);
        assert_eq!(s.at(4), 1.0);
        assert!((s.at(54) - 0.55).abs() < 1e-9);
        assert!((s.at(104) - 0.1).abs() < 1e-9);
        assert!((s.at(500) - 0.1).abs() < 1e-9);
        let mut prev = f64::INFINITY;
        for step in 4..104 {
            assert!(s.at(step) <= prev);
            prev = s.at(step);
        }
    }
}
