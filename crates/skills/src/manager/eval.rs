//! Measuring the manager on labelled turns it has not seen: accuracy, per-skill precision and
//! recall, the confusion matrix (as JSON and as an SVG picture) and the routing time per turn.

use serde::Serialize;

use super::{DialogueManager, LabelledTurn, ManagerError, RouteSource};

#[derive(Debug, Clone, Serialize)]
pub struct SkillScore {
    pub skill: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Turns of this skill in the data.
    pub support: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Mistake {
    pub text: String,
    pub context: Vec<String>,
    pub expected: String,
    pub predicted: String,
    pub probability: f32,
}

/// What a confidence threshold would do on these turns.
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdScore {
    pub threshold: f32,
    /// Share of turns below it (answered by the default skill).
    pub fallback_rate: f64,
    /// Share of turns answered by their labelled skill when turns below the threshold go to
    /// the default skill (right only where the default is the labelled one).
    pub served_accuracy: f64,
}

/// Thresholds the report scores, from "never falls back" (4 skills: the top probability is at
/// least 0.25) upwards.
const THRESHOLDS: [f32; 10] = [0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7];

#[derive(Debug, Clone, Serialize)]
pub struct ManagerEval {
    pub turns: usize,
    /// Share of turns whose most likely skill is the labelled one.
    pub accuracy: f64,
    pub per_skill: Vec<SkillScore>,
    /// Row = labelled skill, column = predicted skill, in the order of `skills`.
    pub skills: Vec<String>,
    pub confusion: Vec<Vec<usize>>,
    /// Share of turns below the confidence threshold (they would go to the default skill).
    pub fallback_rate: f64,
    pub threshold: f32,
    /// The skill a fallback goes to in `thresholds` ("" when none was named: a fallback is
    /// then never right).
    pub default_skill: String,
    /// Fallback rate and served accuracy for a range of thresholds, to choose one (on valid).
    pub thresholds: Vec<ThresholdScore>,
    /// Time to route one turn as the server does: its context was embedded when the previous
    /// reply ended (`prepare_context`), so only the turn itself is encoded, then the head runs.
    pub median_ms: f64,
    pub p90_ms: f64,
    /// Time to route one turn with nothing cached: the turn and its context both encoded (the
    /// first turn after a restart, or a client that rewrote the history).
    pub cold_median_ms: f64,
    pub cold_p90_ms: f64,
    pub mistakes: Vec<Mistake>,
}

/// Routes every row one at a time, as the server does, and scores the decisions.
pub fn evaluate(
    manager: &DialogueManager,
    rows: &[LabelledTurn],
) -> Result<ManagerEval, ManagerError> {
    evaluate_with_default(manager, rows, "")
}

/// As [`evaluate`], scoring thresholds with turns below them answered by `default_skill`.
pub fn evaluate_with_default(
    manager: &DialogueManager,
    rows: &[LabelledTurn],
    default_skill: &str,
) -> Result<ManagerEval, ManagerError> {
    let skills = manager.skills().to_vec();
    let k = skills.len();
    let mut confusion = vec![vec![0usize; k]; k];
    let mut times = Vec::with_capacity(rows.len());
    let mut cold_times = Vec::with_capacity(rows.len());
    let mut mistakes = Vec::new();
    let mut fallbacks = 0;
    let mut correct = 0;
    // (top probability, its skill is the labelled one, the default skill is the labelled one)
    let mut decided = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(expected) = skills.iter().position(|s| *s == r.skill) else {
            return Err(ManagerError::Data(format!(
                "turn {:?} is labelled `{}`, which the manager was not trained on ({skills:?})",
                r.text, r.skill
            )));
        };
        // Each turn routed twice with the cache emptied: once with nothing known, once with the
        // context prepared ahead as in serving. The features, so the decision, are the same.
        manager.encoder().clear_cache();
        cold_times.push(manager.route(&r.text, &r.context, "")?.elapsed_ms);
        manager.encoder().clear_cache();
        manager.prepare_context(&r.context)?;
        // An empty default: a fallback shows as "" so it can be told apart from a real choice.
        let d = manager.route(&r.text, &r.context, "")?;
        times.push(d.elapsed_ms);
        if d.source == RouteSource::Fallback {
            fallbacks += 1;
        }
        let (best, p) =
            d.probabilities.iter().fold(
                ("", f32::MIN),
                |a, (s, &p)| if p > a.1 { (s, p) } else { a },
            );
        let predicted = skills.iter().position(|s| s == best).unwrap_or(0);
        confusion[expected][predicted] += 1;
        decided.push((p, predicted == expected, r.skill == default_skill));
        if predicted == expected {
            correct += 1;
        } else {
            mistakes.push(Mistake {
                text: r.text.clone(),
                context: r.context.clone(),
                expected: r.skill.clone(),
                predicted: best.to_string(),
                probability: p,
            });
        }
    }
    let per_skill = (0..k)
        .map(|i| {
            let tp = confusion[i][i] as f64;
            let support: usize = confusion[i].iter().sum();
            let predicted: usize = confusion.iter().map(|row| row[i]).sum();
            let precision = ratio(tp, predicted as f64);
            let recall = ratio(tp, support as f64);
            SkillScore {
                skill: skills[i].clone(),
                precision,
                recall,
                f1: ratio(2.0 * precision * recall, precision + recall),
                support,
            }
        })
        .collect();
    let thresholds = THRESHOLDS
        .iter()
        .map(|&t| {
            let n = decided.len().max(1) as f64;
            let below = decided.iter().filter(|(p, _, _)| *p < t).count();
            let served = decided
                .iter()
                .filter(|&&(p, right, default_right)| if p < t { default_right } else { right })
                .count();
            ThresholdScore {
                threshold: t,
                fallback_rate: below as f64 / n,
                served_accuracy: served as f64 / n,
            }
        })
        .collect();
    times.sort_by(f64::total_cmp);
    cold_times.sort_by(f64::total_cmp);
    let n = rows.len().max(1) as f64;
    Ok(ManagerEval {
        turns: rows.len(),
        accuracy: correct as f64 / n,
        per_skill,
        skills,
        confusion,
        fallback_rate: fallbacks as f64 / n,
        threshold: manager.config().threshold,
        default_skill: default_skill.to_string(),
        thresholds,
        median_ms: percentile(&times, 0.5),
        p90_ms: percentile(&times, 0.9),
        cold_median_ms: percentile(&cold_times, 0.5),
        cold_p90_ms: percentile(&cold_times, 0.9),
        mistakes,
    })
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

impl ManagerEval {
    /// The confusion matrix as a small SVG heat map (row = labelled, column = predicted).
    pub fn confusion_svg(&self) -> String {
        let k = self.skills.len();
        let (cell, left, top) = (64.0, 110.0, 90.0);
        let (w, h) = (left + cell * k as f64 + 20.0, top + cell * k as f64 + 40.0);
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             font-family=\"sans-serif\" font-size=\"12\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
             <text x=\"{left}\" y=\"20\" font-size=\"14\">Dialogue manager: {} turns, accuracy {:.1}%</text>\n\
             <text x=\"{left}\" y=\"{}\">predicted →</text>\n\
             <text x=\"10\" y=\"{}\">labelled ↓</text>\n",
            self.turns,
            self.accuracy * 100.0,
            top - 30.0,
            top - 8.0,
        );
        for (j, name) in self.skills.iter().enumerate() {
            let x = left + cell * (j as f64 + 0.5);
            s += &format!(
                "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                top - 12.0,
                xml_escape(name)
            );
        }
        for (i, row) in self.confusion.iter().enumerate() {
            let total = row.iter().sum::<usize>().max(1) as f64;
            let y = top + cell * i as f64;
            s += &format!(
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                left - 8.0,
                y + cell / 2.0 + 4.0,
                xml_escape(&self.skills[i])
            );
            for (j, &count) in row.iter().enumerate() {
                let share = count as f64 / total;
                // Darker blue for a larger share of the row; text flips to white on dark cells.
                let shade = (255.0 - share * 200.0).round() as u8;
                let ink = if share > 0.5 { "white" } else { "black" };
                let x = left + cell * j as f64;
                s += &format!(
                    "<rect x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" \
                     fill=\"rgb({shade},{shade},255)\" stroke=\"#ccc\"/>\n\
                     <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{ink}\">{count}</text>\n",
                    x + cell / 2.0,
                    y + cell / 2.0 + 4.0
                );
            }
        }
        s + "</svg>\n"
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
