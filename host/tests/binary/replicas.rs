//! Replicas: two `arbiter serve` processes, A and B, each with its own data dir (its
//! compiled modules' cache), share one PostgreSQL ledger (a scratch schema per test).
//! A settings change or a fraud-list entry made through one serves the other's decisions
//! within a second; one idempotency key sent to both at once makes one decision; the
//! customer history, the uploaded modules and every answered decision are shared; and
//! when A is killed under load, B keeps answering and nothing answered is lost.
//!
//! Where no PostgreSQL answers (outside CI), each test returns early.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Child;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex, PoisonError};
use std::time::{Duration, Instant};

use arbiter::ledger::scratch::ScratchSchema;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::common::{self, Reply};

const TOKEN: &str = "replicas-test-operator-token";

/// How soon a change through one replica must serve the other's decisions.
const PROPAGATION: Duration = Duration::from_secs(1);
/// How long a poll for a change goes on before it gives up (past [`PROPAGATION`], so a
/// late change is reported with its lag rather than as never seen).
const POLL_LIMIT: Duration = Duration::from_secs(5);

/// One running replica. Dropping it kills it (SIGKILL) and reaps it, so a failed
/// assertion leaves no server behind; its data dir goes after it.
#[derive(Debug)]
struct Replica {
    name: &'static str,
    child: Child,
    address: SocketAddr,
    _data: TempDir,
}

impl Replica {
    fn start(name: &'static str, database_url: &str) -> Self {
        let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (child, address) = common::start_replica(data.path(), TOKEN, database_url);
        Self {
            name,
            child,
            address,
            _data: data,
        }
    }

    /// SIGKILL, and wait for the process to be gone.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A request with a JSON body (or none); panics when the replica does not answer.
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        let body = body.map(Value::to_string).unwrap_or_default();
        common::send(
            self.address,
            TOKEN,
            method,
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
        .unwrap_or_else(|| panic!("{method} {path} on {}: no answer", self.name))
    }

    /// Decides `claim`, which must be answered 200; the decision.
    fn decide(&self, claim: &Value) -> Value {
        let reply = self.call("POST", "/v1/decisions", Some(claim));
        assert_eq!(
            reply.status, 200,
            "POST /v1/decisions {} on {}: {}",
            claim["claim_id"], self.name, reply.body
        );
        reply.json()
    }

