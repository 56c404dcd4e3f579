//! Closed-loop load: N keep-alive connections, each sending its next request as soon as the
//! previous answer is read (like `wrk`), for a fixed time.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;

use crate::http;
use crate::stats::{Samples, Summary};

/// What every request of a run looks like.
#[derive(Clone)]
pub struct Shape {
    pub method: &'static str,
    pub path: String,
    pub token: Option<String>,
    pub body: Option<Bytes>,
}

impl Shape {
    pub fn get(path: &str, token: Option<&str>) -> Shape {
        Shape {
            method: "GET",
            path: path.to_string(),
            token: token.map(str::to_string),
            body: None,
        }
    }

    pub fn post_json(path: &str, body: &serde_json::Value) -> Shape {
        Shape {
            method: "POST",
            path: path.to_string(),
            token: None,
            body: Some(Bytes::from(body.to_string())),
        }
    }
}

/// Runs `connections` loops of `shape` for `warmup` (discarded) then `duration` (measured).
pub async fn run(
    addr: SocketAddr,
    shape: Shape,
    connections: usize,
    warmup: Duration,
    duration: Duration,
) -> Summary {
    let shape = Arc::new(shape);
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let shape = shape.clone();
        tasks.push(tokio::spawn(connection_loop(
            addr,
            shape,
            measure_from,
            end,
        )));
    }
    let mut all = Samples::default();
    for task in tasks {
        if let Ok(samples) = task.await {
            all.merge(samples);
        }
    }
    // Only requests sent inside the window count, so the window is the denominator.
    all.summarize(duration)
}

async fn connection_loop(
    addr: SocketAddr,
    shape: Arc<Shape>,
    measure_from: Instant,
    end: Instant,
) -> Samples {
    let mut samples = Samples::default();
    let mut sender = None;
    while Instant::now() < end {
        let conn = match sender.as_mut() {
            Some(conn) => conn,
            None => match http::connect(addr).await {
                Ok(conn) => sender.insert(conn),
                Err(_) => {
                    record_failure(&mut samples, measure_from, 0);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let Ok(req) = http::build(
            shape.method,
            &shape.path,
            shape.token.as_deref(),
            shape.body.clone(),
        ) else {
            record_failure(&mut samples, measure_from, 0);
            continue;
        };
        let sent = Instant::now();
        let outcome = async {
            conn.ready().await?;
            let resp = conn.send_request(req).await?;
            let status = resp.status().as_u16();
            resp.into_body().collect().await?;
            Ok::<u16, hyper::Error>(status)
        }
        .await;
        let latency = sent.elapsed();
        match outcome {
            Ok(status) if (200..300).contains(&status) => {
                if sent >= measure_from {
                    samples
                        .ok_micros
                        .push(latency.as_micros().min(u32::MAX as u128) as u32);
                }
            }
            Ok(status) => record_failure(&mut samples, measure_from, status),
            Err(_) => {
                record_failure(&mut samples, measure_from, 0);
                sender = None;
            }
        }
    }
    samples
}

fn record_failure(samples: &mut Samples, measure_from: Instant, status: u16) {
    if Instant::now() >= measure_from {
        *samples.failures.entry(status).or_default() += 1;
    }
}
