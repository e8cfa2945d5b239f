//! The writer: one thread owns the file handle and the hash chain; calls send entries over a
//! bounded channel, so file I/O never runs on the async runtime.

use super::chain::{entry_hash, entry_hmac, hmac_matches, AuditKey, GENESIS};
use super::{AuditError, UnresumableLog};
use serde_json::{Map, Value};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// A write's result, as acknowledged to fail-closed callers.
pub(crate) type Ack = oneshot::Sender<Result<(), AuditError>>;

enum Command {
    Append { entry: Map<String, Value>, ack: Option<Ack> },
    Flush(Ack),
}

/// The writer's settings.
pub(crate) struct WriterOptions {
    pub(crate) path: PathBuf,
    pub(crate) key: Option<AuditKey>,
    pub(crate) fsync: bool,
    pub(crate) capacity: usize,
}

/// The call side: a channel to the writer thread.
pub(crate) struct Writer {
    tx: mpsc::Sender<Command>,
    failed: Arc<AtomicBool>,
}

impl Writer {
    /// Opens (or creates) the log, resumes the chain from its last entry and starts the thread.
    pub(crate) fn start(opts: WriterOptions) -> Result<Self, AuditError> {
        let shown = opts.path.display().to_string();
        let open_failed = |source: io::Error| AuditError::Open { path: opts.path.clone(), source: Arc::new(source) };
        if let Some(dir) = opts.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(open_failed)?;
        }
        let mut file = open_append(&opts.path).map_err(open_failed)?;
        let chain = match opts.key {
            Some(key) => Some(
                resume(&mut file, key).map_err(|reason| AuditError::Unresumable { path: opts.path.clone(), reason })?,
            ),
            None => None,
        };
        let (tx, rx) = mpsc::channel(opts.capacity.max(1));
        let failed = Arc::new(AtomicBool::new(false));
        let state = State { file, chain, fsync: opts.fsync, failed: Arc::clone(&failed), path: shown };
        std::thread::Builder::new()
            .name("mcp-audit-writer".into())
            .spawn(move || state.run(rx))
            .map_err(|e| AuditError::Thread(Arc::new(e)))?;
        Ok(Self { tx, failed })
    }

    /// Whether a write has failed since start (fail-closed logs then refuse calls).
    pub(crate) fn has_failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// Queues `entry`; with `ack`, the writer reports the write's result on it.
    ///
    /// # Cancellation safety
    /// Waits only for channel capacity; dropping the future drops the entry.
    pub(crate) async fn append(&self, entry: Map<String, Value>, ack: Option<Ack>) -> Result<(), AuditError> {
        self.tx.send(Command::Append { entry, ack }).await.map_err(|_| AuditError::Stopped)
    }

    /// Waits until every queued entry is written and synced to disk.
    pub(crate) async fn flush(&self) -> Result<(), AuditError> {
        let (ack, done) = oneshot::channel();
        self.tx.send(Command::Flush(ack)).await.map_err(|_| AuditError::Stopped)?;
        done.await.map_err(|_| AuditError::Stopped)?
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        // An audit log is for the operator's eyes: no group or world access when we create it.
        opts.mode(0o600);
    }
    opts.open(path)
}

/// The running chain: the last sequence number and the hash the next entry points back to.
struct Chain {
    key: AuditKey,
    seq: u64,
    prev: String,
}

/// Resumes after the file's last entry, which must be complete and signed with `key`.
fn resume(file: &mut File, key: AuditKey) -> Result<Chain, UnresumableLog> {
    let Some(tail) = last_line(file).map_err(|e| UnresumableLog::Unreadable(Arc::new(e)))? else {
        return Ok(Chain { key, seq: 0, prev: GENESIS.into() });
    };
    let line = tail.strip_suffix(b"\n").ok_or(UnresumableLog::IncompleteLastLine)?;
    let entry: Map<String, Value> = serde_json::from_slice(line).map_err(|_| UnresumableLog::NotJson)?;
    let seq = entry
        .get("seq")
        .and_then(Value::as_u64)
        .filter(|_| entry.contains_key("hmac"))
        .ok_or(UnresumableLog::Unsigned)?;
    if !hmac_matches(&key, &entry) {
        return Err(UnresumableLog::WrongKey);
    }
    Ok(Chain { prev: entry_hash(&entry), key, seq })
}

