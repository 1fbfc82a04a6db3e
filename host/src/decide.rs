//! One decision, start to end: the fraud screen, the shop's policy, the envelope, and
//! the answer in the contract's shape. Used by the CLI and the HTTP service alike.

use crate::contract::{
    Action, DecisionRequest, DecisionResponse, PolicyMode, PolicyRef, Reason, Risk,
};
use crate::convert;
use crate::engine::{CompensationModule, FraudModule, GuestFailure, GuestFailureKind};
use crate::envelope::{self, Draft, Violation, ViolationKind};
use crate::guardrails::Guardrails;
use crate::history::CustomerHistory;
use crate::world::types as w;

/// The modules and settings that decide a shop's claims.
#[derive(Debug, Clone, Copy)]
pub struct ShopPolicy<'a> {
    pub fraud: &'a FraudModule,
    /// The fraud screen's own settings, JSON text.
    pub fraud_settings: &'a str,
    pub compensation: &'a CompensationModule,
    /// The shop's compensation settings, JSON text.
    pub settings: &'a str,
    pub settings_version: u64,
    pub mode: PolicyMode,
    /// The operator's spending caps.
    pub guardrails: Guardrails,
    /// What decides when the shop's module fails: none sends the claim to office staff
    /// (`fail_closed`); a module and settings answer instead (the platform's default).
    pub fallback: Option<Fallback<'a>>,
    /// Set when the shop's module is suspended (it kept exhausting its limits): it is
    /// not called, and the failure policy answers at once. Says why, for the record.
    pub suspended: Option<&'a str>,
}

/// The policy that answers when the shop's module fails.
#[derive(Debug, Clone, Copy)]
pub struct Fallback<'a> {
    pub module: &'a CompensationModule,
    pub settings: &'a str,
}

/// A decision and what went into it, for the ledger and for explaining it.
#[derive(Debug, Clone)]
pub struct Decided {
    pub response: DecisionResponse,
    /// The fraud signals that fired (also among the response's reasons).
    pub signals: Vec<Reason>,
    /// The history the policies saw.
    pub history: w::History,
    /// The module failure the host fell back from, when one happened.
    pub failure: Option<GuestFailure>,
    /// Whether the fallback policy answered instead of the shop's module.
    pub fell_back: bool,
    /// Whether the shop's module was called: not when the fraud screen decided, nor
    /// while the module is suspended.
    pub shop_module_called: bool,
    /// What the shop's module wrote to stdout and stderr (capped), if anything.
    pub guest_output: Option<String>,
    /// How long the compensation policy ran (with its fallback), and then the
    /// envelope: for the metrics, never part of the answer.
    pub policy_time: std::time::Duration,
    pub envelope_time: std::time::Duration,
}

/// What the fraud screen made of a claim, with the claim and history as the policies see
/// them: worked out once per claim, and shared by the serving and the shadow policy.
#[derive(Debug, Clone)]
pub struct Screened {
    claim: w::Claim,
    history: w::History,
    spending: crate::history::Spending,
    assessment: Result<w::Assessment, Failure>,
}

/// Runs the fraud screen on `request`, given the customer's `history`. The screen also
/// sees the shop's settings (`shop_settings`, JSON text).
pub fn screen(
    fraud: &FraudModule,
    fraud_settings: &str,
    shop_settings: &str,
    request: &DecisionRequest,
    history: &CustomerHistory,
) -> Screened {
    let claim = convert::claim(request);
    let spending = history.spending;
    let history = convert::history(history, request);
    let assessment = fraud
        .assess(&claim, &history, fraud_settings, shop_settings)
        .map_err(Failure::Guest)
        .and_then(|answer| match answer {
            Ok(assessment) => {
                envelope::check_assessment(&assessment, request, &fraud.limits().output)
                    .map(|()| assessment)
                    .map_err(|violation| Failure::violation(fraud, violation))
            }
            Err(error) => Err(Failure::Declined(policy_error_text(&error))),
        });
    Screened {
        claim,
        history,
        spending,
        assessment,
    }
}

impl Screened {
    /// `request` screened already: the screen's recorded `assessment` stands, and the
    /// screen is not run.
    pub fn recorded(
        request: &DecisionRequest,
        history: &CustomerHistory,
        assessment: w::Assessment,
    ) -> Self {
        Self {
            claim: convert::claim(request),
            history: convert::history(history, request),
            spending: history.spending,
            assessment: Ok(assessment),
        }
    }

