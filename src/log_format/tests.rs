use std::io;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tracing::subscriber::with_default;
use tracing_subscriber::fmt::MakeWriter;

use super::*;
use crate::http::context::{self, RequestContext};

/// Collects what a subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("capture lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    /// The captured lines with each timestamp value replaced by `T` (after checking its shape).
    fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().expect("capture lock").clone();
        String::from_utf8(bytes)
            .expect("utf-8 lines")
            .lines()
            .map(|line| {
                let rest = line
                    .strip_prefix("{\"timestamp\":\"")
                    .expect("line starts with the timestamp");
                let (stamp, rest) = rest.split_at(27);
                assert_timestamp_shape(stamp);
                format!("{{\"timestamp\":\"T{rest}")
            })
            .collect()
    }
}

fn assert_timestamp_shape(stamp: &str) {
    let shape: String = stamp
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    assert_eq!(shape, "9999-99-99T99:99:99.999999Z", "timestamp {stamp}");
}

/// Runs `f` under the new formatter and returns the lines it wrote.
fn new_lines(f: impl FnOnce()) -> Vec<String> {
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(out.clone())
        .fmt_fields(JsonSpanFields)
        .event_format(JsonLines)
        .finish();
    with_default(subscriber, f);
    out.lines()
}

/// Runs `f` under the formatter used before (tracing_subscriber's JSON).
fn old_lines(f: impl FnOnce()) -> Vec<String> {
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(out.clone())
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .finish();
    with_default(subscriber, f);
    out.lines()
}

fn escaped(s: &str) -> String {
    let mut out = String::new();
    write_str_value(&mut out, s).expect("write to a String");
    out
}

