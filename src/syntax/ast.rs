//! The syntax tree of a policy file: what was written, with spans, and no
//! meaning. Names are not resolved here; a clause written twice is kept twice
//! (the checker reports E105).

pub use crate::model::Effect;
use crate::source::Span;

/// A parsed policy file: its rules, its comments, and its syntax errors.
/// Parsing never fails: it returns whatever rules it could read.
#[derive(Debug, Clone, Default)]
pub struct File {
    /// Rules in source order.
    pub rules: Vec<Rule>,
    /// Every `//` and `///` comment, in source order (kept for the formatter).
    pub comments: Vec<Comment>,
    /// Syntax errors, in source order.
    pub errors: Vec<SyntaxError>,
    /// Syntax errors past the cap (`parser::MAX_SYNTAX_ERRORS`) that the
    /// last of `errors` counts besides itself; 0 under the cap.
    pub hidden_errors: usize,
    /// The `deny` keyword of each rule that starts with it but does not
    /// parse: a file the configuration leaves out is not compiled, and a
    /// freeze in it must still be reported (L019) when it is broken.
    pub broken_denies: Vec<Span>,
}

/// A comment and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The text after `//` (or `///`), up to the line end, without one
    /// leading space and without trailing spaces or tabs.
    pub text: String,
    /// True for a comment written `///` (exactly three slashes). Whether it
    /// describes a rule depends on where it stands (see [`Rule::doc`]).
    pub doc: bool,
    /// The whole comment, slashes included, up to the line end.
    pub span: Span,
}

/// A syntax error with its wording (rendered as E001).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where it is.
    pub span: Span,
    /// What is wrong.
    pub message: String,
    /// Text under the span.
    pub label: Option<String>,
    /// What to do.
    pub help: Option<String>,
}

/// An identifier and its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// The name as written.
    pub name: String,
    /// Where.
    pub span: Span,
}

/// A lane pattern `context/instance`; either segment may contain `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The context segment as written (`cm`, `*`, `c*`).
    pub context: String,
    /// The instance segment as written.
    pub instance: String,
    /// The whole pattern.
    pub span: Span,
}

impl Pattern {
    /// The pattern as written, `context/instance`.
    pub fn text(&self) -> String {
        format!("{}/{}", self.context, self.instance)
    }

    /// True when either segment has a `*`.
    pub fn is_glob(&self) -> bool {
        self.context.contains('*') || self.instance.contains('*')
    }
}

/// One `until` condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retire {
    /// An event of the lane's product, e.g. `launch`.
    Event(Ident),
    /// A calendar date (UTC); the rule stays active through the end of that day.
    Date {
        /// The date.
        date: jiff::civil::Date,
        /// Where.
        span: Span,
    },
}

impl Retire {
    /// Where the condition is written.
    pub fn span(&self) -> Span {
        match self {
            Retire::Event(i) => i.span,
            Retire::Date { span, .. } => *span,
        }
    }
}

/// An issue reference as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueRef {
    /// `#573`: resolved against the inventory's `issues` base URL.
    Local(u64),
    /// `owner/repo#573`: a GitHub issue.
    GitHub {
        /// Repository owner.
        owner: String,
        /// Repository name.
        repo: String,
        /// Issue number.
        number: u64,
    },
    /// A quoted `https://` URL.
    Url(String),
}

/// A string literal, unescaped, and its span (quotes included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringLit {
    /// The value after unescaping.
    pub value: String,
    /// Where, quotes included.
    pub span: Span,
}

/// The payload of one clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClauseKind {
    /// `until retire { or retire }`
    Until(Vec<Retire>),
    /// `issue=REF`
    Issue(IssueRef, Span),
    /// `confirm="template"`
    Confirm(StringLit),
    /// `requires proof, ...`
    Requires(Vec<Ident>),
    /// `reason="text"`
    Reason(StringLit),
}

impl ClauseKind {
    /// The clause keyword.
    pub fn keyword(&self) -> &'static str {
        match self {
            ClauseKind::Until(_) => "until",
            ClauseKind::Issue(..) => "issue",
            ClauseKind::Confirm(_) => "confirm",
            ClauseKind::Requires(_) => "requires",
            ClauseKind::Reason(_) => "reason",
        }
    }
}

/// One clause of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    /// What it says.
    pub kind: ClauseKind,
    /// The keyword.
    pub keyword_span: Span,
    /// The whole clause.
    pub span: Span,
}

/// One rule as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The `///` lines right before the rule, without the slashes, one
    /// leading space, or trailing spaces and tabs. Only lines that stand
    /// alone, one right after the other and right before the rule count: a
    /// blank line or an ordinary comment in between drops the lines above it.
    pub doc: Vec<String>,
    /// `allow` or `deny`.
    pub effect: Effect,
    /// The effect keyword.
    pub keyword_span: Span,
    /// Actions in written order.
    pub actions: Vec<Ident>,
    /// Lane patterns in written order.
    pub patterns: Vec<Pattern>,
    /// Clauses in written order, repeats kept.
    pub clauses: Vec<Clause>,
    /// From the effect keyword to the end of the last clause.
    pub span: Span,
}

impl Rule {
    /// The rule with every span zeroed: what it says, not where it is
    /// written. Two layouts of the same rule are equal this way (the
    /// formatter checks its output with it).
    pub fn without_spans(&self) -> Rule {
        let z = Span::default();
        let ident = |i: &Ident| Ident {
            name: i.name.clone(),
            span: z,
        };
        let string = |s: &StringLit| StringLit {
            value: s.value.clone(),
            span: z,
        };
        let kind = |k: &ClauseKind| match k {
            ClauseKind::Until(conds) => ClauseKind::Until(
                conds
                    .iter()
                    .map(|r| match r {
                        Retire::Event(e) => Retire::Event(ident(e)),
                        Retire::Date { date, .. } => Retire::Date {
                            date: *date,
                            span: z,
                        },
                    })
                    .collect(),
            ),
            ClauseKind::Issue(r, _) => ClauseKind::Issue(r.clone(), z),
            ClauseKind::Confirm(s) => ClauseKind::Confirm(string(s)),
            ClauseKind::Requires(proofs) => {
                ClauseKind::Requires(proofs.iter().map(ident).collect())
            }
            ClauseKind::Reason(s) => ClauseKind::Reason(string(s)),
        };
        Rule {
            doc: self.doc.clone(),
            effect: self.effect,
            keyword_span: z,
            actions: self.actions.iter().map(ident).collect(),
            patterns: self
                .patterns
                .iter()
                .map(|p| Pattern {
                    span: z,
                    ..p.clone()
                })
                .collect(),
            clauses: self
                .clauses
                .iter()
                .map(|c| Clause {
                    kind: kind(&c.kind),
                    keyword_span: z,
                    span: z,
                })
                .collect(),
            span: z,
        }
    }
}
