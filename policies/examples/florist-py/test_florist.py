"""The florist's rules, run in CPython without building Wasm (`python -m unittest`).

The `wit_world` bindings are generated from the WIT first, as `componentize-py` would.
"""

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
WIT = os.environ.get("ARBITER_WIT", os.path.join(HERE, "wit"))
if not os.path.isdir(WIT):
    WIT = os.path.join(HERE, "..", "..", "..", "wit", "policy@0.1.0")
BINDINGS = tempfile.mkdtemp(prefix="florist-bindings-")
BESIDE = os.path.join(os.path.dirname(sys.executable), "componentize-py")
subprocess.run(
    [BESIDE if os.path.exists(BESIDE) else "componentize-py", "-d", WIT, "-w", "compensation-policy", "bindings", BINDINGS],
    check=True, capture_output=True,
)
sys.path.insert(0, BINDINGS)

from componentize_py_types import Err  # noqa: E402
from wit_world.imports import types  # noqa: E402

import florist  # noqa: E402


def claim(kind, unit_price):
    order = types.Order("o-1", "RUB", unit_price, 1_700_000_000_000, None,
                        types.Fulfilment.THIRD_PARTY, types.Courier.PLATFORM)
    item = types.Item("rose", "Roses", unit_price, 1, 1, None, "flowers")
    evidence = types.Evidence([], None, None, [])
    confirmations = types.Confirmations(None, None, None, None, None)
    reply = types.CustomerReply(None, None, None, None)
    return types.Claim("c-1", 1, "florist-shop", 1_700_000_000_000, 1_700_000_000_000, kind,
                       None, None, order, [item], types.Customer("u-1", 0), evidence,
                       confirmations, types.ReturnShipment(None, None), reply, False, None, None)


HISTORY = types.History([], [], False)


def decide(kind, unit_price, settings=""):
    return florist.WitWorld().decide(claim(kind, unit_price), HISTORY, settings)


class FloristTest(unittest.TestCase):
    def test_cheap_claims_get_a_promo_code_of_their_value(self):
        decision = decide(types.ClaimKind.DAMAGED, 99_999)
        self.assertEqual(decision.outcome, types.Outcome.COMPENSATE)
        self.assertEqual(decision.actions, [types.Action_PromoCode(types.Money(99_999, "RUB"))])
        self.assertEqual(decision.payer, types.Payer.SELLER)
        self.assertEqual(decision.reasons[0].text,
                         "claim worth 999.99 RUB, below promo_max 1000.00 RUB: promo code")

    def test_claims_at_the_limit_go_to_the_florist(self):
        decision = decide(types.ClaimKind.WRONG_ITEM, 100_000)
        self.assertEqual(decision.outcome, types.Outcome.ESCALATE)
        self.assertEqual([reason.rule for reason in decision.reasons], ["FL3"])
        self.assertIsInstance(decision.actions[0], types.Action_Escalate)
        self.assertIsNone(decision.payer)

    def test_flowers_are_never_returned(self):
        self.assertEqual(decide(types.ClaimKind.RETURN, 5_000).outcome, types.Outcome.REJECT)

    def test_the_limit_is_a_setting_checked_by_name(self):
        decision = decide(types.ClaimKind.DAMAGED, 35_000, '{"promo_max": 30000}')
        self.assertEqual(decision.outcome, types.Outcome.ESCALATE)
        for text, key in [('{"promo_max": 0}', "promo_max"), ('{"promo_min": 1}', "promo_min")]:
            with self.assertRaises(Err) as refused:
                florist.WitWorld().validate_settings(text)
            self.assertEqual(refused.exception.value.key, key)
        with self.assertRaises(Err) as refused:
            decide(types.ClaimKind.DAMAGED, 1, "[]")
        self.assertIsInstance(refused.exception.value, types.PolicyError_InvalidSettings)

    def test_the_schema_and_metadata_describe_the_module(self):
        import json
        schema = json.loads(florist.WitWorld().settings_schema())
        self.assertEqual(schema["properties"]["promo_max"]["default"], 100_000)
        self.assertEqual(florist.WitWorld().metadata().rules, ["FL1", "FL2", "FL3"])
        self.assertEqual(florist.format_money(1_500, "KWD"), "1.500 KWD")
        self.assertEqual(florist.format_money(-250, "RUB"), "-2.50 RUB")


if __name__ == "__main__":
    unittest.main()
