//! The front door (`arbiter::server`) against misbehaving clients on real sockets: slow
//! or silent heads, stalled bodies, idle kept-alive connections, more connections than
//! the cap, and a shutdown with all of them open.
//!
//! Times are asserted with generous upper bounds: the test machine is busy.

use std::net::SocketAddr;
use std::time::Duration;

use arbiter::server::{Drained, FrontDoor};
use arbiter_tests::http::{TestApp, sample_claim};
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

/// Slack on every "closed by" bound, for a busy machine.
const SLACK: Duration = Duration::from_secs(2);

const HEALTHZ: &str = "GET /healthz HTTP/1.1\r\nhost: arbiter\r\n\r\n";

/// Short timeouts, and a cap no test reaches unless it means to.
fn quick() -> FrontDoor {
    FrontDoor {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(30),
        max_connections: 64,
        drain_timeout: Duration::from_secs(3),
    }
}

/// One answer read off a socket.
#[derive(Debug)]
struct RawReply {
    status: u16,
    head: String,
    body: String,
}

impl RawReply {
    fn json(&self) -> anyhow::Result<Value> {
        Ok(serde_json::from_str(&self.body)?)
    }
}

/// Reads one answer (head and a `content-length` body), leaving the connection open.
async fn read_reply(stream: &mut TcpStream) -> anyhow::Result<RawReply> {
    let mut bytes = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        if let Some(end) = bytes.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
            let status = head
                .split(' ')
                .nth(1)
                .and_then(|code| code.parse().ok())
                .ok_or_else(|| anyhow::anyhow!("no status line in {head:?}"))?;
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .ok_or_else(|| anyhow::anyhow!("no content-length in {head:?}"))?;
            if bytes.len() >= end + 4 + length {
                let body = String::from_utf8_lossy(&bytes[end + 4..end + 4 + length]);
                return Ok(RawReply {
                    status,
                    head,
                    body: body.into_owned(),
                });
            }
        }
        let read = stream.read(&mut chunk).await?;
        anyhow::ensure!(
            read > 0,
            "closed before a whole answer: {:?}",
            String::from_utf8_lossy(&bytes)
        );
        bytes.extend_from_slice(&chunk[..read]);
    }
}

/// Sends `request` on a new connection and reads its answer.
async fn request(address: SocketAddr, request: &[u8]) -> anyhow::Result<RawReply> {
    let mut stream = TcpStream::connect(address).await?;
    stream.write_all(request).await?;
    read_reply(&mut stream).await
}

/// Waits up to `limit` for the server to close `stream`; when it did, counted from
/// `since`, and what it sent before.
async fn closed_after(
    stream: &mut TcpStream,
    since: Instant,
    limit: Duration,
) -> Option<(Duration, Vec<u8>)> {
    let mut sent = Vec::new();
    let mut chunk = [0_u8; 4096];
    let closed = timeout(limit, async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(read) => sent.extend_from_slice(&chunk[..read]),
            }
        }
    })
    .await;
    closed.ok().map(|()| (since.elapsed(), sent))
}

/// A decision request with a valid token, its body `claim`.
fn decision_request(token: &str, claim: &str) -> String {
    format!(
        "POST /v1/decisions HTTP/1.1\r\nhost: arbiter\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{claim}",
        claim.len()
    )
}

#[tokio::test]
async fn a_silent_connection_is_closed_at_the_header_timeout() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let served = app.serve(quick()).await?;
    let opened = Instant::now();
    let mut silent = TcpStream::connect(served.address()).await?;

    let (after, sent) = closed_after(&mut silent, opened, quick().header_timeout + SLACK)
        .await
        .ok_or_else(|| anyhow::anyhow!("a silent connection was kept open"))?;
    assert!(
        after >= Duration::from_millis(900),
        "closed too soon: {after:?}"
    );
    assert!(sent.is_empty(), "it was sent {sent:?}");
    served.drained().await?;
    Ok(())
}