    /// The screen's answer, when it gave a usable one: what the ledger records.
    pub fn assessment(&self) -> Option<&w::Assessment> {
        self.assessment.as_ref().ok()
    }
}

/// Decides `request` with `policy`, given the customer's `history`: the fraud screen,
/// then the shop's policy.
pub fn decide(
    policy: ShopPolicy<'_>,
    request: &DecisionRequest,
    history: &CustomerHistory,
    decision_id: String,
) -> Decided {
    let screened = screen(
        policy.fraud,
        policy.fraud_settings,
        policy.settings,
        request,
        history,
    );
    decide_screened(policy, &screened, request, decision_id)
}

/// Decides `request` with `policy`, after the fraud screen already `screened` it.
pub fn decide_screened(
    policy: ShopPolicy<'_>,
    screened: &Screened,
    request: &DecisionRequest,
    decision_id: String,
) -> Decided {
    let (claim, history, spending) = (&screened.claim, &screened.history, screened.spending);
    let mut fell_back = false;
    let mut shop_module_called = false;
    let mut guest_output = None;
    let mut policy_time = std::time::Duration::ZERO;
    let (risk, signals, draft, extra_actions, failure) = match &screened.assessment {
        Ok(assessment) => {
            let risk = convert::risk(assessment.risk);
            let signals: Vec<Reason> = assessment
                .signals
                .iter()
                .map(|signal| Reason::new(signal.rule.clone(), signal.text.clone()))
                .collect();
            let extra: Vec<Action> = assessment
                .extra_actions
                .iter()
                .map(convert::action)
                .collect();
            let (draft, failure) = match &assessment.platform_decision {
                Some(decision) => (Draft::from_module(decision), None),
                None => {
                    let started = std::time::Instant::now();
                    let run = run_policy(policy, claim, history, request);
                    policy_time = started.elapsed();
                    fell_back = run.fell_back;
                    shop_module_called = run.called;
                    guest_output = run.output;
                    (run.draft, run.failure)
                }
            };
            (risk, signals, draft, extra, failure)
        }
        Err(failure) => {
            let draft = Draft::escalate(
                "E0",
                format!(
                    "the fraud screen gave no usable answer ({}); office staff decide",
                    failure.summary()
                ),
            );
            (
                Risk::None,
                Vec::new(),
                draft,
                Vec::new(),
                failure.clone().into_guest(),
            )
        }
    };

    let envelope_started = std::time::Instant::now();
    let mut draft = envelope::apply_guardrails(draft, risk, request, spending, policy.guardrails);
    for action in extra_actions {
        if !draft.actions.contains(&action) {
            draft.actions.push(action);
        }
    }
    let mut reasons = signals.clone();
    reasons.extend(draft.reasons);

    let response = DecisionResponse {
        decision_id,
        claim_id: request.claim_id.clone(),
        revision: request.revision,
        outcome: draft.outcome,
        actions: draft.actions,
        payer: draft.payer,
        eta_days: draft.eta_days,
        risk,
        reasons,
        policy: match (fell_back, policy.fallback) {
            // The platform's default answered: its module, the defaults (version 0).
            (true, Some(fallback)) => PolicyRef {
                module: fallback.module.digest().to_string(),
                settings_version: 0,
                mode: policy.mode,
            },
            _ => PolicyRef {
                module: policy.compensation.digest().to_string(),
                settings_version: policy.settings_version,
                mode: policy.mode,
            },
        },
        fallback_applied: failure.is_some(),
        failure: failure
            .as_ref()
            .map(|failure| failure.kind.code().to_owned()),
    };
    Decided {
        response,
        signals,
        history: history.clone(),
        failure,
        fell_back,
        shop_module_called,
        guest_output,
        policy_time,
        envelope_time: envelope_started.elapsed(),
    }
}

/// Asks `module` and checks its answer; also gives what the module wrote meanwhile.
fn ask(
    module: &CompensationModule,
    settings: &str,
    claim: &w::Claim,
    history: &w::History,
    request: &DecisionRequest,
) -> (Result<w::Decision, Failure>, Option<String>) {
    let called = module.decide_capturing(claim, history, settings);
    let answer = called
        .result
        .map_err(Failure::Guest)
        .and_then(|answer| match answer {
            Ok(decision) => envelope::check_decision(&decision, request, &module.limits().output)
                .map(|()| decision)
                .map_err(|violation| Failure::violation(module, violation)),
            Err(error) => Err(Failure::Declined(policy_error_text(&error))),
        });
    (answer, called.output)
}

