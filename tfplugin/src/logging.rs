//! Logging that Terraform understands.
//!
//! Terraform's plugin client reads the provider's stderr line by line and
//! parses each JSON line as an hclog entry (`@level`, `@message`,
//! `@timestamp`, `@module`, other keys as fields), then prints it in its own
//! log when `TF_LOG` / `TF_LOG_PROVIDER` allow. [`init_plugin`] installs a
//! `tracing` subscriber that writes exactly that, including the fields of
//! the enclosing spans (every RPC has one).

use std::io::Write;

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Record};
use tracing::{Event, Id, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// The level Terraform asks for: `TF_LOG_PROVIDER`, else `TF_LOG`; off when
/// neither is set. `JSON` means trace, as in Terraform.
pub fn level_from_env() -> LevelFilter {
    let raw = std::env::var("TF_LOG_PROVIDER")
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| std::env::var("TF_LOG").ok().filter(|v| !v.is_empty()));
    match raw.map(|v| v.to_ascii_uppercase()).as_deref() {
        None | Some("OFF") => LevelFilter::OFF,
        Some("ERROR") => LevelFilter::ERROR,
        Some("WARN") => LevelFilter::WARN,
        Some("INFO") => LevelFilter::INFO,
        Some("DEBUG") => LevelFilter::DEBUG,
        // TRACE, JSON and anything unrecognised: Terraform treats them as trace.
        Some(_) => LevelFilter::TRACE,
    }
}

/// Our level for our code; HTTP/2 and gRPC internals only from INFO up,
/// as their debug output drowns everything else.
fn targets(level: LevelFilter) -> Targets {
    let quiet = level.min(LevelFilter::INFO);
    Targets::new()
        .with_default(level)
        .with_target("h2", quiet)
        .with_target("hyper", quiet)
        .with_target("hyper_util", quiet)
        .with_target("tower", quiet)
        .with_target("tonic", quiet)
        .with_target("rustls", quiet)
}

/// Installs the hclog JSON subscriber on stderr, for a provider started by
/// Terraform. Does nothing if a subscriber is already installed.
pub fn init_plugin() {
    let level = level_from_env();
    let _ = tracing_subscriber::registry()
        .with(HclogLayer.with_filter(targets(level)))
        .try_init();
}

/// Installs a human-readable subscriber on stderr, for `--debug` runs and
/// tests; `default` applies when Terraform's variables ask for nothing.
pub fn init_human(default: LevelFilter) {
    let level = match level_from_env() {
        LevelFilter::OFF => default,
        level => level,
    };
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(targets(level)),
        )
        .try_init();
}

/// Writes events as hclog JSON lines.
struct HclogLayer;

/// The fields recorded on a span, kept in its extensions.
struct SpanFields(Map<String, Json>);

struct JsonVisitor<'a>(&'a mut Map<String, Json>);

impl Visit for JsonVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), Json::String(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().to_owned(), Json::String(value.to_owned()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), Json::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), Json::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), Json::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), Json::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().to_owned(), Json::String(value.to_string()));
    }
}

impl<S> Layer<S> for HclogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Map::new();
        attrs.record(&mut JsonVisitor(&mut fields));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<SpanFields>()
        {
            values.record(&mut JsonVisitor(&mut fields.0));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut entry = Map::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(fields) = span.extensions().get::<SpanFields>() {
                    entry.extend(fields.0.clone());
                }
            }
        }
        let mut fields = Map::new();
        event.record(&mut JsonVisitor(&mut fields));
        let message = fields
            .remove("message")
            .unwrap_or(Json::String(String::new()));
        entry.extend(fields);
        entry.insert(
            "@level".into(),
            Json::String(hclog_level(*event.metadata().level()).into()),
        );
        entry.insert("@message".into(), message);
        entry.insert("@module".into(), Json::String("provider".into()));
        entry.insert("@timestamp".into(), Json::String(timestamp()));
        entry.insert(
            "target".into(),
            Json::String(event.metadata().target().into()),
        );
        if let Ok(mut line) = serde_json::to_vec(&entry) {
            line.push(b'\n');
            // One write per line so that concurrent events do not interleave.
            let _ = std::io::stderr().lock().write_all(&line);
        }
    }
}

fn hclog_level(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// hclog's timestamp layout: `2006-01-02T15:04:05.000000Z07:00`.
fn timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    now.format(&format).unwrap_or_default()
}
