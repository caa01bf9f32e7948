//! The input of the formatter benchmark, shared with `tests/fmt.rs`, which
//! checks that it parses and formats.

/// `n` rules of every shape, written carelessly: one line or many, two on
/// one line, comments in and around them, lists, escapes, every clause.
pub fn messy_rules(n: usize) -> String {
    let mut src = String::from("// Generated rules for the formatter benchmark.\n\n");
    let mut made = 0;
    let mut k = 0;
    while made < n {
        match k % 4 {
            0 => src.push_str(&format!(
                "/// Rule {k}: bootstrap from empty.\nallow   empty_bootstrap,deploy on cm/t{k} ,cm/p{k} until launch or 2027-01-31   issue = #0{} // why\n   confirm = \"bootstrap {{context}} {{instance}}\"\n",
                k + 1
            )),
            1 => src.push_str(&format!(
                "allow upstream_restore on opw/*\n        until   cutover\n  issue=cbusillo/launchplane#{k}\n     confirm=\"restore \\\"{{lane}}\\\"\\tfrom upstream\"\n  // a note between rules\n"
            )),
            2 if made + 1 < n => {
                src.push_str(&format!(
                    "deny backup_restore on */prod{k} reason=\"frozen\"   allow deploy on c*/x{k} until e{k}\n"
                ));
                made += 1;
            }
            2 => src.push_str(&format!(
                "deny backup_restore on */prod{k} reason=\"frozen\"\n"
            )),
            _ => src.push_str(&format!(
                "allow backup_restore on */prod // the lane\n    // proofs first\n    requires backup_proof,restore_proof issue=\"https://example.com/{k}\" until 2027-02-{:02}\n\n\n",
                k % 28 + 1
            )),
        }
        made += 1;
        k += 1;
    }
    src
}