#[tokio::test]
async fn a_head_sent_a_byte_at_a_time_is_cut_at_the_header_timeout() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let served = app.serve(quick()).await?;
    let mut slow = TcpStream::connect(served.address()).await?;
    let opened = Instant::now();

    // A byte every 300 ms: the head would take ten seconds; the timeout is one.
    let mut closed = None;
    for byte in HEALTHZ.bytes() {
        if slow.write_all(&[byte]).await.is_err() {
            closed = Some(opened.elapsed());
            break;
        }
        if let Some((after, sent)) =
            closed_after(&mut slow, opened, Duration::from_millis(300)).await
        {
            assert!(sent.is_empty(), "a half head was answered: {sent:?}");
            closed = Some(after);
            break;
        }
    }
    let after = closed.ok_or_else(|| anyhow::anyhow!("the whole head went through"))?;
    assert!(
        after >= Duration::from_millis(900),
        "closed too soon: {after:?}"
    );
    assert!(
        after <= quick().header_timeout + SLACK,
        "closed after {after:?}"
    );
    served.drained().await?;
    Ok(())
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_at_the_idle_timeout() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let front_door = FrontDoor {
        idle_timeout: Duration::from_secs(3),
        ..quick()
    };
    let served = app.serve(front_door.clone()).await?;
    let mut kept = TcpStream::connect(served.address()).await?;
    kept.write_all(HEALTHZ.as_bytes()).await?;
    assert_eq!(read_reply(&mut kept).await?.status, 200);
    let answered = Instant::now();

    // Past the header timeout the connection is still open: an idle wait is not a head.
    assert!(
        closed_after(&mut kept, answered, Duration::from_secs(2))
            .await
            .is_none(),
        "an idle connection was closed at the header timeout"
    );
    kept.write_all(HEALTHZ.as_bytes()).await?;
    assert_eq!(read_reply(&mut kept).await?.status, 200);
    let answered = Instant::now();

    let (after, sent) = closed_after(&mut kept, answered, front_door.idle_timeout + SLACK)
        .await
        .ok_or_else(|| anyhow::anyhow!("an idle connection was kept open"))?;
    assert!(
        after >= Duration::from_millis(2_900),
        "closed too soon: {after:?}"
    );
    assert!(sent.is_empty(), "it was sent {sent:?}");
    served.drained().await?;
    Ok(())
}

#[tokio::test]
async fn a_stalled_body_is_answered_408_at_the_body_timeout() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let token = app.marketplace_token().await?;
    let served = app.serve(quick()).await?;
    let claim = sample_claim("fd-stalled", "fd-shop", "fd-u1").to_string();
    let whole = decision_request(&token, &claim);

    // All but the last 20 bytes of the body, then nothing.
    let mut stalled = TcpStream::connect(served.address()).await?;
    stalled
        .write_all(&whole.as_bytes()[..whole.len() - 20])
        .await?;
    let sent = Instant::now();
    let reply = timeout(quick().body_timeout + SLACK, read_reply(&mut stalled)).await??;
    let after = sent.elapsed();
    assert_eq!(reply.status, 408, "{reply:?}");
    assert_eq!(reply.json()?["error"]["code"], "request_timeout");
    assert!(
        after >= Duration::from_millis(900),
        "answered too soon: {after:?}"
    );
    // And the connection closes: the rest of the body is never read.
    assert!(
        closed_after(&mut stalled, sent, Duration::from_secs(1))
            .await
            .is_some(),
        "the connection stayed open after the 408"
    );
    assert_eq!(app.decision_count().await?, 0);
    served.drained().await?;
    Ok(())
}

#[tokio::test]
async fn a_thousand_idle_connections_leave_healthz_answering() -> anyhow::Result<()> {
    // Both ends of 1,000 connections are in this process.
    #[cfg(unix)]
    arbiter::server::raise_open_files_limit()?;
    let app = TestApp::new().await?;
    let served = app
        .serve(FrontDoor {
            header_timeout: Duration::from_secs(60),
            max_connections: 2_000,
            ..quick()
        })
        .await?;
    let mut idle = Vec::with_capacity(1_000);
    for _ in 0..1_000 {
        idle.push(TcpStream::connect(served.address()).await?);
    }
    // Accepted in order: once this is answered, all 1,000 are being served.
    assert_eq!(
        request(served.address(), HEALTHZ.as_bytes()).await?.status,
        200
    );

    let mut took = Vec::new();
    for _ in 0..5 {
        let asked = Instant::now();
        let reply = request(served.address(), HEALTHZ.as_bytes()).await?;
        took.push(asked.elapsed());
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json()?["status"], "ok", "{reply:?}");
    }
    took.sort();
    assert!(
        took[2] < Duration::from_millis(100),
        "/healthz beside 1,000 idle connections took {took:?}"
    );
    drop(idle);
    served.drained().await?;
    Ok(())
}