#[test]
fn strings_are_escaped_like_serde_json() {
    assert_eq!(
        escaped("a\"b\\c\nd\re\tf\u{1}g\u{1f}h\u{8}\u{c}é😀\u{7f}/"),
        r#""a\"b\\c\nd\re\tf\u0001g\u001fh\b\fé😀/""#.replace('/', "\u{7f}/")
    );
    assert_eq!(escaped(""), r#""""#);
    assert_eq!(escaped("plain"), r#""plain""#);
    // Every ASCII character, alone and between multi-byte ones.
    for b in 0u8..0x80 {
        let c = char::from(b);
        for s in [c.to_string(), format!("é{c}€{c}{c}x")] {
            let want = serde_json::to_string(&s).expect("serde_json string");
            assert_eq!(escaped(&s), want, "byte {b:#x}");
        }
    }
}

#[test]
fn the_access_line_has_all_fields_in_order() {
    let lines = new_lines(|| {
        let (route, user_id) = ("/api/auth/me", "70f87ce3-3a38-4dab-9fc7-5de308e4f9e3");
        tracing::info!(target: "access", request_id = "08b64dcd-1bbc-415e-a40c-0f77f889d7b9", method = "GET", route, status = 200u16, latency_ms = 4.93, user_id, ip = "127.0.0.1", "request");
    });
    assert_eq!(
        lines,
        [
            r#"{"timestamp":"T","level":"INFO","message":"request","request_id":"08b64dcd-1bbc-415e-a40c-0f77f889d7b9","method":"GET","route":"/api/auth/me","status":200,"latency_ms":4.93,"user_id":"70f87ce3-3a38-4dab-9fc7-5de308e4f9e3","ip":"127.0.0.1","target":"access"}"#
        ]
    );
}

fn numbers_and_values() {
    tracing::warn!(
        neg = -5i64,
        max = u64::MAX,
        min = i64::MIN,
        f = 4.93,
        whole = 1.0,
        big = 1e21,
        tiny = 1.5e-7,
        nan = f64::NAN,
        inf = f64::INFINITY,
        yes = true,
        no = false,
        wide = 170141183460469231731687303715884105727i128,
        list = ?vec!["a\"b", "c"],
        shown = %"dis\nplay",
        "numbers: {} {:?}", 1, "x\ty"
    );
}

#[test]
fn numbers_floats_bools_and_debug_values() {
    let want = [concat!(
        r#"{"timestamp":"T","level":"WARN","message":"numbers: 1 \"x\\ty\"","neg":-5,"#,
        r#""max":18446744073709551615,"min":-9223372036854775808,"f":4.93,"whole":1.0,"#,
        r#""big":1e+21,"tiny":1.5e-7,"nan":null,"inf":null,"yes":true,"no":false,"#,
        r#""wide":"170141183460469231731687303715884105727","list":"[\"a\\\"b\", \"c\"]","#,
        r#""shown":"dis\nplay","target":"amarktai::log_format::tests"}"#
    )];
    assert_eq!(new_lines(numbers_and_values), want);
    assert_eq!(old_lines(numbers_and_values), want);
}

fn inside_spans() {
    let request = tracing::info_span!(
        "request",
        request_id = "r-1",
        method = "GET",
        route = "/api/x\"y"
    );
    let _request = request.enter();
    tracing::error!(error = "boom", "handler failed");
    let inner = tracing::debug_span!(
        "inner",
        n = 3u64,
        r#type = "kind",
        ok = true,
        pending = tracing::field::Empty
    );
    let _inner = inner.enter();
    tracing::info!("nested");
    inner.record("pending", 2.5);
    inner.record("n", 4u64);
    tracing::info!(n = 1, n = 2, "after record, repeated name");
    let bare = tracing::info_span!("bare");
    let _bare = bare.enter();
    tracing::info!("in a span without fields");
}

#[test]
fn lines_inside_spans_list_them_from_the_root() {
    let want = [
        r#"{"timestamp":"T","level":"ERROR","message":"handler failed","error":"boom","target":"amarktai::log_format::tests","spans":[{"method":"GET","request_id":"r-1","route":"/api/x\"y","name":"request"}]}"#,
        r#"{"timestamp":"T","level":"INFO","message":"nested","target":"amarktai::log_format::tests","spans":[{"method":"GET","request_id":"r-1","route":"/api/x\"y","name":"request"},{"n":3,"ok":true,"type":"kind","name":"inner"}]}"#,
        r#"{"timestamp":"T","level":"INFO","message":"after record, repeated name","n":1,"n":2,"target":"amarktai::log_format::tests","spans":[{"method":"GET","request_id":"r-1","route":"/api/x\"y","name":"request"},{"n":4,"ok":true,"pending":2.5,"type":"kind","name":"inner"}]}"#,
        r#"{"timestamp":"T","level":"INFO","message":"in a span without fields","target":"amarktai::log_format::tests","spans":[{"method":"GET","request_id":"r-1","route":"/api/x\"y","name":"request"},{"n":4,"ok":true,"pending":2.5,"type":"kind","name":"inner"},{"name":"bare"}]}"#,
    ];
    assert_eq!(new_lines(inside_spans), want);
    assert_eq!(old_lines(inside_spans), want);
}

#[tokio::test]
async fn lines_inside_a_request_carry_its_context_like_the_old_span() {
    let old = old_lines(|| {
        let span = tracing::info_span!(
            "request",
            request_id = "req-7",
            method = "POST",
            route = "unmatched"
        );
        let _entered = span.enter();
        tracing::warn!(code = 42, "inside");
    });

    // The JSON mode: no `tracing` span, the context comes from the task-local.
    use_task_local_request_context();
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(out.clone())
        .fmt_fields(JsonSpanFields)
        .event_format(JsonLines)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    let ctx = Arc::new(RequestContext {
        request_id: "req-7".into(),
        ip: "127.0.0.1".into(),
        method: axum::http::Method::POST,
        matched: None,
        user_id: OnceLock::new(),
    });
    context::scope(ctx, async {
        tokio::task::yield_now().await;
        tracing::warn!(code = 42, "inside");
    })
    .await;
    tracing::warn!(code = 42, "outside");
    let new = out.lines();

    assert_eq!(
        old,
        [
            r#"{"timestamp":"T","level":"WARN","message":"inside","code":42,"target":"amarktai::log_format::tests","spans":[{"method":"POST","request_id":"req-7","route":"unmatched","name":"request"}]}"#
        ]
    );
    assert_eq!(new[0], old[0]);
    assert_eq!(
        new[1],
        r#"{"timestamp":"T","level":"WARN","message":"outside","code":42,"target":"amarktai::log_format::tests"}"#
    );
}

#[test]
fn timestamps_are_rfc3339_utc_with_microseconds() {
    let at = |secs: u64, micros: u32| {
        let mut out = String::new();
        let t = UNIX_EPOCH + Duration::new(secs, micros * 1000);
        write_timestamp(&mut out, t).expect("write to a String");
        out
    };
    assert_eq!(at(1_796_365_753, 46_239), "2026-12-04T06:29:13.046239Z");
    assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
    assert_eq!(at(951_782_400, 999_999), "2000-02-29T00:00:00.999999Z");
    assert_eq!(at(4_107_542_399, 1), "2100-02-28T23:59:59.000001Z");
    // Against chrono over ~300 years, in steps that hit every day-of-year class.
    let mut secs = 0u64;
    while secs < 10_000_000_000 {
        let t = UNIX_EPOCH + Duration::new(secs, 123_456_000);
        let want = chrono::DateTime::<chrono::Utc>::from(t)
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string();
        let mut got = String::new();
        write_timestamp(&mut got, t).expect("write to a String");
        assert_eq!(got, want);
        secs += 3_456_789;
    }
    // Before 1970: the epoch rather than a panic.
    let mut out = String::new();
    let before = UNIX_EPOCH - Duration::from_secs(5);
    write_timestamp(&mut out, before).expect("write to a String");
    assert_eq!(out, "1970-01-01T00:00:00.000000Z");
}

/// `line` with its timestamp value replaced by `T`, as `Captured::lines` does.
fn without_timestamp(line: &str) -> String {
    let rest = line
        .strip_prefix("{\"timestamp\":\"")
        .expect("line starts with the timestamp");
    let (stamp, rest) = rest.split_at(27);
    assert_timestamp_shape(stamp);
    format!("{{\"timestamp\":\"T{rest}")
}

#[test]
fn the_access_line_written_directly_is_the_line_tracing_printed() {
    let cases = [
        (200_u16, 0.12, "", "127.0.0.1"),
        (404, 1.0, "user-1", "::1"),
        (503, 1234.5, "odd \"id\"\\\n", "203.0.113.7"),
        (500, 0.0, "u", "unknown"),
    ];
    for (status, latency_ms, user_id, ip) in cases {
        let route = "/api/bots/{bot_id}";
        let request_id = "req-\u{e9}-1";
        let printed = old_lines(|| {
            if status >= 500 {
                tracing::warn!(target: "access", request_id, method = "PATCH", route, status, latency_ms, user_id, ip, "request");
            } else {
                tracing::info!(target: "access", request_id, method = "PATCH", route, status, latency_ms, user_id, ip, "request");
            }
        });
        let direct = AccessLine {
            level: if status >= 500 {
                tracing::Level::WARN
            } else {
                tracing::Level::INFO
            },
            request_id,
            method: "PATCH",
            route,
            status,
            latency_ms,
            user_id,
            ip,
        }
        .render(SystemTime::now());
        assert!(direct.ends_with('\n'));
        assert_eq!(
            printed,
            vec![without_timestamp(direct.trim_end_matches('\n'))]
        );
    }
}
