//! The policy as a graph (`lanepolicy graph`): issues -> rules -> lanes ->
//! actions, printed as Graphviz DOT.
//!
//! An issue approves rules; a rule allows or denies on lanes; a lane is
//! granted (or refused) actions, each edge naming the rule that says so.
//! The output is deterministic: nodes and edges are added in sorted order
//! and printed in that order, with stable node names (`issue:<url>`,
//! `rule:<id>`, `lane:<key>`, `action:<name>`).

use crate::bundle::{Bundle, IssueLink, Rule};
use crate::model::Effect;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::Dfs;
use std::collections::{BTreeMap, BTreeSet};

/// A node of the policy graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// An approval issue.
    Issue {
        /// As first written.
        reference: String,
        /// Resolved URL (the node's identity).
        url: String,
    },
    /// A rule.
    Rule {
        /// Its id.
        id: String,
        /// Allow or deny.
        effect: Effect,
        /// `path:line`.
        at: String,
        /// Retirement, events then dates.
        until: Vec<String>,
    },
    /// A lane.
    Lane {
        /// `context/instance`.
        key: String,
        /// `production` or not, and the phase.
        state: String,
    },
    /// An action.
    Action(String),
}

impl Node {
    /// The stable DOT name of the node.
    pub(crate) fn name(&self) -> String {
        match self {
            Node::Issue { url, .. } => format!("issue:{url}"),
            Node::Rule { id, .. } => format!("rule:{id}"),
            Node::Lane { key, .. } => format!("lane:{key}"),
            Node::Action(a) => format!("action:{a}"),
        }
    }
}

/// An edge: which rule it comes from, and whether it allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// The rule behind the edge.
    pub rule: String,
    /// Allow or deny.
    pub effect: Effect,
}

/// The policy graph of a bundle.
#[derive(Clone, Debug)]
pub struct PolicyGraph {
    pub(crate) graph: DiGraph<Node, Edge>,
}