    /// `GET /v1/decisions/{id}`, which must be answered 200; the explanation.
    fn explain(&self, decision_id: &str) -> Value {
        let reply = self.call("GET", &format!("/v1/decisions/{decision_id}"), None);
        assert_eq!(
            reply.status, 200,
            "GET /v1/decisions/{decision_id} on {}: {}",
            self.name, reply.body
        );
        reply.json()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Replicas A and B on one scratch schema. The replicas go first, then the schema.
#[derive(Debug)]
struct Cluster {
    a: Replica,
    b: Replica,
    schema: ScratchSchema,
    runtime: tokio::runtime::Runtime,
}

impl Cluster {
    /// Both replicas, started together on a fresh schema; `None` where no PostgreSQL
    /// answers (the schema helper has said so on stderr).
    fn start() -> Option<Self> {
        let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
        let schema = runtime
            .block_on(ScratchSchema::create())
            .unwrap_or_else(|e| panic!("a scratch schema: {e}"))?;
        let (a, b) = std::thread::scope(|scope| {
            let a = scope.spawn(|| Replica::start("A", schema.url()));
            let b = scope.spawn(|| Replica::start("B", schema.url()));
            let join = |name, handle: std::thread::ScopedJoinHandle<'_, Replica>| {
                handle
                    .join()
                    .unwrap_or_else(|_| panic!("replica {name} did not start"))
            };
            (join("A", a), join("B", b))
        });
        Some(Self {
            a,
            b,
            schema,
            runtime,
        })
    }

    /// How many decisions the shared ledger holds, read from the store itself.
    fn decision_count(&self) -> u64 {
        self.runtime
            .block_on(async {
                let ledger = arbiter::ledger::Ledger::open(&self.schema.storage()).await?;
                let count = ledger.decision_count().await;
                ledger.close().await;
                count
            })
            .unwrap_or_else(|e| panic!("counting the decisions: {e}"))
    }
}

/// A damaged 350.00 RUB vase, first claim of its customer, who asks for a promo code;
/// no photos.
fn claim(claim_id: &str, shop_id: &str, customer_id: &str) -> Value {
    json!({
        "claim_id": claim_id, "revision": 1, "shop_id": shop_id,
        "now": "2026-11-20T10:00:00Z", "opened_at": "2026-11-20T09:55:00Z",
        "kind": "damaged", "subkind": null, "desired_outcome": "promo_code",
        "order": {"order_id": format!("o-{claim_id}"), "currency": "RUB", "total": 459000,
                  "placed_at": "2026-11-16T12:00:00Z", "delivered_at": "2026-11-19T18:00:00Z",
                  "fulfilment": "3p", "courier": "seller"},
        "items": [{"sku": "vase-1", "title": "Vase", "unit_price": 35000,
                   "quantity_ordered": 1, "quantity_affected": 1, "category": "home"}],
        "customer": {"customer_id": customer_id, "account_created_at": "2024-02-01T00:00:00Z"},
        "evidence": {"photos": [], "damage_confirmed": true, "documents_match_order": null,
                     "used_signs": []},
        "confirmations": {"warehouse": null, "delivery_service": null, "category_manager": null,
                          "routing_team": null, "courier": null},
        "return_shipment": {"received_at": null, "shipping_cost": null},
        "customer_reply": {"keeps_item": null, "insists": null, "accepts_sorry_coupon": null,
                           "will_return": null},
        "last_seller_reply_at": null, "last_customer_reply_at": null
    })
}

/// A 64-hex-digit photo hash made from `seed`.
fn photo_hash(seed: u128) -> String {
    format!("{seed:064x}")
}

/// The rule ids of a decision's reasons, in order.
fn rules(decision: &Value) -> Vec<String> {
    decision["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|reason| reason["rule"].as_str().map(str::to_owned))
        .collect()
}

/// The types of a decision's actions, in order.
fn action_types(decision: &Value) -> Vec<String> {
    decision["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|action| action["type"].as_str().map(str::to_owned))
        .collect()
}

/// The rule ids of an explanation's fraud signals.
fn signal_rules(explained: &Value) -> Vec<String> {
    explained["signals"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|signal| signal["rule"].as_str().map(str::to_owned))
        .collect()
}

fn decision_id(decision: &Value) -> String {
    decision["decision_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no decision_id: {decision}"))
        .to_owned()
}

/// Decides `next_claim(n)` on `replica` for n = 0, 1, ... until a decision satisfies
/// `changed` or [`POLL_LIMIT`] has passed since `since`; the decisions made before it
/// must satisfy `unchanged`. The changed decision and how long after `since` it came
/// back, or what was seen when it never did.
fn poll_until(
    replica: &Replica,
    since: Instant,
    next_claim: &mut dyn FnMut() -> Value,
    changed: &dyn Fn(&Value) -> bool,
    unchanged: &dyn Fn(&Value) -> bool,
) -> (Value, Duration, usize) {
    let mut polls = 0;
    loop {
        let decision = replica.decide(&next_claim());
        let lag = since.elapsed();
        polls += 1;
        if changed(&decision) {
            return (decision, lag, polls);
        }
        assert!(
            unchanged(&decision),
            "neither the old configuration nor the new: {decision}"
        );
        assert!(
            lag < POLL_LIMIT,
            "{} still decides with the old configuration {lag:.2?} after the change \
             ({polls} decisions): {decision}",
            replica.name
        );
    }
}

#[test]
fn a_settings_change_through_one_replica_serves_the_next_decision_on_the_other() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let (a, b) = (&cluster.a, &cluster.b);
    const SHOP: &str = "rs-shop";
    let settings_path = format!("/v1/shops/{SHOP}/settings");
    // A 700.00 RUB vase, nobody asking for a promo code: a refund under the default
    // promo_max (500.00 RUB), a promo code under promo_max 1000.00 RUB.
    let mut sequence = 0;
    let mut vase = || {
        sequence += 1;
        let mut claim = claim(&format!("rs-c{sequence}"), SHOP, &format!("rs-u{sequence}"));
        claim["items"][0]["unit_price"] = json!(70000);
        claim["desired_outcome"] = Value::Null;
        claim
    };
    let promo = json!([{"type": "promo_code", "amount": 70000, "currency": "RUB"}]);

    // B decides first, so it has the shop's configuration cached.
    let before = b.decide(&vase());
    assert_eq!(before["policy"]["settings_version"], 0, "{before}");
    assert!(
        action_types(&before).contains(&"refund".to_owned()),
        "{before}"
    );
    assert!(
        !action_types(&before).contains(&"promo_code".to_owned()),
        "{before}"
    );

    let mut lags = Vec::new();
    for (version, settings) in [
        (1, json!({"promo_max": 100000})),
        (2, json!({})),
        (3, json!({"promo_max": 100000})),
    ] {
        let reply = a.call("PUT", &settings_path, Some(&settings));
        let changed_at = Instant::now();
        assert_eq!(
            reply.status, 200,
            "PUT {settings_path} on A: {}",
            reply.body
        );
        assert_eq!(
            reply.json(),
            json!({"shop_id": SHOP, "version": version, "settings": settings})
        );
        let (decision, lag, polls) = poll_until(
            b,
            changed_at,
            &mut vase,
            &|decision| decision["policy"]["settings_version"] == version,
            &|decision| decision["policy"]["settings_version"] == version - 1,
        );
        assert!(
            lag < PROPAGATION,
            "version {version} set through A reached B's decisions after {lag:.2?} \
             ({polls} decisions)"
        );
        if settings["promo_max"] == 100000 {
            assert_eq!(decision["actions"], promo, "{decision}");
        } else {
            assert!(
                action_types(&decision).contains(&"refund".to_owned()),
                "{decision}"
            );
        }
        // B's ledger entry names the version and its settings.
        let explained = b.explain(&decision_id(&decision));
        assert_eq!(explained["policy"]["settings_version"], version);
        assert_eq!(explained["policy"]["settings"], settings);
        lags.push((lag, polls));
    }

    // The hard-fraud list: B has decided for the customer before, unlisted.
    const CUSTOMER: &str = "rs-fraudster";
    let mut fraud_sequence = 0;
    let mut fraudster_claim = || {
        fraud_sequence += 1;
        claim(&format!("rs-f{fraud_sequence}"), SHOP, CUSTOMER)
    };
    let unlisted = b.decide(&fraudster_claim());
    assert!(!rules(&unlisted).contains(&"F1".to_owned()), "{unlisted}");
    assert!(
        !action_types(&unlisted).contains(&"block_account".to_owned()),
        "{unlisted}"
    );

    let path = format!("/v1/platform/fraud-list/{CUSTOMER}");
    let reply = a.call("PUT", &path, Some(&json!({"reason": "chargebacks"})));
    let listed_at = Instant::now();
    assert_eq!(reply.status, 200, "PUT {path} on A: {}", reply.body);
    assert_eq!(
        reply.json(),
        json!({"customer_id": CUSTOMER, "reason": "chargebacks"})
    );
    let (blocked, lag, polls) = poll_until(
        b,
        listed_at,
        &mut fraudster_claim,
        &|decision| rules(decision).contains(&"F1".to_owned()),
        &|decision| !action_types(decision).contains(&"block_account".to_owned()),
    );
    assert!(
        lag < PROPAGATION,
        "the fraud-list entry made through A reached B's decisions after {lag:.2?} \
         ({polls} decisions)"
    );
    assert_eq!(blocked["risk"], "hard", "{blocked}");
    let types = action_types(&blocked);
    assert!(types.contains(&"block_account".to_owned()), "{blocked}");
    for money in [
        "promo_code",
        "sorry_coupon",
        "refund",
        "return_shipping_refund",
        "replacement",
    ] {
        assert!(!types.contains(&money.to_owned()), "{blocked}");
    }
    let explained = b.explain(&decision_id(&blocked));
    assert_eq!(
        explained["history"]["on_hard_fraud_list"], true,
        "{explained}"
    );
    assert!(
        signal_rules(&explained).contains(&"F1".to_owned()),
        "{explained}"
    );

    println!(
        "settings through A seen by B after (lag, decisions) {lags:.2?}; \
         the fraud-list entry after {lag:.2?} ({polls} decisions)"
    );
}

#[test]
fn one_idempotency_key_sent_to_both_replicas_at_once_makes_one_decision() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let (a, b) = (&cluster.a, &cluster.b);
    const ROUNDS: usize = 20;
    let mut fresh_by: BTreeMap<&str, usize> = BTreeMap::new();
    for round in 0..ROUNDS {
        let key = format!("twin-key-{round}");
        let body = claim(&format!("ik-c{round}"), "ik-shop", &format!("ik-u{round}")).to_string();
        let barrier = Barrier::new(2);
        let replies: Vec<(&Replica, Reply)> = std::thread::scope(|scope| {
            let handles: Vec<_> = [a, b]
                .into_iter()
                .map(|replica| {
                    let (barrier, key, body) = (&barrier, &key, &body);
                    scope.spawn(move || {
                        barrier.wait();
                        let reply = common::send(
                            replica.address,
                            TOKEN,
                            "POST",
                            "/v1/decisions",
                            &[
                                ("Content-Type", "application/json"),
                                ("Idempotency-Key", key),
                            ],
                            body.as_bytes(),
                        );
                        (replica, reply)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    let (replica, reply) = handle
                        .join()
                        .unwrap_or_else(|_| panic!("a sender panicked"));
                    let reply = reply.unwrap_or_else(|| {
                        panic!("round {round}: {} did not answer", replica.name)
                    });
                    (replica, reply)
                })
                .collect()
        });

        for (replica, reply) in &replies {
            assert_eq!(
                reply.status, 200,
                "round {round}, key {key}, on {}: {}",
                replica.name, reply.body
            );
        }
        let (first, second) = (&replies[0].1, &replies[1].1);
        assert_eq!(
            first.body, second.body,
            "round {round}, key {key}: A and B answered differently"
        );
        let fresh: Vec<&str> = replies
            .iter()
            .filter(|(_, reply)| reply.header("idempotent-replayed").is_none())
            .map(|(replica, _)| replica.name)
            .collect();
        assert_eq!(
            fresh.len(),
            1,
            "round {round}, key {key}: exactly one replica decides, the other replays; \
             fresh from {fresh:?}"
        );
        *fresh_by.entry(fresh[0]).or_default() += 1;

        // Either replica explains that one decision.
        let decision = first.json();
        let id = decision_id(&decision);
        for replica in [a, b] {
            let explained = replica.explain(&id);
            assert_eq!(explained["decision"], decision, "on {}", replica.name);
        }
    }
    assert_eq!(
        cluster.decision_count(),
        ROUNDS as u64,
        "one decision per key in the shared ledger"
    );
    println!("{ROUNDS} keys sent to A and B at once: decided fresh by {fresh_by:?}");
}

#[test]
fn history_is_shared_across_replicas() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let (a, b) = (&cluster.a, &cluster.b);
    let photo = photo_hash(0x5eed_0001);
    let with_photo = |claim_id: &str, customer_id: &str| {
        let mut claim = claim(claim_id, "hs-shop", customer_id);
        claim["evidence"]["photos"] = json!([{"sha256": photo, "shows_labels": true}]);
        claim
    };

    // The customer's first claim, on A: nothing known.
    let first = a.decide(&with_photo("hs-c1", "hs-u1"));
    assert_eq!(first["outcome"], "compensate", "{first}");
    assert_eq!(
        first["actions"],
        json!([{"type": "promo_code", "amount": 35000, "currency": "RUB"}]),
        "{first}"
    );
    let explained_first = b.explain(&decision_id(&first));
    assert_eq!(explained_first["decision"], first);
    assert_eq!(
        explained_first["history"]["earlier_claims"],
        json!([]),
        "{explained_first}"
    );

    // The next claim of the same customer with the same photo, on B: it sees the first.
    let second = b.decide(&with_photo("hs-c2", "hs-u1"));
    let explained = b.explain(&decision_id(&second));
    let history = &explained["history"];
    assert_eq!(
        history["earlier_claims"],
        json!([{
            "claim_id": "hs-c1", "kind": "damaged", "opened_at": "2026-11-20T09:55:00Z",
            "outcome": "compensate", "money_given": {"amount": 35000, "currency": "RUB"},
            "sorry_coupon_given": false, "same_shop": true
        }]),
        "{explained}"
    );
    assert_eq!(
        history["photos"],
        json!([{"sha256": photo, "seen_in_own_claims": true, "seen_in_others_claims": false}]),
        "{explained}"
    );
    assert!(
        signal_rules(&explained).contains(&"F3".to_owned()),
        "the photo reused by the customer: {explained}"
    );
    assert_eq!(second["risk"], "soft", "{second}");

    // Another customer with the same photo, back on A: seen in someone else's claims.
    let third = a.decide(&with_photo("hs-c3", "hs-u2"));
    let explained = a.explain(&decision_id(&third));
    assert_eq!(
        explained["history"]["photos"],
        json!([{"sha256": photo, "seen_in_own_claims": false, "seen_in_others_claims": true}]),
        "{explained}"
    );
    assert_eq!(
        explained["history"]["earlier_claims"],
        json!([]),
        "{explained}"
    );
    assert!(
        signal_rules(&explained).contains(&"F2".to_owned()),
        "{explained}"
    );
    assert_eq!(third["risk"], "hard", "{third}");
}

#[test]
fn a_module_uploaded_through_one_replica_is_loadable_by_the_other() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let (a, b) = (&cluster.a, &cluster.b);
    const SHOP: &str = "md-shop";
    let florist = std::fs::read(arbiter_artifacts::FLORIST_EXAMPLE_PATH)
        .unwrap_or_else(|e| panic!("the florist component: {e}"));
    let digest = {
        use sha2::Digest as _;
        let hex: String = sha2::Sha256::digest(&florist)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        format!("sha256:{hex}")
    };
    let upload = |replica: &Replica| {
        common::send(
            replica.address,
            TOKEN,
            "POST",
            "/v1/modules",
            &[("Content-Type", "application/wasm")],
            &florist,
        )
        .unwrap_or_else(|| panic!("POST /v1/modules on {}: no answer", replica.name))
    };

