//! Reading under watch: a reader that tells a hook how many bytes it has read, so a front end
//! can show progress (the CLI's bar, a Python callback or tqdm bar) or stop a long read (Ctrl-C
//! in Python) by returning an error from the hook.
//!
//! ```
//! use fovea_core::watch::{Hook, Watched};
//! use std::io::Read;
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU64, Ordering};
//!
//! let seen = Arc::new(AtomicU64::new(0));
//! let counter = seen.clone();
//! let hook: Hook = Arc::new(move |n| {
//!     counter.fetch_add(n, Ordering::Relaxed);
//!     Ok(())
//! });
//! let mut text = String::new();
//! Watched::new(&b"hello"[..], Some(hook)).read_to_string(&mut text)?;
//! assert_eq!(seen.load(Ordering::Relaxed), 5);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Read};
use std::sync::Arc;

/// Called with the bytes read since its last call (so one hook can watch several readers);
/// an error it returns fails the read with that error. It must not return an error of kind
/// [`io::ErrorKind::Interrupted`], which readers retry.
pub type Hook = Arc<dyn Fn(u64) -> io::Result<()> + Send + Sync>;

/// The hook is called after at least this many bytes, and at the end of the input.
pub const REPORT_EVERY: u64 = 256 << 10;

/// A reader that reports what it reads to an optional [`Hook`]. O(1) per read call.
pub struct Watched<R> {
    inner: R,
    hook: Option<Hook>,
    unreported: u64,
}

impl<R> Watched<R> {
    /// Watches `inner` with `hook` (none: a plain reader).
    pub fn new(inner: R, hook: Option<Hook>) -> Self {
        Watched {
            inner,
            hook,
            unreported: 0,
        }
    }

    /// The reader watched.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(hook) = &self.hook {
            self.unreported += n as u64;
            if self.unreported >= REPORT_EVERY || n == 0 {
                let delta = std::mem::take(&mut self.unreported);
                hook(delta)?;
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn reports_every_chunk_and_the_end_and_can_stop_the_read() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = calls.clone();
        let hook: Hook = Arc::new(move |n| {
            let mut seen = seen.lock().unwrap();
            seen.push(n);
            if seen.len() == 3 {
                return Err(io::Error::other("stopped"));
            }
            Ok(())
        });
        let data = vec![b'x'; (REPORT_EVERY as usize) * 2 + 10];
        let mut out = Vec::new();
        let mut reader = io::BufReader::with_capacity(4096, Watched::new(&data[..], Some(hook)));
        let err = reader.read_to_end(&mut out).unwrap_err();
        assert_eq!(err.to_string(), "stopped");
        let calls = calls.lock().unwrap();
        assert_eq!(calls.iter().sum::<u64>(), data.len() as u64);
        assert_eq!(calls.len(), 3);
        assert!(
            calls[0] >= REPORT_EVERY && calls[1] >= REPORT_EVERY,
            "{calls:?}"
        );
    }
}
