#!/usr/bin/env python3
"""Writes a Cedar policy set equivalent to `examples/gen_policies.rs`
(RULES permits over LANES lanes, each with a phrase and a retirement date),
with a schema, so `cedar validate` can be timed beside `lanepolicy check`.

    python3 benches/peers/cedar_equivalent.py DIR [RULES] [LANES]
    hyperfine -N 'lanepolicy check DIR' \
        'cedar validate --schema DIR/lanes.cedarschema --policies DIR/policies.cedar'
"""
import os
import sys

def main():
    out = sys.argv[1]
    rules = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    lanes = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    products = min(50, max(lanes, 1))
    per_product = -(-lanes // products)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "lanes.cedarschema"), "w") as f:
        f.write("""entity Operator;
entity Product = { launched: Bool, cutover: Bool };
entity Lane in [Product] = { production: Bool, phase: String, data_authority: String };
action empty_bootstrap, upstream_restore, deploy appliesTo {
  principal: Operator,
  resource: Lane,
  context: { confirm: String, now: Long }
};
""")
    with open(os.path.join(out, "policies.cedar"), "w") as f:
        for r in range(rules):
            p = r % products
            l = (r // products) % per_product
            action = ["empty_bootstrap", "upstream_restore", "deploy"][r % 3]
            day = 1 + r % 28
            f.write(
                f'// Rule {r}, issue #{1000 + r}.\n'
                f'@id("rule-{r}")\n'
                f'permit (principal, action == Action::"{action}", resource == Lane::"ctx{p}/lane{l}")\n'
                f'when {{\n'
                f'  context.confirm == "{action} ctx{p}/lane{l} {r}" &&\n'
                f'  context.now < {4070908800 + day * 86400} &&\n'
                f'  resource in Product::"product-{p}" &&\n'
                f'  !Product::"product-{p}".launched\n'
                f'}};\n\n'
            )

if __name__ == "__main__":
    main()