    let uploaded = upload(a);
    assert_eq!(uploaded.status, 201, "upload on A: {}", uploaded.body);
    let module = uploaded.json();
    assert_eq!(module["digest"], digest, "{module}");
    assert_eq!(module["world"], "compensation-policy", "{module}");

    // B shows it, and the same bytes through B are no new module.
    let shown = b.call("GET", &format!("/v1/modules/{digest}"), None);
    assert_eq!(
        shown.status, 200,
        "GET /v1/modules/{digest} on B: {}",
        shown.body
    );
    assert_eq!(shown.json()["digest"], digest);
    assert_eq!(shown.json()["name"], module["name"]);
    let again = upload(b);
    assert_eq!(
        again.status, 200,
        "the same bytes through B: {}",
        again.body
    );
    assert_eq!(again.json()["digest"], digest);

    // Made the shop's policy through B: B checks the settings with the module.
    let path = format!("/v1/shops/{SHOP}/policy");
    let refused = b.call(
        "PUT",
        &path,
        Some(&json!({"module": digest, "settings": {"promo_max": 0}})),
    );
    assert_eq!(refused.status, 422, "PUT {path} on B: {}", refused.body);
    assert_eq!(
        refused.json()["error"]["field"],
        "promo_max",
        "{}",
        refused.body
    );
    let settings = json!({"promo_max": 100000});
    let set = b.call(
        "PUT",
        &path,
        Some(&json!({"module": digest, "settings": settings})),
    );
    assert_eq!(set.status, 200, "PUT {path} on B: {}", set.body);
    let set = set.json();
    assert_eq!(set["version"], 1, "{set}");
    assert_eq!(set["module"], digest, "{set}");
    assert_eq!(set["mode"], "active", "{set}");

