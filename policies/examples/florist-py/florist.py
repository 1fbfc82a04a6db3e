"""A florist's own policy, in Python: the Rust florist (../florist) line for line.

Flowers are never taken back; anything else under `promo_max` (1,000 RUB unless the
seller changes it) gets a promo code; office staff look at everything else.

`wit_world` is generated from the WIT by componentize-py (`componentize-py bindings`).
"""

import json

import wit_world
from componentize_py_types import Err
from wit_world.imports.types import (
    Action_Escalate,
    Action_PromoCode,
    Claim,
    ClaimKind,
    Decision,
    Escalation,
    EscalationTarget,
    History,
    ModuleMetadata,
    Money,
    Outcome,
    Payer,
    PolicyError_InvalidSettings,
    Reason,
    SettingsError,
)

DEFAULT_SETTINGS = {"promo_max": 100_000}

SETTINGS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "FloristSettings",
    "description": "What the florist tunes.",
    "type": "object",
    "properties": {
        "promo_max": {
            "description": "Claims worth less than this (minor units) get a promo code.",
            "type": "integer",
            "format": "int64",
            "default": DEFAULT_SETTINGS["promo_max"],
        }
    },
    "additionalProperties": False,
}

NO_DECIMALS = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
               "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"}
THREE_DECIMALS = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}


def parse_settings(text: str) -> dict:
    """The settings text parsed, with defaults for absent keys; raises Err(SettingsError)."""
    if not text.strip():
        return dict(DEFAULT_SETTINGS)
    try:
        parsed = json.loads(text)
    except ValueError as error:
        raise Err(SettingsError(None, f"settings are not a valid JSON object: {error}"))
    if not isinstance(parsed, dict):
        raise Err(SettingsError(None, "settings must be a JSON object"))
    for key in parsed:
        if key not in DEFAULT_SETTINGS:
            raise Err(SettingsError(key, f"unknown setting `{key}`"))
    settings = {**DEFAULT_SETTINGS, **parsed}
    promo_max = settings["promo_max"]
    if isinstance(promo_max, bool) or not isinstance(promo_max, (int, float)) \
            or promo_max != int(promo_max) or abs(promo_max) >= 2**63:
        raise Err(SettingsError("promo_max", "`promo_max`: must be a whole number"))
    settings["promo_max"] = int(promo_max)
    if settings["promo_max"] <= 0:
        raise Err(SettingsError("promo_max", "must be greater than 0"))
    return settings


def format_money(amount: int, currency: str) -> str:
    """Minor units for people: `format_money(35000, "RUB")` is `"350.00 RUB"`."""
    digits = 0 if currency in NO_DECIMALS else 3 if currency in THREE_DECIMALS else 2
    sign = "-" if amount < 0 else ""
    magnitude = abs(amount)
    if digits == 0:
        return f"{sign}{magnitude} {currency}"
    scale = 10**digits
    return f"{sign}{magnitude // scale}.{magnitude % scale:0{digits}d} {currency}"


def claim_value(claim: Claim) -> int:
    """The claim value in minor units: the affected units at their price."""
    total = 0
    for item in claim.items:
        price = item.unit_price
        if claim.kind == ClaimKind.INCOMPLETE_SET and item.component_price is not None:
            price = item.component_price
        total += price * item.quantity_affected
    return min(total, 2**63 - 1)


def florist_decision(claim: Claim, settings: dict) -> Decision:
    """The florist's rules."""
    currency = claim.order.currency
    value = claim_value(claim)
    worth = format_money(value, currency)
    limit = format_money(settings["promo_max"], currency)
    # What a policy prints is kept with its decision and shown by explain.
    print(f"claim {claim.claim_id}: worth {worth}, promo_max {limit}")
    if claim.kind == ClaimKind.RETURN:
        return decision(Outcome.REJECT, [], None, "FL1",
                        "flowers are perishable and are never taken back")
    if 0 < value < settings["promo_max"]:
        promo = Action_PromoCode(Money(value, currency))
        return decision(Outcome.COMPENSATE, [promo], Payer.SELLER, "FL2",
                        f"claim worth {worth}, below promo_max {limit}: promo code")
    note = f"claim worth {worth}, not below promo_max {limit}: the florist decides"
    escalation = Action_Escalate(Escalation(EscalationTarget.OFFICE_STAFF, note))
    return decision(Outcome.ESCALATE, [escalation], None, "FL3", note)


def decision(outcome, actions, payer, rule, text) -> Decision:
    return Decision(outcome, actions, payer, None, [Reason(rule, text)])


class WitWorld(wit_world.WitWorld):
    """The exports of the `compensation-policy` world."""

    def decide(self, claim: Claim, history: History, settings: str) -> Decision:
        try:
            parsed = parse_settings(settings)
        except Err as error:
            raise Err(PolicyError_InvalidSettings(error.value))
        return florist_decision(claim, parsed)

    def validate_settings(self, settings: str) -> None:
        parse_settings(settings)

    def settings_schema(self) -> str:
        return json.dumps(SETTINGS_SCHEMA)

    def metadata(self) -> ModuleMetadata:
        return ModuleMetadata("florist", "0.1.0", ["FL1", "FL2", "FL3"])
