//! Feedback from the marketplace on a decision, once its claim is closed: accepted as
//! decided, or overridden with what was done instead. One per decision (the same again
//! is a no-op; something else is a conflict), kept with the module and settings version
//! that decided, so each version's override rate can be read.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Service, ServiceError};
use crate::clock::now_ms;
use crate::contract::{FieldError, Outcome};
use crate::ledger::{Feedback, VersionFeedback};

/// The longest note kept, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;

/// What the marketplace says of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Accepted,
    Overridden,
}

/// Feedback as given.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackInput {
    #[serde(rename = "final")]
    pub verdict: Verdict,
    /// What was decided in the end, when overridden.
    #[serde(default)]
    pub final_outcome: Option<Outcome>,
    /// Minor units given in the end, per currency.
    #[serde(default)]
    #[schema(value_type = Option<crate::contract::Money>)]
    pub final_money: Option<BTreeMap<String, i64>>,
    /// At most 2,000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

impl Service {
    /// Records `input` on `decision_id`; the feedback stored and whether it is new. The
    /// same feedback again changes nothing; other feedback is a conflict.
    pub async fn give_feedback(
        &self,
        decision_id: &str,
        input: FeedbackInput,
        by: &str,
    ) -> Result<(Feedback, bool), ServiceError> {
        check(&input)?;
        let decision = self.decision(decision_id).await?;
        let feedback = Feedback {
            decision_id: decision.decision_id,
            shop_id: decision.shop_id,
            module_digest: decision.module_digest,
            settings_version: decision.settings_version,
            verdict: crate::ledger::label(&input.verdict),
            final_outcome: input.final_outcome.as_ref().map(crate::ledger::label),
            final_money_json: input
                .final_money
                .as_ref()
                .map(|money| serde_json::to_string(money).map_err(ServiceError::Encode))
                .transpose()?,
            note: input.note,
            given_by: by.to_owned(),
            given_at_ms: now_ms(),
        };
        let (stored, new) = self.ledger.put_feedback(&feedback).await?;
        if !new && !stored.says_the_same(&feedback) {
            return Err(ServiceError::FeedbackConflict(decision_id.to_owned()));
        }
        Ok((stored, new))
    }

    /// The feedback on `decision_id`, if any.
    pub async fn feedback(&self, decision_id: &str) -> Result<Option<Feedback>, ServiceError> {
        Ok(self.ledger.feedback(decision_id).await?)
    }

    /// Per module and settings version of `shop_id`: decisions, feedback, overrides.
    pub async fn feedback_by_version(
        &self,
        shop_id: &str,
    ) -> Result<Vec<VersionFeedback>, ServiceError> {
        Ok(self.ledger.feedback_by_version(shop_id).await?)
    }
}

fn check(input: &FeedbackInput) -> Result<(), FieldError> {
    for (currency, amount) in input.final_money.iter().flatten() {
        let field = format!("final_money.{currency}");
        if currency.len() != 3 || !currency.bytes().all(|byte| byte.is_ascii_uppercase()) {
            return Err(FieldError::new(
                field,
                "a currency is three capital letters (ISO 4217)",
            ));
        }
        if !(0..=crate::contract::MAX_AMOUNT).contains(amount) {
            return Err(FieldError::new(
                field,
                format!(
                    "an amount is minor units, from 0 to {}",
                    crate::contract::MAX_AMOUNT
                ),
            ));
        }
    }
    if input
        .note
        .as_ref()
        .is_some_and(|note| note.chars().count() > MAX_NOTE_CHARS)
    {
        return Err(FieldError::new(
            "note",
            format!("a note is at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    Ok(())
}
