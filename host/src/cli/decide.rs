//! `arbiter decide`: one claim through the fraud screen, the policy and the envelope,
//! on this machine, like `opa eval` or `kwctl run`. Modules are compiled once and kept
//! in a compiled cache (the server's kind: per engine, each artifact under a MAC of the
//! cache's own key), so the second decision with a module does not compile it again;
//! the per-call limits are `serve`'s flags.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use arbiter::contract::{
    Action, DecisionResponse, FieldError, PolicyMode, parse_object, parse_request,
};
use arbiter::decide::{ShopPolicy, decide};
use arbiter::engine::{CompensationModule, Engine, FraudModule, ModuleDigest};
use arbiter::history::CustomerHistory;
use arbiter::registry::{CompiledCache, LoadedModule, load_cached};
use arbiter::{builtin, money};

use super::cache::CacheArgs;
use super::limits::LimitsArgs;

#[derive(Debug, clap::Args)]
pub struct DecideArgs {
    /// The claim, as the body of `POST /v1/decisions` (JSON).
    claim: PathBuf,
    /// The shop's settings (a JSON object); the policy's defaults where absent.
    #[arg(long, value_name = "SETTINGS.json")]
    settings: Option<PathBuf>,
    /// The customer's history (earlier claims, photos seen, hard-fraud list), JSON.
    #[arg(long, value_name = "HISTORY.json")]
    history: Option<PathBuf>,
    /// A compensation-policy component to use instead of the standard policy.
    #[arg(long, value_name = "FILE.wasm")]
    module: Option<PathBuf>,
    /// Print the decision exactly in the contract's JSON shape, nothing else.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    cache: CacheArgs,
    #[command(flatten)]
    limits: LimitsArgs,
}

/// A compensation policy from `bytes`, through `cache` when there is one.
pub(super) fn compensation(
    engine: &Engine,
    cache: Option<&CompiledCache>,
    bytes: &[u8],
) -> anyhow::Result<CompensationModule> {
    match cache {
        None => Ok(CompensationModule::load(engine, bytes)?),
        Some(cache) => match load_cached(engine, cache, bytes)? {
            LoadedModule::Compensation(module) => Ok(module),
            LoadedModule::Fraud(_) => {
                bail!("it is a fraud screen, not a compensation policy")
            }
        },
    }
}

/// The fraud screen from `bytes`, through `cache` when there is one.
fn fraud_screen(
    engine: &Engine,
    cache: Option<&CompiledCache>,
    bytes: &[u8],
) -> anyhow::Result<FraudModule> {
    match cache {
        None => Ok(FraudModule::load(engine, bytes)?),
        Some(cache) => match load_cached(engine, cache, bytes)? {
            LoadedModule::Fraud(module) => Ok(module),
            LoadedModule::Compensation(_) => bail!("it is not a fraud screen"),
        },
    }
}