    // Decided by the florist through B and through A.
    for (replica, claim_id) in [(b, "md-c1"), (a, "md-c2")] {
        let decision = replica.decide(&claim(claim_id, SHOP, &format!("{claim_id}-u")));
        assert_eq!(
            decision["policy"]["module"], digest,
            "on {}: {decision}",
            replica.name
        );
        assert_eq!(decision["policy"]["settings_version"], 1, "{decision}");
        assert_eq!(decision["policy"]["mode"], "active", "{decision}");
        assert_eq!(decision["fallback_applied"], false, "{decision}");
        assert_eq!(rules(&decision), ["FL2"], "on {}: {decision}", replica.name);
        assert_eq!(
            decision["actions"],
            json!([{"type": "promo_code", "amount": 35000, "currency": "RUB"}]),
            "{decision}"
        );
    }
}

/// What the load threads saw.
#[derive(Debug, Default)]
struct Load {
    /// Decisions answered 2xx, by either replica.
    answered: Mutex<Vec<Value>>,
    /// Answers that were not 2xx, and requests not answered (on A: before its kill).
    failures: Mutex<Vec<String>>,
    /// How many decisions each replica answered 2xx: A, B.
    counts: [AtomicUsize; 2],
}

impl Load {
    fn push<T>(list: &Mutex<Vec<T>>, item: T) {
        list.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(item);
    }

