//! What a guest writes to stdout and stderr, kept with its call like a log line.
//!
//! Only guests built for WASI (wasm32-wasip2, jco) can write at all: the engine links
//! `wasi:cli` stdout and stderr (and the streams they use) to one capped buffer. Output
//! past the cap is counted and dropped, never an error, so a talkative guest is not a
//! failing one. Stdin, the environment and the arguments are empty and no directory is
//! preopened; the clocks and random sources are derived from the call's inputs
//! (`observable.rs`), so a call remains a pure function of its arguments.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use wasmtime::component::ResourceTable;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView};

use super::observable::CallInputs;

/// The WASI state of one call: an empty context whose stdout and stderr go to `output`.
pub(super) struct CallWasi {
    ctx: WasiCtx,
    table: ResourceTable,
    output: CapturedOutput,
}

impl CallWasi {
    /// A context with nothing in it but a capture of at most `cap` bytes, and the
    /// clocks and random sources of `inputs`.
    pub(super) fn new(cap: usize, inputs: &CallInputs) -> Self {
        let output = CapturedOutput::new(cap);
        let mut builder = WasiCtxBuilder::new();
        builder.stdout(output.clone()).stderr(output.clone());
        inputs.configure(&mut builder);
        let ctx = builder.build();
        Self {
            ctx,
            table: ResourceTable::new(),
            output,
        }
    }

    pub(super) fn view(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }

    /// What the guest wrote, if anything.
    pub(super) fn output(&self) -> Option<String> {
        self.output.text()
    }
}

/// A buffer shared by a call's stdout and stderr: the first `cap` bytes, and a count
/// of the rest.
#[derive(Clone)]
pub(super) struct CapturedOutput {
    cap: usize,
    inner: Arc<Mutex<Captured>>,
}

#[derive(Default)]
struct Captured {
    kept: Vec<u8>,
    dropped: usize,
}

impl CapturedOutput {
    fn new(cap: usize) -> Self {
        Self {
            cap,
            inner: Arc::default(),
        }
    }

    fn push(&self, bytes: &[u8]) {
        let mut captured = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let room = self.cap.saturating_sub(captured.kept.len());
        let (kept, dropped) = bytes.split_at(bytes.len().min(room));
        captured.kept.extend_from_slice(kept);
        captured.dropped = captured.dropped.saturating_add(dropped.len());
    }

    /// The output as text (invalid UTF-8 replaced), saying how much was cut off.
    fn text(&self) -> Option<String> {
        let captured = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if captured.kept.is_empty() && captured.dropped == 0 {
            return None;
        }
        let mut text = String::from_utf8_lossy(&captured.kept).into_owned();
        if captured.dropped > 0 {
            text.push_str(&format!("… [{} more bytes not kept]", captured.dropped));
        }
        Some(text)
    }
}

/// How much a guest may write in one go; it is always ready for that much.
const WRITE_BUDGET: usize = 64 << 10;

#[wasmtime_wasi::async_trait]
impl Pollable for CapturedOutput {
    async fn ready(&mut self) {}
}

impl OutputStream for CapturedOutput {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_BUDGET)
    }
}

impl tokio::io::AsyncWrite for CapturedOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CapturedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_past_the_cap_is_counted_not_kept() {
        let output = CapturedOutput::new(8);
        assert_eq!(output.text(), None);
        output.push(b"hello ");
        output.push(b"world");
        assert_eq!(output.text().unwrap(), "hello wo… [3 more bytes not kept]");
    }

    #[test]
    fn a_zero_cap_keeps_nothing_but_says_so() {
        let output = CapturedOutput::new(0);
        output.push(b"x");
        assert_eq!(output.text().unwrap(), "… [1 more bytes not kept]");
    }
}