pub fn run(args: DecideArgs) -> anyhow::Result<ExitCode> {
    let body = read(&args.claim)?;
    let request = parse_request(&body).map_err(|error| field_error(&args.claim, error))?;

    let history = match &args.history {
        Some(path) => parse_json::<CustomerHistory>(path)?,
        None => CustomerHistory::default(),
    };

    let engine = Engine::new(args.limits.limits())?;
    let cache = args.cache.open(&engine);
    let fraud = fraud_screen(&engine, cache.as_ref(), builtin::FRAUD_SCREEN)
        .context("loading the fraud screen")?;
    let policy = match &args.module {
        Some(path) => {
            let bytes = read(path)?;
            args.limits
                .check_module_size(bytes.len())
                .with_context(|| path.display().to_string())?;
            compensation(&engine, cache.as_ref(), &bytes)
                .with_context(|| format!("loading {}", path.display()))?
        }
        None => compensation(&engine, cache.as_ref(), builtin::STANDARD_POLICY)
            .context("loading the standard policy")?,
    };

    let (settings, settings_version) = match &args.settings {
        Some(path) => {
            let text = String::from_utf8(read(path)?)
                .with_context(|| format!("{} is not UTF-8 text", path.display()))?;
            (text, 1)
        }
        None => (String::from("{}"), 0),
    };
    if let Err(rejected) = policy.validate_settings(&settings)? {
        let at = rejected
            .key
            .map(|key| format!("key `{key}`: "))
            .unwrap_or_default();
        bail!("the policy rejected the settings: {at}{}", rejected.message);
    }

    let decision_id = local_decision_id(&body, policy.digest(), &settings);
    let shop = ShopPolicy {
        fraud: &fraud,
        fraud_settings: "{}",
        compensation: &policy,
        settings: &settings,
        settings_version,
        mode: PolicyMode::Active,
        guardrails: Default::default(),
        fallback: None,
        suspended: None,
    };
    let decided = decide(shop, &request, &history, decision_id);

    if args.json {
        println!("{}", serde_json::to_string_pretty(&decided.response)?);
        // The contract's shape has no room for it: what the policy printed goes to stderr.
        if let Some(output) = &decided.guest_output {
            eprint!("{}", guest_output(output));
        }
    } else {
        print!("{}", describe(&decided.response));
        if let Some(output) = &decided.guest_output {
            print!("{}", guest_output(output));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Reads a JSON object from `path` by the same strict rules as the API's bodies.
fn parse_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    parse_object(&read(path)?).map_err(|error| field_error(path, error))
}

/// `FILE: field `x`: message`, or `FILE: message` for the file as a whole.
fn field_error(path: &Path, error: FieldError) -> anyhow::Error {
    let field = if error.field.is_empty() {
        String::new()
    } else {
        format!("field `{}`: ", error.field)
    };
    anyhow::anyhow!("{}: {field}{}", path.display(), error.message)
}

/// A decision id that is the same for the same claim, module and settings.
fn local_decision_id(body: &[u8], module: &ModuleDigest, settings: &str) -> String {
    let mut input = body.to_vec();
    input.extend_from_slice(module.as_str().as_bytes());
    input.extend_from_slice(settings.as_bytes());
    let hex = arbiter::digest::sha256_hex(&input);
    format!("d-local-{}", hex.get(..16).unwrap_or(&hex))
}

/// The decision in words, for a person at a terminal.
/// What the policy wrote to stdout and stderr, indented under a heading.
fn guest_output(output: &str) -> String {
    let mut text = String::from("the policy printed:\n");
    for line in output.lines() {
        let _ = writeln!(text, "  {line}");
    }
    text
}

fn describe(decision: &DecisionResponse) -> String {
    let mut text = String::new();
    let label = |value: &dyn erased::Named| value.name();
    let _ = writeln!(
        text,
        "claim {} (revision {}): {}",
        decision.claim_id,
        decision.revision,
        label(&decision.outcome)
    );
    let _ = writeln!(
        text,
        "  risk {}, payer {}{}",
        label(&decision.risk),
        decision
            .payer
            .as_ref()
            .map_or("none".into(), |payer| label(payer)),
        decision
            .eta_days
            .map(|days| format!(", next step due in {days} days"))
            .unwrap_or_default()
    );
    let _ = writeln!(text, "actions:");
    if decision.actions.is_empty() {
        let _ = writeln!(text, "  (none)");
    }
    for action in &decision.actions {
        let _ = writeln!(text, "  {}", describe_action(action));
    }
    let _ = writeln!(text, "reasons:");
    for reason in &decision.reasons {
        let _ = writeln!(text, "  {:<8} {}", reason.rule, reason.text);
    }
    let _ = writeln!(
        text,
        "policy {} (settings version {}){}",
        decision.policy.module,
        decision.policy.settings_version,
        decision
            .failure
            .as_ref()
            .map(|failure| format!(", fell back after {failure}"))
            .unwrap_or_default()
    );
    text
}

fn describe_action(action: &Action) -> String {
    match action {
        Action::PromoCode { amount, currency } => {
            format!("promo code {}", money::format_money(*amount, currency))
        }
        Action::SorryCoupon { amount, currency } => {
            format!("sorry-coupon {}", money::format_money(*amount, currency))
        }
        Action::Refund {
            amount,
            currency,
            requires_return,
        } => format!(
            "refund {}{}",
            money::format_money(*amount, currency),
            if *requires_return {
                " once the goods are back"
            } else {
                ", goods stay with the customer"
            }
        ),
        Action::ReturnShippingRefund { amount, currency } => format!(
            "refund of return shipping {}",
            money::format_money(*amount, currency)
        ),
        Action::Escalate { note, .. } => format!("escalate to office staff: {note}"),
        Action::RequestEvidence { items } => format!("ask for evidence: {}", items.join("; ")),
        other => serde_json::to_value(other)
            .ok()
            .map(|value| {
                let mut fields = value.as_object().cloned().unwrap_or_default();
                let kind = fields
                    .remove("type")
                    .and_then(|kind| kind.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let rest: Vec<String> = fields
                    .iter()
                    .map(|(key, value)| format!("{key} {}", value.as_str().unwrap_or_default()))
                    .collect();
                if rest.is_empty() {
                    kind
                } else {
                    format!("{kind} ({})", rest.join(", "))
                }
            })
            .unwrap_or_default(),
    }
}

/// Snake-case names of the contract's enums, as they appear in JSON.
mod erased {
    pub trait Named {
        fn name(&self) -> String;
    }

    impl<T: serde::Serialize> Named for T {
        fn name(&self) -> String {
            serde_json::to_value(self)
                .ok()
                .and_then(|value| value.as_str().map(str::to_owned))
                .unwrap_or_default()
        }
    }
}