    fn take<T: Clone>(list: &Mutex<Vec<T>>) -> Vec<T> {
        list.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

#[test]
fn a_replica_killed_under_load_loses_nothing_and_the_other_keeps_answering() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    const THREADS: usize = 3;
    const PER_THREAD: usize = 400;
    const BEFORE_KILL: usize = 100;
    const AFTER_KILL: usize = 100;
    const LIMIT: Duration = Duration::from_secs(30);

    let load = Load::default();
    let stop = AtomicBool::new(false);
    let killing = AtomicBool::new(false);
    let started = Instant::now();
    let addresses = [cluster.a.address, cluster.b.address];
    let mut killed_at = None;
    let mut b_count_at_kill = 0;
    std::thread::scope(|scope| {
        for (side, address) in addresses.into_iter().enumerate() {
            for thread in 0..THREADS {
                let (load, stop, killing) = (&load, &stop, &killing);
                scope.spawn(move || {
                    let name = ["A", "B"][side];
                    for sequence in 0..PER_THREAD {
                        if stop.load(Ordering::Relaxed) || started.elapsed() > LIMIT {
                            break;
                        }
                        let claim_id = format!("kl-{name}-{thread}-{sequence}");
                        let claim = claim(&claim_id, "kl-shop", &format!("{claim_id}-u"));
                        match common::request(address, TOKEN, "POST", "/v1/decisions", Some(&claim))
                        {
                            Some((status, body)) if (200..300).contains(&status) => {
                                let decision: Value =
                                    serde_json::from_str(&body).unwrap_or_else(|e| {
                                        panic!("{claim_id} on {name}: {e}: {body}")
                                    });
                                Load::push(&load.answered, decision);
                                load.counts[side].fetch_add(1, Ordering::Relaxed);
                            }
                            Some((status, body)) => Load::push(
                                &load.failures,
                                format!("{claim_id} on {name}: {status} {body}"),
                            ),
                            // A is being killed: its connections fail, its threads stop.
                            None if side == 0 && killing.load(Ordering::SeqCst) => break,
                            None => Load::push(
                                &load.failures,
                                format!("{claim_id} on {name}: no answer"),
                            ),
                        }
                    }
                });
            }
        }

        // Both under load, then A dies mid-flight; B goes on a while longer.
        let count = |side: usize| load.counts[side].load(Ordering::Relaxed);
        while (count(0) < BEFORE_KILL || count(1) < BEFORE_KILL) && started.elapsed() < LIMIT {
            std::thread::sleep(Duration::from_millis(5));
        }
        killing.store(true, Ordering::SeqCst);
        cluster.a.kill();
        killed_at = Some(started.elapsed());
        b_count_at_kill = count(1);
        while count(1) < b_count_at_kill + AFTER_KILL && started.elapsed() < LIMIT {
            std::thread::sleep(Duration::from_millis(5));
        }
        stop.store(true, Ordering::Relaxed);
    });

    let failures = Load::take(&load.failures);
    let answered = Load::take(&load.answered);
    let [by_a, by_b] = [0, 1].map(|side| load.counts[side].load(Ordering::Relaxed));
    assert!(
        failures.is_empty(),
        "{} requests failed: {:#?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
    assert!(
        by_a >= BEFORE_KILL,
        "A answered only {by_a} before it was killed"
    );
    assert!(
        by_b >= b_count_at_kill + AFTER_KILL,
        "B answered {} after A was killed, not {AFTER_KILL}",
        by_b - b_count_at_kill
    );

    // Every decision answered by either replica is in the ledger, as it was answered.
    let b = &cluster.b;
    let mut missing = Vec::new();
    for decision in &answered {
        let id = decision_id(decision);
        let reply = b.call("GET", &format!("/v1/decisions/{id}"), None);
        if reply.status != 200 {
            missing.push(format!("{id}: {} {}", reply.status, reply.body));
        } else if reply.json()["decision"] != *decision {
            missing.push(format!("{id}: stored {} answered {decision}", reply.body));
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} answered decisions not found on B: {:#?}",
        missing.len(),
        answered.len(),
        &missing[..missing.len().min(5)]
    );
    let count = cluster.decision_count();
    assert!(
        count >= answered.len() as u64,
        "{count} decisions stored for {} answered",
        answered.len()
    );
    println!(
        "A answered {by_a} and was killed at {:.2?}; B answered {by_b} ({} after the \
         kill), 0 failed; all {} answered found on B; {count} stored",
        killed_at.unwrap_or_default(),
        by_b - b_count_at_kill,
        answered.len()
    );
}
