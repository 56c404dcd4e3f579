//! A minimal SMTP client (RFC 5321) for admin broadcasts: one connection, EHLO, optional
//! AUTH PLAIN, then one transaction per recipient (a refused address fails alone and the
//! session is RSET). Every reply is awaited with a timeout; nothing secret is logged.

use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::config::{plausible_address, SmtpConfig};

const TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail server unreachable: {0}")]
    Connect(String),
    #[error("mail server refused: {0}")]
    Refused(String),
    #[error("mail server timed out")]
    Timeout,
}

/// One message to many recipients, each sent separately.
pub struct Message<'a> {
    pub subject: &'a str,
    pub body: &'a str,
}

/// How a broadcast went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delivery {
    pub sent: u64,
    pub failed: u64,
}

struct Session {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Session {
    /// Reads one (possibly multi-line) reply: its code and last line.
    async fn reply(&mut self) -> Result<(u16, String), MailError> {
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(TIMEOUT, self.reader.read_line(&mut line))
                .await
                .map_err(|_| MailError::Timeout)?
                .map_err(|e| MailError::Connect(e.to_string()))?;
            if n == 0 {
                return Err(MailError::Connect("connection closed".into()));
            }
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
            let Some(code) = code else {
                return Err(MailError::Refused("malformed reply".into()));
            };
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok((code, line.trim_end().chars().take(200).collect()));
            }
        }
    }

    async fn send(&mut self, line: &str) -> Result<(), MailError> {
        tokio::time::timeout(TIMEOUT, self.writer.write_all(line.as_bytes()))
            .await
            .map_err(|_| MailError::Timeout)?
            .map_err(|e| MailError::Connect(e.to_string()))
    }

    /// Sends `line` and expects a reply in `ok` (its class, e.g. 2 for 2xx).
    async fn command(&mut self, line: &str, ok: u16) -> Result<(u16, String), MailError> {
        self.send(line).await?;
        let (code, text) = self.reply().await?;
        if code / 100 == ok {
            Ok((code, text))
        } else {
            Err(MailError::Refused(text))
        }
    }
}

/// Folds a header value to one line (no header injection) and encodes non-ASCII (RFC 2047).
pub fn header_value(raw: &str) -> String {
    let one_line: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.is_ascii() {
        one_line
    } else {
        let b64 = base64::engine::general_purpose::STANDARD.encode(one_line.as_bytes());
        format!("=?UTF-8?B?{b64}?=")
    }
}

/// The DATA section: headers, then the body with CRLF line ends and dot-stuffing, then `.`.
pub fn data_section(from: &str, to: &str, message: &Message<'_>, date: &str, id: &str) -> String {
    let mut out = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {}\r\nDate: {date}\r\nMessage-ID: <{id}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n",
        header_value(message.subject)
    );
    for line in message.body.replace("\r\n", "\n").split('\n') {
        if line.starts_with('.') {
            out.push('.');
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(".\r\n");
    out
}

/// Sends `message` to each recipient; a connection or login failure fails the whole call.
pub async fn send_each(
    cfg: &SmtpConfig,
    recipients: &[String],
    message: &Message<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Delivery, MailError> {
    let stream = tokio::time::timeout(TIMEOUT, TcpStream::connect((cfg.host.as_str(), cfg.port)))
        .await
        .map_err(|_| MailError::Timeout)?
        .map_err(|e| MailError::Connect(e.to_string()))?;
    let (read, writer) = stream.into_split();
    let mut s = Session {
        reader: BufReader::new(read),
        writer,
    };
    let (code, text) = s.reply().await?;
    if code != 220 {
        return Err(MailError::Refused(text));
    }
    s.command("EHLO amarktai\r\n", 2).await?;
    if let (Some(user), Some(pass)) = (&cfg.username, &cfg.password) {
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("\0{user}\0{}", pass.expose()));
        s.command(&format!("AUTH PLAIN {token}\r\n"), 2).await?;
    }
    let date = now.to_rfc2822();
    let domain = cfg.from.rsplit('@').next().unwrap_or("localhost");
    let mut delivery = Delivery::default();
    for to in recipients {
        if !plausible_address(to) {
            delivery.failed += 1;
            continue;
        }
        let id = format!("{}@{domain}", uuid::Uuid::new_v4());
        let attempt = async {
            s.command(&format!("MAIL FROM:<{}>\r\n", cfg.from), 2)
                .await?;
            s.command(&format!("RCPT TO:<{to}>\r\n"), 2).await?;
            s.command("DATA\r\n", 3).await?;
            s.command(&data_section(&cfg.from, to, message, &date, &id), 2)
                .await
        };
        match attempt.await {
            Ok(_) => delivery.sent += 1,
            Err(MailError::Refused(_)) => {
                delivery.failed += 1;
                s.command("RSET\r\n", 2).await?;
            }
            Err(e) => return Err(e),
        }
    }
    let _ = s.command("QUIT\r\n", 2).await;
    Ok(delivery)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_stay_on_one_line_and_bodies_are_dot_stuffed() {
        assert_eq!(header_value("Hi\r\nBcc: x@y.z"), "Hi  Bcc: x@y.z");
        assert_eq!(header_value("Grüße"), "=?UTF-8?B?R3LDvMOfZQ==?=");
        let m = Message {
            subject: "S",
            body: "one\n.two\r\nthree",
        };
        let d = data_section("a@b.co", "c@d.co", &m, "DATE", "id@b.co");
        assert!(d.ends_with("\r\n\r\none\r\n..two\r\nthree\r\n.\r\n"), "{d}");
        assert!(d.contains("Subject: S\r\n") && d.contains("Message-ID: <id@b.co>\r\n"));
    }
}