/// Whether `wanted` (`573`, `#573`, `owner/repo#573` or a URL) names `link`.
/// Numbers compare as numbers (`#0573` is `#573`); `owner/repo#N` names the
/// GitHub issue `https://github.com/owner/repo/issues/N`; a bare number or
/// `#N` names the rules that wrote `#N`.
pub(crate) fn issue_matches(wanted: &str, link: &IssueLink) -> bool {
    let wanted = wanted.trim();
    let same_url = |url: &str| url.trim_end_matches('/') == link.url.trim_end_matches('/');
    if wanted == link.reference || same_url(wanted) {
        return true;
    }
    let number = |s: &str| {
        (!s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    if let Some((repo, n)) = wanted.rsplit_once('#')
        && repo.contains('/')
        && let Some(n) = number(n)
    {
        return same_url(&format!("https://github.com/{repo}/issues/{n}"));
    }
    let (Some(n), Some(written)) = (
        number(wanted.trim_start_matches('#')),
        link.reference.strip_prefix('#').and_then(number),
    ) else {
        return false;
    };
    n == written
}

impl PolicyGraph {
    /// The whole graph: every issue, rule, lane and action of the bundle.
    pub fn new(bundle: &Bundle) -> PolicyGraph {
        let mut graph = DiGraph::new();
        let mut issues: BTreeMap<&str, &IssueLink> = BTreeMap::new();
        for r in &bundle.rules {
            if let Some(i) = &r.issue {
                issues.entry(i.url.trim_end_matches('/')).or_insert(i);
            }
        }
        let issue_nodes: BTreeMap<&str, NodeIndex> = issues
            .iter()
            .map(|(url, i)| {
                (
                    *url,
                    graph.add_node(Node::Issue {
                        reference: i.reference.clone(),
                        url: i.url.clone(),
                    }),
                )
            })
            .collect();
        let mut rules: Vec<&Rule> = bundle.rules.iter().collect();
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        let rule_nodes: Vec<(NodeIndex, &Rule)> = rules
            .into_iter()
            .map(|r| {
                let node = graph.add_node(Node::Rule {
                    id: r.id.clone(),
                    effect: r.effect,
                    at: format!("{}:{}", r.source.path, r.source.line),
                    until: r
                        .until
                        .events
                        .iter()
                        .chain(&r.until.dates)
                        .cloned()
                        .collect(),
                });
                (node, r)
            })
            .collect();
        let lane_nodes: BTreeMap<&str, NodeIndex> = bundle
            .lanes
            .iter()
            .map(|(key, l)| {
                let state = format!(
                    "{}, {}",
                    if l.production {
                        "production"
                    } else {
                        "not production"
                    },
                    l.phase.as_str()
                );
                (
                    key.as_str(),
                    graph.add_node(Node::Lane {
                        key: key.clone(),
                        state,
                    }),
                )
            })
            .collect();
        let action_nodes: BTreeMap<&str, NodeIndex> = bundle
            .actions
            .keys()
            .map(|a| (a.as_str(), graph.add_node(Node::Action(a.clone()))))
            .collect();
        for (node, r) in &rule_nodes {
            let edge = Edge {
                rule: r.id.clone(),
                effect: r.effect,
            };
            if let Some(i) = r
                .issue
                .as_ref()
                .and_then(|i| issue_nodes.get(i.url.trim_end_matches('/')))
            {
                graph.add_edge(*i, *node, edge.clone());
            }
            for lane in &r.lanes {
                let Some(&l) = lane_nodes.get(lane.as_str()) else {
                    continue;
                };
                graph.add_edge(*node, l, edge.clone());
            }
        }
        // Lane -> action edges, by lane, action, then rule.
        let mut grants: BTreeSet<(&str, &str, &str, Effect)> = BTreeSet::new();
        for (_, r) in &rule_nodes {
            for lane in &r.lanes {
                for action in &r.actions {
                    grants.insert((lane.as_str(), action.as_str(), r.id.as_str(), r.effect));
                }
            }
        }
        for (lane, action, rule, effect) in grants {
            if let (Some(&l), Some(&a)) = (lane_nodes.get(lane), action_nodes.get(action)) {
                graph.add_edge(
                    l,
                    a,
                    Edge {
                        rule: rule.to_string(),
                        effect,
                    },
                );
            }
        }
        PolicyGraph { graph }
    }

    /// The part of the graph that one issue approves: the issue, its rules,
    /// the lanes they name and the actions they grant or deny there. `None`
    /// when no rule cites the issue.
    pub fn for_issue(&self, wanted: &str) -> Option<PolicyGraph> {
        let g = &self.graph;
        let roots: Vec<NodeIndex> = g
            .node_indices()
            .filter(|&n| match &g[n] {
                Node::Issue { reference, url } => issue_matches(
                    wanted,
                    &IssueLink {
                        reference: reference.clone(),
                        url: url.clone(),
                    },
                ),
                _ => false,
            })
            .collect();
        if roots.is_empty() {
            return None;
        }
        // The rules the issue approves, then everything reachable from them
        // along their own edges.
        let rules: BTreeSet<String> = roots
            .iter()
            .flat_map(|&i| g.edges(i))
            .map(|e| e.weight().rule.clone())
            .collect();
        let mut keep: BTreeSet<NodeIndex> = BTreeSet::new();
        for &root in &roots {
            let mut dfs = Dfs::new(g, root);
            while let Some(n) = dfs.next(g) {
                keep.insert(n);
            }
        }
        let graph = g.filter_map(
            |n, node| keep.contains(&n).then(|| node.clone()),
            |e, edge| {
                let (a, b) = g.edge_endpoints(e)?;
                (keep.contains(&a) && keep.contains(&b) && rules.contains(&edge.rule))
                    .then(|| edge.clone())
            },
        );
        // Actions reached only through other rules' edges are dropped.
        let graph = graph.filter_map(
            |n, node| match node {
                Node::Action(_) => graph
                    .edges_directed(n, petgraph::Direction::Incoming)
                    .next()
                    .map(|_| node.clone()),
                _ => Some(node.clone()),
            },
            |_, edge| Some(edge.clone()),
        );
        Some(PolicyGraph { graph })
    }

    /// How many nodes and edges.
    pub fn size(&self) -> (usize, usize) {
        (self.graph.node_count(), self.graph.edge_count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(reference: &str, url: &str) -> IssueLink {
        IssueLink {
            reference: reference.into(),
            url: url.into(),
        }
    }

    #[test]
    fn issues_are_matched_by_number_reference_or_url() {
        let l = link("#573", "https://github.com/cbusillo/launchplane/issues/573");
        for wanted in [
            "573",
            "#573",
            " #573 ",
            "https://github.com/cbusillo/launchplane/issues/573",
            "https://github.com/cbusillo/launchplane/issues/573/",
        ] {
            assert!(issue_matches(wanted, &l), "{wanted}");
        }
        for wanted in [
            "#0573",
            "cbusillo/launchplane#573",
            "cbusillo/launchplane#0573",
        ] {
            assert!(issue_matches(wanted, &l), "{wanted}");
        }
        for wanted in ["57", "#5730", "other/repo#573", ""] {
            assert!(!issue_matches(wanted, &l), "{wanted}");
        }
        let full = link(
            "cbusillo/launchplane#600",
            "https://github.com/cbusillo/launchplane/issues/600",
        );
        assert!(issue_matches("cbusillo/launchplane#600", &full));
        assert!(!issue_matches("600", &full));
    }
}