/// The file's last line including its `\n` (absent when the file ends mid-line), read backwards.
fn last_line(file: &mut File) -> io::Result<Option<Vec<u8>>> {
    const CHUNK: u64 = 8192;
    let len = file.seek(SeekFrom::End(0))?;
    let mut pos = len;
    let mut tail: Vec<u8> = Vec::new();
    while pos > 0 {
        let step = CHUNK.min(pos);
        pos -= step;
        file.seek(SeekFrom::Start(pos))?;
        let mut chunk = vec![0; usize::try_from(step).unwrap_or(0)];
        file.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&tail);
        tail = chunk;
        // The newline that ends the previous line (not the one that ends this line).
        let body = tail.len().saturating_sub(1);
        if let Some(i) = tail[..body].iter().rposition(|&b| b == b'\n') {
            return Ok(Some(tail.split_off(i + 1)));
        }
    }
    Ok((!tail.is_empty()).then_some(tail))
}

struct State {
    file: File,
    chain: Option<Chain>,
    fsync: bool,
    failed: Arc<AtomicBool>,
    path: String,
}

impl State {
    fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        let mut batch = Vec::new();
        while let Some(first) = rx.blocking_recv() {
            // Drain what is already queued: one write (and one fsync) per batch under load.
            batch.push(first);
            while let Ok(more) = rx.try_recv() {
                batch.push(more);
            }
            self.process(&mut batch);
        }
        if let Err(e) = self.file.sync_data() {
            tracing::error!(path = %self.path, error = %e, "audit log: final sync failed");
        }
    }

    fn process(&mut self, batch: &mut Vec<Command>) {
        let mut buf = Vec::new();
        let mut acks = Vec::new();
        let mut flushes = Vec::new();
        for cmd in batch.drain(..) {
            match cmd {
                Command::Append { entry, ack } => {
                    self.render(entry, &mut buf);
                    acks.extend(ack);
                }
                Command::Flush(ack) => flushes.push(ack),
            }
        }
        let mut result = self.file.write_all(&buf);
        if result.is_ok() && (self.fsync || !flushes.is_empty()) {
            result = self.file.sync_data();
        }
        let result = result.map_err(|e| {
            self.failed.store(true, Ordering::Relaxed);
            tracing::error!(path = %self.path, error = %e, "audit log write failed");
            AuditError::Write(Arc::new(e))
        });
        for ack in acks.into_iter().chain(flushes) {
            let _ = ack.send(result.clone());
        }
    }

    /// Appends one line: numbered, chained and signed when the log is signed.
    fn render(&mut self, mut entry: Map<String, Value>, buf: &mut Vec<u8>) {
        if let Some(chain) = &mut self.chain {
            chain.seq += 1;
            entry.insert("seq".into(), chain.seq.into());
            entry.insert("prev_hash".into(), chain.prev.clone().into());
            let mac = entry_hmac(&chain.key, &entry);
            entry.insert("hmac".into(), mac.into());
            chain.prev = entry_hash(&entry);
        }
        buf.extend_from_slice(super::chain::canonical(&Value::Object(entry)).as_bytes());
        buf.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tail_of(content: &[u8]) -> io::Result<Option<Vec<u8>>> {
        let dir = std::env::temp_dir().join(format!("mcp-audit-tail-{}", uuid::Uuid::new_v4()));
        std::fs::write(&dir, content)?;
        let mut f = File::open(&dir)?;
        let r = last_line(&mut f);
        std::fs::remove_file(&dir)?;
        r
    }

    #[test]
    fn finds_the_last_line() -> io::Result<()> {
        assert_eq!(tail_of(b"")?, None);
        assert_eq!(tail_of(b"one\n")?, Some(b"one\n".to_vec()));
        assert_eq!(tail_of(b"one\ntwo\n")?, Some(b"two\n".to_vec()));
        assert_eq!(tail_of(b"one\ntwo")?, Some(b"two".to_vec()));
        let long = [vec![b'a'; 20_000], b"\n".to_vec(), vec![b'b'; 20_000], b"\n".to_vec()].concat();
        assert_eq!(tail_of(&long)?.map(|l| l.len()), Some(20_001));
        Ok(())
    }
}
