//! The log sink: formatted lines go through a bounded queue to one writer thread, so a request
//! never waits on log I/O (issue 20). A full queue drops the line and counts it
//! (`log_lines_dropped_total` in `/metrics`) rather than block.

use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tracing_subscriber::fmt::writer::EitherWriter;
use tracing_subscriber::fmt::MakeWriter;

/// Lines the queue holds before it drops. At ~300 bytes a line that is ~20 MiB at worst, and
/// about two seconds of the fastest route at full load: the writer thread only stalls that long
/// when the disk does.
pub const QUEUE_LINES: usize = 65_536;

/// How much the writer thread gathers before one `write(2)`.
const WRITE_BUFFER: usize = 64 * 1024;

/// The writer's pause between batches: lines reach the output at most this much later, and
/// at 40k lines a second the queue holds ~80 of them meanwhile.
const NAP: Duration = Duration::from_millis(2);

enum Message {
    Line(Vec<u8>),
    /// Write out everything queued before it, then answer.
    Flush(SyncSender<()>),
}

/// The sending side, handed to `tracing_subscriber` as its writer (cheap to clone).
#[derive(Clone)]
pub struct QueueWriter {
    tx: SyncSender<Message>,
    dropped: Arc<AtomicU64>,
}

impl QueueWriter {
    /// Starts the writer thread over `out` with room for `capacity` lines.
    pub fn spawn<W: Write + Send + 'static>(out: W, capacity: usize) -> io::Result<QueueWriter> {
        QueueWriter::spawn_with(out, capacity, Writeback::off())
    }

    fn spawn_with<W: Write + Send + 'static>(
        out: W,
        capacity: usize,
        writeback: Writeback,
    ) -> io::Result<QueueWriter> {
        let (tx, rx) = sync_channel(capacity);
        std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || write_loop(rx, out, writeback))?;
        Ok(QueueWriter {
            tx,
            dropped: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Lines dropped so far because the queue was full (or the writer thread was gone).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Waits (at most `timeout`) until every line queued so far is written out; for exit.
    pub fn flush(&self, timeout: Duration) {
        let (ack, done) = sync_channel(1);
        if self.tx.send(Message::Flush(ack)).is_ok() {
            let _ = done.recv_timeout(timeout);
        }
    }

    /// Queues one whole line (dropped and counted when the queue is full).
    pub fn send(&self, line: Vec<u8>) {
        match self.tx.try_send(Message::Line(line)) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Writes lines as they come; whatever queued up meanwhile goes out in the same `write(2)`,
/// so under load the thread makes one system call per batch instead of one per line. After a
/// batch it naps for `NAP`: a sender only wakes the thread (a futex call) when it is parked
/// on an empty queue, so under load requests stop paying for a wake-up per line.
fn write_loop<W: Write>(rx: Receiver<Message>, out: W, mut writeback: Writeback) {
    let mut out = BufWriter::with_capacity(WRITE_BUFFER, out);
    while let Ok(first) = rx.recv() {
        let mut acks = Vec::new();
        let mut next = Some(first);
        let mut written = 0;
        while let Some(message) = next {
            match message {
                // A failed write has nowhere to be reported: logging must not take the server down.
                Message::Line(line) => {
                    written += line.len();
                    let _ = out.write_all(&line);
                }
                Message::Flush(ack) => acks.push(ack),
            }
            next = rx.try_recv().ok();
        }
        let _ = out.flush();
        writeback.wrote(written);
        let flushed = !acks.is_empty();
        for ack in acks {
            let _ = ack.send(());
        }
        if !flushed {
            std::thread::sleep(NAP);
        }
    }
    let _ = out.flush();
}

/// Starts the kernel's write-back of the log file every `WRITEBACK_EVERY` bytes, from the
/// writer thread. Left to itself the kernel wrote the access log's dirty pages out in bursts
/// about every 30 seconds (`vm.dirty_expire_centisecs`), and each burst stalled requests for
/// tens of milliseconds on this 2-core machine (issue 20: `/api/auth/me` p99 of 17-25 ms in
/// exactly the runs that crossed such a moment, 5 ms otherwise; bench/README.md). Only for a
/// regular file on Linux (`sync_file_range(2)`, which starts the writes without waiting for
/// them); a pipe or terminal is left alone.
struct Writeback {
    fd: Option<std::os::fd::RawFd>,
    pending: usize,
}

/// Bytes of log between two write-back starts (about a fifth of a second at full load).
const WRITEBACK_EVERY: usize = 1 << 20;

impl Writeback {
    fn off() -> Writeback {
        Writeback {
            fd: None,
            pending: 0,
        }
    }

    /// Write-back for `fd` when it is a regular file, else off.
    fn for_fd(fd: std::os::fd::RawFd) -> Writeback {
        Writeback {
            fd: is_regular_file(fd).then_some(fd),
            pending: 0,
        }
    }

    fn wrote(&mut self, bytes: usize) {
        let Some(fd) = self.fd else { return };
        self.pending += bytes;
        if self.pending >= WRITEBACK_EVERY {
            self.pending = 0;
            start_writeback(fd);
        }
    }
}

#[cfg(target_os = "linux")]
fn start_writeback(fd: std::os::fd::RawFd) {
    // SAFETY: a plain system call on a descriptor the process keeps open; a failure only
    // means the kernel writes the pages later on its own, so the result is ignored.
    unsafe {
        libc::sync_file_range(fd, 0, 0, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_fd: std::os::fd::RawFd) {}

fn is_regular_file(fd: std::os::fd::RawFd) -> bool {
    // SAFETY: `fstat` fills the zeroed struct it is given; nothing is read unless it succeeds.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    (unsafe { libc::fstat(fd, &mut stat) }) == 0 && (stat.st_mode & libc::S_IFMT) == libc::S_IFREG
}

/// One event's bytes: `tracing_subscriber` formats a whole line and writes it at once; it is
/// queued as one message when the writer is dropped.
pub struct LineWriter<'a> {
    queue: &'a QueueWriter,
    line: Vec<u8>,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.line.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter<'_> {
    fn drop(&mut self) {
        if !self.line.is_empty() {
            self.queue.send(std::mem::take(&mut self.line));
        }
    }
}

impl<'a> MakeWriter<'a> for QueueWriter {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            queue: self,
            line: Vec::new(),
        }
    }
}

/// Where the process logs: through the queue, or straight to stdout (one-shot commands, or
/// when the writer thread could not start).
pub enum LogSink {
    Queue(QueueWriter),
    Stdout,
}

impl<'a> MakeWriter<'a> for LogSink {
    type Writer = EitherWriter<LineWriter<'a>, io::Stdout>;

    fn make_writer(&'a self) -> Self::Writer {
        match self {
            LogSink::Queue(queue) => EitherWriter::A(queue.make_writer()),
            LogSink::Stdout => EitherWriter::B(io::stdout()),
        }
    }
}

static INSTALLED: OnceLock<QueueWriter> = OnceLock::new();

/// The process's log queue over stdout, started on first use (by `cli::init_tracing`).
pub fn stdout_queue() -> io::Result<QueueWriter> {
    if let Some(queue) = INSTALLED.get() {
        return Ok(queue.clone());
    }
    let writeback = Writeback::for_fd(std::os::fd::AsRawFd::as_raw_fd(&io::stdout()));
    let queue = QueueWriter::spawn_with(io::stdout(), QUEUE_LINES, writeback)?;
    Ok(INSTALLED.get_or_init(|| queue).clone())
}

/// Set when the JSON formatter writes to the process's queue: the access log then formats its
/// line itself (`log_format::AccessLine`) and queues it here, skipping `tracing`'s dispatch.
static DIRECT_ACCESS: OnceLock<QueueWriter> = OnceLock::new();

/// Lets the access log write its lines straight to `queue` (see `DIRECT_ACCESS`); called by
/// `cli::init_tracing` once the JSON subscriber over that queue is the global one.
pub fn write_access_lines_directly(queue: QueueWriter) {
    let _ = DIRECT_ACCESS.set(queue);
}

/// The queue the access log writes to directly, if `write_access_lines_directly` was called.
pub fn direct_access_queue() -> Option<&'static QueueWriter> {
    DIRECT_ACCESS.get()
}

/// Lines the process's log queue dropped so far (0 when logging does not go through it).
pub fn dropped_lines() -> u64 {
    INSTALLED.get().map_or(0, QueueWriter::dropped)
}

/// Writes out what the process's log queue still holds (before exit; bounded by `timeout`).
pub fn flush(timeout: Duration) {
    if let Some(queue) = INSTALLED.get() {
        queue.flush(timeout);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Mutex, MutexGuard};

    /// A sink the test can hold shut (its lock) to simulate a stalled disk.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Sink {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.lock()).into_owned()
        }
        fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
            self.0.lock().unwrap_or_else(|e| e.into_inner())
        }
    }

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.lock().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn line(queue: &QueueWriter, text: &str) {
        let mut writer = queue.make_writer();
        writer.write_all(text.as_bytes()).expect("in memory");
    }

    #[test]
    fn write_back_is_started_only_for_regular_files() {
        use std::os::fd::AsRawFd;
        let dir = tempfile::tempdir().expect("temp dir");
        let file = std::fs::File::create(dir.path().join("log")).expect("file");
        let mut on = Writeback::for_fd(file.as_raw_fd());
        assert_eq!(on.fd, Some(file.as_raw_fd()));
        on.wrote(WRITEBACK_EVERY - 1);
        assert_eq!(on.pending, WRITEBACK_EVERY - 1);
        on.wrote(1);
        assert_eq!(on.pending, 0, "started once a whole step was written");
        // A character device (like a terminal) gets none.
        let device = std::fs::File::open("/dev/null").expect("/dev/null");
        assert_eq!(Writeback::for_fd(device.as_raw_fd()).fd, None);
    }

    #[test]
    fn lines_arrive_whole_and_in_order() {
        let sink = Sink::default();
        let queue = QueueWriter::spawn(sink.clone(), 1024).expect("thread");
        for i in 0..500 {
            line(&queue, &format!("line {i}\n"));
        }
        queue.flush(Duration::from_secs(5));
        let expected: String = (0..500).map(|i| format!("line {i}\n")).collect();
        assert_eq!(sink.text(), expected);
        assert_eq!(queue.dropped(), 0);
    }

    #[test]
    fn a_stalled_writer_drops_and_counts_instead_of_blocking() {
        let sink = Sink::default();
        let queue = QueueWriter::spawn(sink.clone(), 4).expect("thread");
        let held = sink.lock();
        // The writer thread takes the first line, then waits on the held sink at its flush;
        // the queue holds 4 more; everything after that is dropped, and no call here blocks.
        line(&queue, "line 0\n");
        std::thread::sleep(Duration::from_millis(200));
        let started = std::time::Instant::now();
        for i in 1..50 {
            line(&queue, &format!("line {i}\n"));
        }
        assert!(started.elapsed() < Duration::from_secs(2));
        let dropped = queue.dropped();
        assert_eq!(dropped, 45);
        drop(held);
        queue.flush(Duration::from_secs(5));
        let written = sink.text().lines().count() as u64;
        assert_eq!(written + dropped, 50);
    }
}