#[tokio::test]
async fn over_the_cap_a_connection_is_refused_and_healthz_returns_after() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let front_door = FrontDoor {
        header_timeout: Duration::from_secs(60),
        max_connections: 10,
        ..quick()
    };
    let served = app.serve(front_door).await?;
    let mut idle = Vec::new();
    for _ in 0..9 {
        idle.push(TcpStream::connect(served.address()).await?);
    }
    // The tenth, answered, shows the nine before it hold their places.
    let mut tenth = TcpStream::connect(served.address()).await?;
    tenth.write_all(HEALTHZ.as_bytes()).await?;
    assert_eq!(read_reply(&mut tenth).await?.status, 200);

    let asked = Instant::now();
    let mut over = TcpStream::connect(served.address()).await?;
    let (after, sent) = closed_after(&mut over, asked, SLACK)
        .await
        .ok_or_else(|| anyhow::anyhow!("a connection over the cap was kept open"))?;
    assert!(after < Duration::from_secs(1), "refused after {after:?}");
    // Told why, when the answer got there before the close.
    if !sent.is_empty() {
        let text = String::from_utf8_lossy(&sent);
        assert!(text.starts_with("HTTP/1.1 503 "), "{text}");
        assert!(text.contains(r#""code":"unavailable""#), "{text}");
    }

    drop(idle);
    drop(tenth);
    let mut answered = None;
    let deadline = Instant::now() + SLACK;
    while answered.is_none() && Instant::now() < deadline {
        match request(served.address(), HEALTHZ.as_bytes()).await {
            Ok(reply) => answered = Some(reply),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    let reply = answered.ok_or_else(|| anyhow::anyhow!("/healthz never answered again"))?;
    assert_eq!(reply.status, 200);
    served.drained().await?;
    Ok(())
}

#[tokio::test]
async fn shutdown_answers_requests_in_flight_and_cuts_stalled_clients() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let token = app.marketplace_token().await?;
    let front_door = FrontDoor {
        header_timeout: Duration::from_secs(60),
        body_timeout: Duration::from_secs(60),
        drain_timeout: Duration::from_secs(3),
        ..quick()
    };
    let mut served = app.serve(front_door.clone()).await?;
    let address = served.address();
    let in_flight_claim = sample_claim("fd-in-flight", "fd-shop", "fd-u1").to_string();
    let in_flight_request = decision_request(&token, &in_flight_claim);
    let stalled_claim = sample_claim("fd-stalled", "fd-shop", "fd-u2").to_string();
    let stalled_request = decision_request(&token, &stalled_claim);

    let mut silent = TcpStream::connect(address).await?;
    let mut half_head = TcpStream::connect(address).await?;
    half_head
        .write_all(b"POST /v1/decisions HTTP/1.1\r\nhost: arb")
        .await?;
    let mut stalled_body = TcpStream::connect(address).await?;
    stalled_body
        .write_all(&stalled_request.as_bytes()[..stalled_request.len() - 20])
        .await?;
    // In flight: its head is in, its last byte comes once the shutdown has begun.
    let (head_and_most, last) = in_flight_request.split_at(in_flight_request.len() - 1);
    let mut in_flight = TcpStream::connect(address).await?;
    in_flight.write_all(head_and_most.as_bytes()).await?;
    // Let the server read them all.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let signalled = Instant::now();
    served.begin_shutdown();
    let drained = tokio::spawn(served.drained());

    // Nothing in flight on these: closed at once.
    for (name, stream) in [("silent", &mut silent), ("half a head", &mut half_head)] {
        let (after, sent) = closed_after(stream, signalled, SLACK)
            .await
            .ok_or_else(|| anyhow::anyhow!("the {name} connection was kept open"))?;
        assert!(
            after < Duration::from_secs(1),
            "{name} closed after {after:?}"
        );
        assert!(sent.is_empty(), "{name} was sent {sent:?}");
    }
    // No new connection is served.
    assert!(
        request(address, HEALTHZ.as_bytes()).await.is_err(),
        "a connection made during the drain was served"
    );

    in_flight.write_all(last.as_bytes()).await?;
    let reply = timeout(SLACK, read_reply(&mut in_flight)).await??;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()?["claim_id"], "fd-in-flight");
    assert!(
        reply
            .head
            .to_ascii_lowercase()
            .contains("connection: close"),
        "{}",
        reply.head
    );

    // The stalled body holds its connection until the drain deadline, then is cut.
    let (after, sent) = closed_after(
        &mut stalled_body,
        signalled,
        front_door.drain_timeout + SLACK,
    )
    .await
    .ok_or_else(|| anyhow::anyhow!("the stalled body's connection was kept open"))?;
    assert!(
        after >= Duration::from_millis(2_900),
        "cut too soon: {after:?}"
    );
    assert!(sent.is_empty(), "the stalled body was sent {sent:?}");

    let drained = timeout(SLACK, drained).await???;
    assert_eq!(drained, Drained { open: 4, cut: 1 });
    assert!(
        signalled.elapsed() <= front_door.drain_timeout + SLACK,
        "stopped after {:?}",
        signalled.elapsed()
    );
    assert_eq!(app.decision_count().await?, 1);
    Ok(())
}
