//! A tiny SMTP server for tests: accepts every session on a loopback port, records each
//! accepted message (envelope and data) and any AUTH line, and refuses recipients whose
//! address contains "reject" (550).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone, Default)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

#[derive(Clone, Default)]
pub struct Sink {
    pub mails: Arc<Mutex<Vec<Mail>>>,
    pub auth: Arc<Mutex<Vec<String>>>,
}

impl Sink {
    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

/// Starts the sink; returns its port and what it records.
pub async fn start() -> (u16, Sink) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
    let port = listener.local_addr().expect("addr").port();
    let sink = Sink::default();
    let shared = sink.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let sink = shared.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink ready\r\n").await;
                let mut current = Mail::default();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") {
                        b"250-sink\r\n250 AUTH PLAIN\r\n"
                    } else if upper.starts_with("AUTH PLAIN ") {
                        sink.auth.lock().unwrap().push(line[11..].to_string());
                        b"235 ok\r\n"
                    } else if upper.starts_with("MAIL FROM:") {
                        current = Mail {
                            from: line[10..].trim_matches(['<', '>']).to_string(),
                            ..Mail::default()
                        };
                        b"250 ok\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        let to = line[8..].trim_matches(['<', '>']).to_string();
                        if to.contains("reject") {
                            b"550 no such user\r\n"
                        } else {
                            current.to.push(to);
                            b"250 ok\r\n"
                        }
                    } else if upper == "DATA" {
                        let _ = write.write_all(b"354 go ahead\r\n").await;
                        let mut data = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push_str(&l);
                            data.push('\n');
                        }
                        current.data = data;
                        sink.mails.lock().unwrap().push(current.clone());
                        b"250 queued\r\n"
                    } else if upper == "RSET" {
                        current = Mail::default();
                        b"250 ok\r\n"
                    } else if upper == "QUIT" {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"502 unknown\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, sink)
}
