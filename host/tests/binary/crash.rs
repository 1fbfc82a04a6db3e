//! Crash safety: `arbiter serve` is killed with SIGKILL under concurrent load; after a
//! restart every decision that was answered 2xx is in the ledger, and SQLite's
//! integrity check is `ok`.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common;

const TOKEN: &str = "crash-test-operator-token";

/// Starts `arbiter serve` on a free port and returns it with its address.
fn start(data: &Path) -> (Child, SocketAddr) {
    common::start_server(data, TOKEN)
}

fn claim(worker: usize, sequence: usize) -> Value {
    json!({
        "claim_id": format!("crash-{worker}-{sequence}"), "revision": 1, "shop_id": "crash-shop",
        "now": "2026-11-20T10:00:00Z", "opened_at": "2026-11-20T09:55:00Z",
        "kind": "damaged",
        "order": {"order_id": format!("o-{worker}-{sequence}"), "currency": "RUB", "total": 459000,
                  "placed_at": "2026-11-16T12:00:00Z", "delivered_at": "2026-11-19T18:00:00Z",
                  "fulfilment": "3p", "courier": "seller"},
        "items": [{"sku": "v", "title": "Vase", "unit_price": 35000, "quantity_ordered": 1,
                   "quantity_affected": 1, "category": "home"}],
        "customer": {"customer_id": format!("crash-u-{worker}-{sequence}"),
                     "account_created_at": "2024-02-01T00:00:00Z"},
        "evidence": {"photos": [], "damage_confirmed": true}
    })
}

#[test]
fn answered_decisions_survive_a_sigkill() {
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (mut child, address) = start(data.path());

    let answered = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..8)
        .map(|worker| {
            let answered = Arc::clone(&answered);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for sequence in 0..100_000 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Some((status, body)) = common::request(
                        address,
                        TOKEN,
                        "POST",
                        "/v1/decisions",
                        Some(&claim(worker, sequence)),
                    ) else {
                        break;
                    };
                    if (200..300).contains(&status) {
                        let decision: Value = serde_json::from_str(&body).unwrap_or_default();
                        if let Some(id) = decision["decision_id"].as_str() {
                            answered
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push(id.to_owned());
                        }
                    }
                }
            })
        })
        .collect();

    // Let the load run, then kill the server mid-flight.
    let started = Instant::now();
    while answered.lock().map(|ids| ids.len()).unwrap_or(0) < 200
        && started.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap_or_else(|e| panic!("SIGKILL: {e}"));
    let _ = child.wait();
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.join();
    }
    let answered = answered.lock().map(|ids| ids.clone()).unwrap_or_default();
    assert!(
        answered.len() >= 200,
        "only {} decisions answered",
        answered.len()
    );

    // Restart on the same data dir: every answered decision is there.
    let (mut child, address) = start(data.path());
    let mut missing = Vec::new();
    for id in &answered {
        match common::request(address, TOKEN, "GET", &format!("/v1/decisions/{id}"), None) {
            Some((200, _)) => {}
            other => missing.push(format!("{id}: {other:?}")),
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        missing.is_empty(),
        "{} of {} answered decisions lost: {:?}",
        missing.len(),
        answered.len(),
        &missing[..missing.len().min(5)]
    );

    // And the file is sound.
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let check = runtime.block_on(async {
        let ledger =
            arbiter::ledger::Ledger::open(&arbiter::ledger::Storage::in_data_dir(data.path()))
                .await?;
        let check = ledger.integrity_check().await?;
        let count = ledger.decision_count().await?;
        ledger.close().await;
        Ok::<_, arbiter::ledger::LedgerError>((check, count))
    });
    let (check, count) = check.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(check.as_deref(), Some("ok"));
    assert!(
        count >= answered.len() as u64,
        "{count} rows for {} answers",
        answered.len()
    );
    println!(
        "{} decisions answered before SIGKILL, all {} found after restart; {count} rows",
        answered.len(),
        answered.len()
    );
}
