//! Scenario 6: many WS or SSE clients of one user; time for one published event (a bot
//! created over REST) to reach all of them, and the server RSS each connection costs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::seed;
use crate::server::Server;
use crate::stats::percentile_of;

/// Which realtime transport a round uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Ws,
    Sse,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Ws => "WS",
            Transport::Sse => "SSE",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Transport::Ws => "/api/ws",
            Transport::Sse => "/api/realtime/events",
        }
    }
}

/// The figures of one fan-out round.
#[derive(Debug, Clone)]
pub struct FanoutResult {
    pub transport: Transport,
    pub clients: usize,
    pub connected: usize,
    pub connect_time: Duration,
    pub received: usize,
    pub publish_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub all_ms: Option<f64>,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
}

impl FanoutResult {
    pub fn rss_per_client_kib(&self) -> f64 {
        if self.connected == 0 {
            return 0.0;
        }
        self.rss_after_kib.saturating_sub(self.rss_before_kib) as f64 / self.connected as f64
    }
}

/// Connects once: `Ok(())` if the transport is served, `Err(reason)` to skip the scenario.
pub async fn probe(addr: SocketAddr, token: &str, transport: Transport) -> Result<(), String> {
    let (tx, _rx) = mpsc::unbounded_channel();
    match tokio::time::timeout(
        Duration::from_secs(5),
        connect_client(addr, token, transport, tx),
    )
    .await
    {
        Ok(Ok(handle)) => {
            handle.abort();
            Ok(())
        }
        Ok(Err(e)) => Err(format!("{} {}: {e}", transport.name(), transport.path())),
        Err(_) => Err(format!(
            "{} {}: no first frame within 5 s",
            transport.name(),
            transport.path()
        )),
    }
}

/// One round: `clients` connections for a fresh user, one `bot_created`, measured.
pub async fn round(
    server: &Server,
    transport: Transport,
    clients: usize,
    label: &str,
) -> Result<FanoutResult> {
    let addr = server.addr;
    let user = seed::user(addr, label).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_before_kib = server.rss_kib();
    let (arrival_tx, mut arrival_rx) = mpsc::unbounded_channel::<Instant>();
    let gate = Arc::new(Semaphore::new(256));
    let connect_started = Instant::now();
    let mut connecting = Vec::with_capacity(clients);
    for _ in 0..clients {
        let gate = gate.clone();
        let token = user.token.clone();
        let arrival_tx = arrival_tx.clone();
        connecting.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.map_err(|e| anyhow!("{e}"))?;
            tokio::time::timeout(
                Duration::from_secs(30),
                connect_client(addr, &token, transport, arrival_tx),
            )
            .await
            .map_err(|_| anyhow!("connect timed out"))?
        }));
    }
    drop(arrival_tx);
    let mut readers: Vec<JoinHandle<()>> = Vec::with_capacity(clients);
    let mut first_error = None;
    for task in connecting {
        match task.await {
            Ok(Ok(reader)) => readers.push(reader),
            Ok(Err(e)) => {
                first_error.get_or_insert_with(|| e.to_string());
            }
            Err(e) => {
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    let connect_time = connect_started.elapsed();
    let connected = readers.len();
    if let Some(e) = &first_error {
        eprintln!(
            "  {} {clients}: {} of {clients} failed to connect (first: {e})",
            transport.name(),
            clients - connected
        );
    }
    // Let the server settle (buffers allocated, handshakes finished) before reading RSS.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after_kib = server.rss_kib();

    let published = Instant::now();
    let bot_id = seed::one_bot(addr, &user.token, &format!("{label}-event")).await?;
    let publish_ms = published.elapsed().as_secs_f64() * 1000.0;
    let mut delays = Vec::with_capacity(connected);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while delays.len() < connected {
        match tokio::time::timeout_at(deadline, arrival_rx.recv()).await {
            Ok(Some(at)) => delays.push(at.saturating_duration_since(published)),
            _ => break,
        }
    }
    for reader in &readers {
        reader.abort();
    }
    let _ = bot_id;
    let received = delays.len();
    let all_ms = (received == connected && connected > 0).then(|| percentile_of(&mut delays, 1.0));
    Ok(FanoutResult {
        transport,
        clients,
        connected,
        connect_time,
        received,
        publish_ms,
        p50_ms: percentile_of(&mut delays, 0.50),
        p99_ms: percentile_of(&mut delays, 0.99),
        all_ms,
        rss_before_kib,
        rss_after_kib,
    })
}

/// Connects, waits for the stream to be open (WS: first frame; SSE: 200 headers), then leaves
/// a task that reports the arrival time of the first `bot_created` event.
async fn connect_client(
    addr: SocketAddr,
    token: &str,
    transport: Transport,
    arrivals: mpsc::UnboundedSender<Instant>,
) -> Result<JoinHandle<()>> {
    match transport {
        Transport::Ws => connect_ws(addr, token, arrivals).await,
        Transport::Sse => connect_sse(addr, token, arrivals).await,
    }
}

async fn connect_ws(
    addr: SocketAddr,
    token: &str,
    arrivals: mpsc::UnboundedSender<Instant>,
) -> Result<JoinHandle<()>> {
    let url = format!("ws://{addr}/api/ws?token={token}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|e| match e {
            tungstenite::Error::Http(resp) => anyhow!("upgrade refused with {}", resp.status()),
            other => anyhow!("{other}"),
        })?;
    match ws.next().await {
        Some(Ok(Message::Text(first))) if first.contains("connection") => {}
        Some(Ok(Message::Close(frame))) => bail!("closed at once: {frame:?}"),
        other => bail!("unexpected first frame: {other:?}"),
    }
    Ok(tokio::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            if let Message::Text(text) = msg {
                if text.contains("bot_created") {
                    let _ = arrivals.send(Instant::now());
                    break;
                }
            }
        }
        // Stay connected until the round aborts this task, so every client counts for RSS.
        std::future::pending::<()>().await;
        drop(ws);
    }))
}

async fn connect_sse(
    addr: SocketAddr,
    token: &str,
    arrivals: mpsc::UnboundedSender<Instant>,
) -> Result<JoinHandle<()>> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let request = format!(
        "GET /api/realtime/events?token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Accept: text/event-stream\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    let body_start = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("connection closed before the response head");
        }
        head.extend_from_slice(&chunk[..n]);
        if let Some(end) = find(&head, b"\r\n\r\n") {
            break end + 4;
        }
        if head.len() > 16 * 1024 {
            bail!("response head too large");
        }
    };
    let status_line = String::from_utf8_lossy(&head[..find(&head, b"\r\n").unwrap_or(0)]);
    if !status_line.contains(" 200") {
        bail!("answered {status_line}");
    }
    let mut window = head[body_start..].to_vec();
    Ok(tokio::spawn(async move {
        // Events arrive as chunks; a short rolling window catches a name split across reads.
        loop {
            if find(&window, b"bot_created").is_some() {
                let _ = arrivals.send(Instant::now());
                break;
            }
            let keep = window.len().saturating_sub(32);
            window.drain(..keep);
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => window.extend_from_slice(&chunk[..n]),
            }
        }
        std::future::pending::<()>().await;
        drop(stream);
    }))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