/// What asking the shop's policy came to.
struct PolicyRun {
    draft: Draft,
    /// The shop's module's failure, when it had one.
    failure: Option<GuestFailure>,
    /// Whether the platform's default answered instead.
    fell_back: bool,
    /// Whether the shop's module was called (it is not while suspended).
    called: bool,
    /// What the shop's module wrote to stdout and stderr.
    output: Option<String>,
}

/// Asks the shop's policy. A refusal sends the claim to office staff; a failure too,
/// unless the shop falls back to the platform's default, which then answers.
fn run_policy(
    policy: ShopPolicy<'_>,
    claim: &w::Claim,
    history: &w::History,
    request: &DecisionRequest,
) -> PolicyRun {
    let called = policy.suspended.is_none();
    let (answer, output) = match policy.suspended {
        Some(why) => (
            Err(Failure::Guest(GuestFailure {
                module: policy.compensation.digest().clone(),
                kind: GuestFailureKind::ModuleSuspended,
                detail: why.to_owned(),
            })),
            None,
        ),
        None => ask(
            policy.compensation,
            policy.settings,
            claim,
            history,
            request,
        ),
    };
    let (draft, failure, fell_back) = match answer {
        Ok(decision) => (Draft::from_module(&decision), None, false),
        Err(Failure::Declined(text)) => (
            Draft::escalate(
                "R11",
                format!("the shop's policy could not decide this claim: {text}"),
            ),
            None,
            false,
        ),
        Err(failure) => {
            let summary = failure.summary();
            match policy.fallback.and_then(|fallback| {
                ask(fallback.module, fallback.settings, claim, history, request)
                    .0
                    .ok()
            }) {
                Some(decision) => {
                    let mut draft = Draft::from_module(&decision);
                    draft.reasons.push(Reason::new(
                        "E0",
                        format!(
                            "the shop's policy {} gave no usable answer ({summary}); the platform's default policy decided",
                            policy.compensation.digest()
                        ),
                    ));
                    (draft, failure.into_guest(), true)
                }
                None => {
                    let draft = Draft::escalate(
                        "E0",
                        format!(
                            "the shop's policy gave no usable answer ({summary}); office staff decide"
                        ),
                    );
                    (draft, failure.into_guest(), false)
                }
            }
        }
    };
    PolicyRun {
        draft,
        failure,
        fell_back,
        called,
        output,
    }
}

/// Why a module's answer was not used.
#[derive(Debug, Clone)]
enum Failure {
    /// The module broke down or broke the contract.
    Guest(GuestFailure),
    /// The module answered with its own `policy-error`.
    Declined(String),
}

impl Failure {
    fn violation(module: &impl HasDigest, violation: Violation) -> Self {
        Self::Guest(GuestFailure {
            module: module.digest_clone(),
            kind: match violation.kind {
                ViolationKind::InvalidDecision => GuestFailureKind::InvalidDecision,
                ViolationKind::OutputTooLarge => GuestFailureKind::OutputTooLarge,
            },
            detail: violation.detail,
        })
    }

    fn summary(&self) -> String {
        match self {
            Self::Guest(failure) => failure.kind.code().to_owned(),
            Self::Declined(text) => format!("declined: {text}"),
        }
    }

    fn into_guest(self) -> Option<GuestFailure> {
        match self {
            Self::Guest(failure) => Some(failure),
            Self::Declined(_) => None,
        }
    }
}

trait HasDigest {
    fn digest_clone(&self) -> crate::engine::ModuleDigest;
}

impl HasDigest for CompensationModule {
    fn digest_clone(&self) -> crate::engine::ModuleDigest {
        self.digest().clone()
    }
}

impl HasDigest for FraudModule {
    fn digest_clone(&self) -> crate::engine::ModuleDigest {
        self.digest().clone()
    }
}

fn policy_error_text(error: &w::PolicyError) -> String {
    match error {
        w::PolicyError::InvalidSettings(settings) => match &settings.key {
            Some(key) => format!("invalid setting `{key}`: {}", settings.message),
            None => format!("invalid settings: {}", settings.message),
        },
        w::PolicyError::Unsupported(text) => format!("unsupported: {text}"),
        w::PolicyError::Internal(text) => format!("internal error: {text}"),
    }
}
