//! The policy graph as Graphviz DOT (`graph`): issues, rules, lanes and
//! actions as nodes, every label quoted (`quote`) so that policy text
//! cannot end a string or a line of the DOT source.

use crate::graph::{Node, PolicyGraph};
use crate::model::Effect;
use petgraph::visit::EdgeRef;

impl PolicyGraph {
    /// The graph in Graphviz DOT.
    pub fn to_dot(&self) -> String {
        let g = &self.graph;
        let mut s = String::from(
            "digraph lanepolicy {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
        );
        for n in g.node_indices() {
            let node = &g[n];
            let (shape, label, extra) = match node {
                Node::Issue { reference, url } if reference == url => ("note", url.clone(), ""),
                Node::Issue { reference, url } => ("note", format!("{reference}\n{url}"), ""),
                Node::Rule {
                    id,
                    effect,
                    at,
                    until,
                } => {
                    let mut label = format!("{} {id}\n{at}", effect.as_str());
                    if !until.is_empty() {
                        label.push_str(&format!("\nuntil {}", until.join(" or ")));
                    }
                    (
                        "box",
                        label,
                        if *effect == Effect::Deny {
                            ", color=\"red\""
                        } else {
                            ""
                        },
                    )
                }
                Node::Lane { key, state } => ("ellipse", format!("{key}\n{state}"), ""),
                Node::Action(a) => ("hexagon", a.clone(), ""),
            };
            s.push_str(&format!(
                "  {} [shape={shape}, label={}{extra}];\n",
                quote(&node.name()),
                quote(&label)
            ));
        }
        for e in g.edge_references() {
            let (a, b) = (&g[e.source()], &g[e.target()]);
            let w = e.weight();
            let attrs = match (a, b) {
                (Node::Issue { .. }, _) => String::new(),
                (Node::Rule { .. }, _) => format!(" [label={}]", quote(w.effect.as_str())),
                _ => format!(
                    " [label={}{}]",
                    quote(&w.rule),
                    if w.effect == Effect::Deny {
                        ", style=dashed, color=\"red\""
                    } else {
                        ""
                    }
                ),
            };
            s.push_str(&format!(
                "  {} -> {}{attrs};\n",
                quote(&a.name()),
                quote(&b.name())
            ));
        }
        s.push_str("}\n");
        s
    }
}

/// A DOT string literal.
fn quote(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 2);
    s.push('"');
    for c in text.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            c if c.is_control() => {}
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn dot_strings_are_escaped() {
        assert_eq!(quote("a \"b\"\\\nc\u{7}"), "\"a \\\"b\\\"\\\\\\nc\"");
    }
}
