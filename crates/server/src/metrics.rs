//! Prometheus metrics, one recorder per app (not the process-global one), so that several servers
//! in one process — tests do this — each count only their own traffic.

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Label, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

const REQUESTS: &str = "adapterbot_http_requests_total";
const REQUEST_DURATION: &str = "adapterbot_http_request_duration_seconds";
const SKILL_CHOSEN: &str = "adapterbot_skill_chosen_total";
const QUEUE_DEPTH: &str = "adapterbot_queue_depth";
const ACTIVE: &str = "adapterbot_active_generations";
const TTFT: &str = "adapterbot_time_to_first_token_seconds";
const ITL: &str = "adapterbot_inter_token_latency_seconds";
const TOKENS: &str = "adapterbot_generated_tokens_total";
const PROMPT_TOKENS: &str = "adapterbot_prompt_tokens_total";
const REJECTED: &str = "adapterbot_rejected_requests_total";
const GENERATIONS: &str = "adapterbot_generations_total";
const BATCH_SIZE: &str = "adapterbot_batch_size";

const META: Metadata<'static> = Metadata::new(module_path!(), metrics::Level::INFO, None);

pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    pub queue_depth: Gauge,
    pub active_generations: Gauge,
    pub ttft: Histogram,
    pub inter_token: Histogram,
    /// Generations in each batched forward pass of the engine thread.
    pub batch_size: Histogram,
    pub generated_tokens: Counter,
    pub prompt_tokens: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let latency = [
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
        ];
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(TTFT.into()), &latency)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.into()), &latency)
            })
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full(ITL.into()),
                    &[0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0],
                )
            })
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full(BATCH_SIZE.into()),
                    &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0],
                )
            })
            .expect("bucket lists are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Every metric is described up front, so HELP/TYPE lines appear from the start.
        let described: [(&'static str, Option<Unit>, &'static str); 12] = [
            (
                REQUESTS,
                None,
                "HTTP requests answered, by route and status.",
            ),
            (
                REQUEST_DURATION,
                Some(Unit::Seconds),
                "Time to the response head, by route.",
            ),
            (
                SKILL_CHOSEN,
                None,
                "Turns answered by each skill, and how it was chosen.",
            ),
            (
                QUEUE_DEPTH,
                None,
                "Admitted requests waiting for a generation slot.",
            ),
            (ACTIVE, None, "Generations being decoded now."),
            (
                TTFT,
                Some(Unit::Seconds),
                "From request arrival to the first reply token.",
            ),
            (
                ITL,
                Some(Unit::Seconds),
                "Between consecutive reply tokens of one stream.",
            ),
            (TOKENS, None, "Reply tokens generated."),
            (PROMPT_TOKENS, None, "Prompt tokens processed."),
            (
                REJECTED,
                None,
                "Requests refused by admission control (429) or shutdown (503).",
            ),
            (GENERATIONS, None, "Generations ended, by outcome."),
            (
                BATCH_SIZE,
                None,
                "Generations advanced together by each batched decoding step.",
            ),
        ];
        for (name, unit, help) in described {
            let key = KeyName::from_const_str(name);
            let help = metrics::SharedString::const_str(help);
            match name {
                QUEUE_DEPTH | ACTIVE => recorder.describe_gauge(key, unit, help),
                TTFT | ITL | REQUEST_DURATION | BATCH_SIZE => {
                    recorder.describe_histogram(key, unit, help)
                }
                _ => recorder.describe_counter(key, unit, help),
            }
        }
        let gauge =
            |name: &'static str| recorder.register_gauge(&Key::from_static_name(name), &META);
        let counter =
            |name: &'static str| recorder.register_counter(&Key::from_static_name(name), &META);
        let histogram =
            |name: &'static str| recorder.register_histogram(&Key::from_static_name(name), &META);
        let m = Self {
            queue_depth: gauge(QUEUE_DEPTH),
            active_generations: gauge(ACTIVE),
            ttft: histogram(TTFT),
            inter_token: histogram(ITL),
            batch_size: histogram(BATCH_SIZE),
            generated_tokens: counter(TOKENS),
            prompt_tokens: counter(PROMPT_TOKENS),
            handle,
            recorder,
        };
        m.queue_depth.set(0.0);
        m.active_generations.set(0.0);
        m
    }

    fn counter(&self, name: &'static str, labels: Vec<Label>) -> Counter {
        self.recorder
            .register_counter(&Key::from_parts(name, labels), &META)
    }

    /// `route` is the matched route template (bounded), never the raw path.
    pub fn request(&self, route: &str, status: u16, seconds: f64) {
        self.counter(
            REQUESTS,
            vec![
                Label::new("route", route.to_string()),
                Label::new("status", status.to_string()),
            ],
        )
        .increment(1);
        self.recorder
            .register_histogram(
                &Key::from_parts(
                    REQUEST_DURATION,
                    vec![Label::new("route", route.to_string())],
                ),
                &META,
            )
            .record(seconds);
    }

    /// Skill ids come from the registry, so this label stays bounded.
    pub fn skill_chosen(&self, skill: &str, source: &str) {
        self.counter(
            SKILL_CHOSEN,
            vec![
                Label::new("skill", skill.to_string()),
                Label::new("source", source.to_string()),
            ],
        )
        .increment(1);
    }

    /// `reason`: `overloaded` or `shutting_down`.
    pub fn rejected(&self, reason: &'static str) {
        self.counter(REJECTED, vec![Label::new("reason", reason)])
            .increment(1);
    }

    /// `outcome`: `stop`, `length`, `cancelled`, `error` or `shutdown`.
    pub fn generation_ended(&self, outcome: &'static str) {
        self.counter(GENERATIONS, vec![Label::new("outcome", outcome)])
            .increment(1);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        self.handle.run_upkeep();
        self.handle.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_named_with_the_prefix_and_two_apps_do_not_share_counts() {
        let a = Metrics::new();
        let b = Metrics::new();
        a.request("/api/chat", 200, 0.01);
        a.skill_chosen("chitchat", "manual");
        a.ttft.record(0.2);
        a.generated_tokens.increment(5);
        let text = a.render();
        for name in [REQUESTS, SKILL_CHOSEN, QUEUE_DEPTH, ACTIVE, TOKENS] {
            assert!(text.contains(name), "{name} missing from\n{text}");
        }
        assert!(
            text.contains("adapterbot_time_to_first_token_seconds_bucket"),
            "{text}"
        );
        assert!(
            text.contains(r#"adapterbot_http_requests_total{route="/api/chat",status="200"} 1"#),
            "{text}"
        );
        assert!(!b.render().contains("/api/chat"));
    }
}
