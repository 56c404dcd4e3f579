//! Real realtime clients for the tests: a tokio-tungstenite WebSocket and a streaming SSE reader.
#![allow(dead_code)]

use std::pin::Pin;
use std::time::Duration;

use axum::body::Bytes;
use futures_util::{SinkExt, Stream, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::common::TestApp;

/// Nothing in these tests should take this long; a hang fails instead of blocking CI.
pub const WAIT: Duration = Duration::from_secs(5);

/// Registers `email`; returns (user id, access token).
pub async fn user(app: &TestApp, email: &str) -> (String, String) {
    let body = app.register(email).await;
    let id = body["user"]["id"].as_str().expect("id").to_string();
    let token = body["access_token"].as_str().expect("token").to_string();
    (id, token)
}

pub struct Ws(WebSocketStream<MaybeTlsStream<TcpStream>>);

impl Ws {
    /// Connects to `/api/ws?<query>`.
    pub async fn connect(app: &TestApp, query: &str) -> Ws {
        let url = format!("{}/api/ws?{query}", app.base.replacen("http", "ws", 1));
        Self::connect_request(url.into_client_request().expect("request")).await
    }

    /// Connects with `Authorization: Bearer <token>` (no query token).
    pub async fn connect_bearer(app: &TestApp, token: &str) -> Ws {
        let url = format!("{}/api/ws", app.base.replacen("http", "ws", 1));
        let mut request = url.into_client_request().expect("request");
        let value = format!("Bearer {token}").parse().expect("header");
        request.headers_mut().insert("authorization", value);
        Self::connect_request(request).await
    }

    async fn connect_request(
        request: tokio_tungstenite::tungstenite::handshake::client::Request,
    ) -> Ws {
        let (stream, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
            .await
            .expect("connect in time")
            .expect("upgrade");
        Ws(stream)
    }

    /// Connects with a fixed, small socket receive buffer (no kernel autotuning), so a client
    /// that stops reading pushes back on the server after a few hundred kilobytes.
    pub async fn connect_small_buffer(app: &TestApp, query: &str) -> Ws {
        let addr: std::net::SocketAddr = app
            .base
            .trim_start_matches("http://")
            .parse()
            .expect("addr");
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(16 * 1024).expect("rcvbuf");
        let tcp = socket.connect(addr).await.expect("tcp connect");
        let url = format!("ws://{addr}/api/ws?{query}");
        let (stream, _) = tokio::time::timeout(
            WAIT,
            tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(tcp)),
        )
        .await
        .expect("connect in time")
        .expect("upgrade");
        Ws(stream)
    }

    /// The next frame of any kind (None when the stream ended).
    pub async fn frame(&mut self) -> Option<Message> {
        let next = tokio::time::timeout(WAIT, self.0.next())
            .await
            .expect("a frame in time");
        next.and_then(Result::ok)
    }

    /// The next JSON text frame, skipping server heartbeats (`{type:"ping"}`).
    pub async fn json(&mut self) -> Value {
        loop {
            match self.frame().await {
                Some(Message::Text(text)) => {
                    let value: Value = serde_json::from_str(&text).expect("json frame");
                    if value["type"] != "ping" {
                        return value;
                    }
                }
                Some(Message::Ping(_) | Message::Pong(_)) => continue,
                other => panic!("expected a JSON frame, got {other:?}"),
            }
        }
    }

    /// Skips the `connection` frame, asserting it is first; returns its `last_event_id`.
    pub async fn connected(&mut self) -> u64 {
        let hello = self.json().await;
        assert_eq!(hello["type"], "connection", "{hello}");
        assert_eq!(hello["status"], "Connected");
        hello["last_event_id"].as_u64().expect("last_event_id")
    }

    pub async fn send_json(&mut self, value: Value) {
        let text = value.to_string();
        self.0.send(Message::Text(text.into())).await.expect("send");
    }

    /// Waits for the server's close frame (skipping anything else); returns (code, reason).
    pub async fn closed(&mut self) -> (u16, String) {
        loop {
            match self.frame().await {
                Some(Message::Close(Some(frame))) => {
                    return (u16::from(frame.code), frame.reason.to_string())
                }
                Some(Message::Close(None)) | None => panic!("closed without a close frame"),
                Some(_) => continue,
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.0.close(None).await;
    }
}

/// One parsed SSE frame.
#[derive(Debug)]
pub struct SseFrame {
    pub event: String,
    pub id: Option<String>,
    pub data: Value,
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

pub struct Sse {
    pub headers: reqwest::header::HeaderMap,
    stream: ByteStream,
    buffer: String,
}

impl Sse {
    /// Opens `/api/realtime/events` with a bearer token and optional `Last-Event-ID`.
    pub async fn open(app: &TestApp, token: &str, last_event_id: Option<&str>) -> Sse {
        let mut request = app
            .client
            .get(app.url("/api/realtime/events"))
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        Self::from_response(request.send().await.expect("request"))
    }

    pub fn from_response(response: reqwest::Response) -> Sse {
        assert_eq!(response.status(), 200);
        Sse {
            headers: response.headers().clone(),
            stream: Box::pin(response.bytes_stream()),
            buffer: String::new(),
        }
    }

    /// The next frame, or None when the server ended the stream.
    pub async fn frame(&mut self) -> Option<SseFrame> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let raw: String = self.buffer.drain(..end + 2).collect();
                if let Some(frame) = parse(&raw) {
                    return Some(frame);
                }
                continue;
            }
            let chunk = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("data in time");
            match chunk {
                Some(Ok(bytes)) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// The next frame that is neither a heartbeat nor an `overview_update`.
    pub async fn event(&mut self) -> SseFrame {
        loop {
            let frame = self.frame().await.expect("stream still open");
            if frame.event != "heartbeat" && frame.event != "overview_update" {
                return frame;
            }
        }
    }

    /// The next frame named `name`, skipping any other.
    pub async fn next_named(&mut self, name: &str) -> SseFrame {
        loop {
            let frame = self.frame().await.expect("stream still open");
            if frame.event == name {
                return frame;
            }
        }
    }
}

fn parse(raw: &str) -> Option<SseFrame> {
    let (mut event, mut id, mut data) = (String::from("message"), None, String::new());
    for line in raw.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            event = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("id:") {
            id = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim());
        }
    }
    // Comment-only frames (keep-alives) carry no data.
    (!data.is_empty()).then(|| SseFrame {
        event,
        id,
        data: serde_json::from_str(&data).expect("json data"),
    })
}

/// An SSE client over a raw socket with a small, fixed receive buffer: it can stop reading
/// (simply by not calling `frame`) so the server's writes to it back up.
pub struct SlowSse {
    tcp: TcpStream,
    /// Bytes read but not yet de-chunked.
    raw: Vec<u8>,
    /// The de-chunked response body not yet parsed into frames.
    body: Vec<u8>,
    headers_done: bool,
    ended: bool,
}

impl SlowSse {
    /// Sends `GET /api/realtime/events` with a bearer token; reads nothing yet.
    pub async fn open(app: &TestApp, token: &str) -> SlowSse {
        use tokio::io::AsyncWriteExt;
        let addr: std::net::SocketAddr = app
            .base
            .trim_start_matches("http://")
            .parse()
            .expect("addr");
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(16 * 1024).expect("rcvbuf");
        let mut tcp = socket.connect(addr).await.expect("tcp connect");
        let request = format!(
            "GET /api/realtime/events HTTP/1.1\r\nHost: {addr}\r\n\
             Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
        );
        tcp.write_all(request.as_bytes())
            .await
            .expect("send request");
        SlowSse {
            tcp,
            raw: Vec::new(),
            body: Vec::new(),
            headers_done: false,
            ended: false,
        }
    }

    /// The next frame (reading from the socket as needed), or None when the stream ended.
    pub async fn frame(&mut self) -> Option<SseFrame> {
        loop {
            if let Some(end) = find(&self.body, b"\n\n") {
                let raw: Vec<u8> = self.body.drain(..end + 2).collect();
                if let Some(frame) = parse(&String::from_utf8_lossy(&raw)) {
                    return Some(frame);
                }
                continue;
            }
            if self.ended {
                return None;
            }
            self.fill().await;
        }
    }

    /// The next frame that is neither a heartbeat nor an `overview_update`.
    pub async fn event(&mut self) -> SseFrame {
        loop {
            let frame = self.frame().await.expect("stream still open");
            if frame.event != "heartbeat" && frame.event != "overview_update" {
                return frame;
            }
        }
    }

    async fn fill(&mut self) {
        use tokio::io::AsyncReadExt;
        let mut chunk = vec![0u8; 64 * 1024];
        let read = tokio::time::timeout(WAIT, self.tcp.read(&mut chunk))
            .await
            .expect("data in time")
            .expect("read");
        if read == 0 {
            self.ended = true;
            return;
        }
        self.raw.extend_from_slice(&chunk[..read]);
        self.dechunk();
    }

    /// Moves complete chunks of the chunked response body from `raw` to `body`.
    fn dechunk(&mut self) {
        if !self.headers_done {
            let Some(end) = find(&self.raw, b"\r\n\r\n") else {
                return;
            };
            let head = String::from_utf8_lossy(&self.raw[..end]).to_string();
            assert!(head.starts_with("HTTP/1.1 200"), "{head}");
            assert!(
                head.to_ascii_lowercase()
                    .contains("transfer-encoding: chunked"),
                "{head}"
            );
            self.raw.drain(..end + 4);
            self.headers_done = true;
        }
        while let Some(line_end) = find(&self.raw, b"\r\n") {
            let line = String::from_utf8_lossy(&self.raw[..line_end]).to_string();
            let size_text = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_text, 16).expect("chunk size");
            if size == 0 {
                self.ended = true;
                return;
            }
            let start = line_end + 2;
            if self.raw.len() < start + size + 2 {
                return;
            }
            self.body.extend_from_slice(&self.raw[start..start + size]);
            self.raw.drain(..start + size + 2);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
