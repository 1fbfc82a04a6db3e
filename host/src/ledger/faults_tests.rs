//! PostgreSQL faults: a server that cuts every connection of the ledger (a restart, a
//! failover, a network cut). The write it carried is answered as unavailable or done,
//! never both; the ledger recovers by itself without a restart, readiness follows, and
//! the config epoch is heard again.

use std::time::{Duration, Instant};

use super::scratch::ScratchSchema;
use super::{Ledger, LedgerError};
use crate::guardrails::Guardrails;

fn caps(cap: i64) -> Guardrails {
    Guardrails {
        shop_daily_cap: Some(cap),
        customer_30d_cap: None,
    }
}

#[tokio::test]
async fn cut_connections_fail_the_write_they_carried_and_the_ledger_recovers() {
    let Some(schema) = ScratchSchema::create().await.unwrap() else {
        return;
    };
    let ledger = Ledger::open(&schema.storage()).await.unwrap();
    ledger.put_guardrails(&caps(1), "test", 0).await.unwrap();
    ledger.ready().await.unwrap();

    let cut = schema.cut_connections().await.unwrap();
    assert!(
        cut >= 2,
        "only {cut} connections cut (a reader, the writer, the listener)"
    );

    // The first write after the cut: either the pool noticed and reconnected (done), or
    // it went down the dead connection (unavailable, its transaction gone with it).
    let first = ledger.put_guardrails(&caps(2), "test", 0).await;
    match &first {
        Ok(()) => {}
        Err(LedgerError::Unavailable(_)) => {}
        Err(other) => panic!("a cut connection answered as {other:?}"),
    }
    // Within a few tries, without a restart, writes and reads are back.
    let started = Instant::now();
    loop {
        match ledger.put_guardrails(&caps(3), "test", 0).await {
            Ok(()) => break,
            Err(LedgerError::Unavailable(_)) if started.elapsed() < Duration::from_secs(5) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(other) => panic!("no recovery: {other:?}"),
        }
    }
    ledger.ready().await.unwrap();
    assert_eq!(ledger.guardrails().await.unwrap(), caps(3));

    // The config epoch is listened for again: a change by another host is heard.
    let other = Ledger::open(&schema.storage()).await.unwrap();
    other.put_guardrails(&caps(4), "test", 0).await.unwrap();
    let started = Instant::now();
    loop {
        let epoch = ledger.config_epoch().await.unwrap();
        if ledger.guardrails_at(epoch).await.unwrap() == caps(4) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "never heard again"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    other.close().await;
    ledger.close().await;
}
