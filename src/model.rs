//! The shared vocabulary of lanes, in Launchplane's own terms. Used by the
//! inventory, the bundle and the runtime alike (the runtime depends on this
//! module and on [`crate::bundle`] only).

use crate::sorted_map::SortedMap;
use serde::{Deserialize, Serialize};

/// Where a lane is in its life. Launchplane: the lane's monitoring intent
/// `prelaunch`; `live` once it serves real traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Not launched yet: may be rebuilt when a policy allows it.
    Prelaunch,
    /// Serving for real.
    Live,
}

impl Phase {
    /// All values, in the order the docs list them.
    pub const ALL: [&'static str; 2] = ["prelaunch", "live"];

    /// Parses `prelaunch` or `live`.
    pub fn parse(s: &str) -> Option<Phase> {
        match s {
            "prelaunch" => Some(Phase::Prelaunch),
            "live" => Some(Phase::Live),
            _ => None,
        }
    }

    /// The written form.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Prelaunch => "prelaunch",
            Phase::Live => "live",
        }
    }
}

/// Launchplane's per-lane `data_authority`: how much the lane's data matters.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum DataAuthority {
    /// Nothing may be rebuilt: the fail-closed default.
    #[default]
    Unknown,
    /// May be wiped and rebuilt from nothing.
    Resettable,
    /// May be restored from a named source.
    Restorable,
    /// The real data: backup before destroy and restore proof required.
    Authoritative,
}

impl DataAuthority {
    /// All values, as written.
    pub const ALL: [&'static str; 4] = ["unknown", "resettable", "restorable", "authoritative"];

    /// Parses one of [`DataAuthority::ALL`].
    pub fn parse(s: &str) -> Option<DataAuthority> {
        match s {
            "unknown" => Some(DataAuthority::Unknown),
            "resettable" => Some(DataAuthority::Resettable),
            "restorable" => Some(DataAuthority::Restorable),
            "authoritative" => Some(DataAuthority::Authoritative),
            _ => None,
        }
    }

    /// The written form.
    pub fn as_str(self) -> &'static str {
        match self {
            DataAuthority::Unknown => "unknown",
            DataAuthority::Resettable => "resettable",
            DataAuthority::Restorable => "restorable",
            DataAuthority::Authoritative => "authoritative",
        }
    }
}

/// A rebuild data source (Launchplane's `data_source_mode`, less `existing`,
/// which is no rebuild).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSource {
    /// An empty database.
    Empty,
    /// A restore from the lane's upstream (non-Docker) source.
    UpstreamRestore,
}

impl DataSource {
    /// All values, as written.
    pub const ALL: [&'static str; 2] = ["empty", "upstream_restore"];

    /// Parses one of [`DataSource::ALL`].
    pub fn parse(s: &str) -> Option<DataSource> {
        match s {
            "empty" => Some(DataSource::Empty),
            "upstream_restore" => Some(DataSource::UpstreamRestore),
            _ => None,
        }
    }

    /// The written form.
    pub fn as_str(self) -> &'static str {
        match self {
            DataSource::Empty => "empty",
            DataSource::UpstreamRestore => "upstream_restore",
        }
    }
}

/// Launchplane's lane monitoring intent (`health_monitoring.monitoring_intent`):
/// `prelaunch` (Launchplane's default) while a lane has not launched,
/// `public` or `private` once it serves. Launchplane refuses to enable a
/// prelaunch rebuild record on a lane whose intent is not `prelaunch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonitoringIntent {
    /// Monitored in public: incidents are public.
    Public,
    /// Monitored through a private endpoint.
    Private,
    /// Not launched yet: the only intent under which a prelaunch rebuild
    /// record may be enabled.
    Prelaunch,
}

impl MonitoringIntent {
    /// All values, as written (Launchplane's order).
    pub const ALL: [&'static str; 3] = ["public", "private", "prelaunch"];

    /// Parses one of [`MonitoringIntent::ALL`].
    pub fn parse(s: &str) -> Option<MonitoringIntent> {
        match s {
            "public" => Some(MonitoringIntent::Public),
            "private" => Some(MonitoringIntent::Private),
            "prelaunch" => Some(MonitoringIntent::Prelaunch),
            _ => None,
        }
    }

    /// The written form.
    pub fn as_str(self) -> &'static str {
        match self {
            MonitoringIntent::Public => "public",
            MonitoringIntent::Private => "private",
            MonitoringIntent::Prelaunch => "prelaunch",
        }
    }
}

/// Whether a product event (`launch`, `cutover`) has happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventState {
    /// Not yet.
    Pending,
    /// It has happened: rules that retire at it are retired.
    Occurred,
}

impl EventState {
    /// All values, as written.
    pub const ALL: [&'static str; 2] = ["pending", "occurred"];
}

/// The proofs a rule may require, and the runtime may ask for.
/// Launchplane: a backup-gate record before a destructive action on real
/// production, and a restore verification record for authoritative data.
pub const PROOFS: [&str; 2] = ["backup_proof", "restore_proof"];

/// True for a **protected lane**: `production: true` and `phase: live`, or
/// `data_authority: authoritative` (language spec, "The inventory").
pub fn is_protected(production: bool, phase: Phase, authority: DataAuthority) -> bool {
    (production && phase == Phase::Live) || authority == DataAuthority::Authoritative
}

/// Whether a lane's data policy allows rebuilding from `source`: the
/// source is in `allowed_sources` and `data_authority` is not `unknown`
/// (Launchplane's fail-closed default allows none), and an
/// `upstream_restore` names where from: the lane's `upstream_source`, not
/// blank (Launchplane refuses `upstream_restore` without one).
pub fn source_allowed(
    authority: DataAuthority,
    allowed: &[DataSource],
    source: DataSource,
    upstream_source: Option<&str>,
) -> bool {
    authority != DataAuthority::Unknown
        && allowed.contains(&source)
        && (source != DataSource::UpstreamRestore || upstream_source.is_some_and(|s| !is_blank(s)))
}

/// A lane's `upstream_source`, from its extra inventory fields, when it is
/// a string.
pub fn upstream_source(extra: &SortedMap<String, serde_json::Value>) -> Option<&str> {
    extra
        .get("upstream_source")
        .and_then(serde_json::Value::as_str)
}

/// The proofs that a destructive action on a lane needs whatever the rule
/// says: `backup_proof` on a protected lane, and also `restore_proof` when
/// its data is authoritative (Launchplane: authoritative lanes require backup
/// before destroy and restore proof).
pub(crate) fn implied_proofs(
    destructive: bool,
    production: bool,
    phase: Phase,
    authority: DataAuthority,
) -> Vec<&'static str> {
    let mut out = Vec::new();
    if destructive && is_protected(production, phase, authority) {
        out.push("backup_proof");
        if authority == DataAuthority::Authoritative {
            out.push("restore_proof");
        }
    }
    out
}

/// `allow` or `deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Opens actions on lanes.
    Allow,
    /// Closes them; always wins over allow.
    Deny,
}

impl Effect {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        }
    }
}

/// The longest name of an action, product, context, event or instance, in
/// characters (all ASCII): a name an operator types, and one the policy's
/// glob patterns are matched against, so that matching a pattern against a
/// name costs at most this times the pattern's length. The inventory
/// (E201) and the bundle loader hold names to it; a lane pattern segment
/// may be at most twice as long (`*` included).
pub const MAX_NAME_LEN: usize = 64;

/// A confirmation phrase in the form it is compared in. Phrase comparison
/// follows Launchplane: trimmed, lower-cased.
pub fn normalize_phrase(s: &str) -> String {
    normalized_phrase(s).into_owned()
}

/// [`normalize_phrase`], borrowing `s` when it is already in that form
/// (trimmed, and every character its own lower case), as a compiled
/// phrase usually is: a lint comparing millions of phrases allocates
/// only for those that change.
pub fn normalized_phrase(s: &str) -> std::borrow::Cow<'_, str> {
    let trimmed = s.trim();
    let lower = trimmed.chars().all(|c| {
        let mut l = c.to_lowercase();
        l.next() == Some(c) && l.next().is_none()
    });
    if lower {
        std::borrow::Cow::Borrowed(trimmed)
    } else {
        std::borrow::Cow::Owned(trimmed.to_lowercase())
    }
}

/// True when `s` says nothing: empty once white space, invisible
/// characters ([`is_invisible`], such as U+200B ZERO WIDTH SPACE) and
/// characters drawn as nothing ([`BLANK_GLYPHS`], unassigned and private
/// use code points, format characters, and combining marks, which draw
/// nothing without a letter before them) are removed. A phrase or proof id that is blank counts
/// as not presented, so a string a reviewer cannot read can never satisfy
/// a check.
pub(crate) fn is_blank(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_whitespace() || is_invisible(c) || draws_nothing(c))
}

/// True for a proof's record id that names something: not blank
/// ([`is_blank`]) and with at least one letter or digit. `-`, `.` or `""`
/// are not record ids, so they count as not presented.
pub(crate) fn is_record_id(id: &str) -> bool {
    !is_blank(id) && id.chars().any(char::is_alphanumeric)
}

/// Characters of a visible category that fonts draw as empty space:
/// U+2800 BRAILLE PATTERN BLANK, U+FFFC OBJECT REPLACEMENT CHARACTER and
/// U+1D159 MUSICAL SYMBOL NULL NOTEHEAD. Source: the blank-rendering code
/// points that Unicode's `Default_Ignorable_Code_Point` leaves out, as
/// collected by lists of invisible characters used in spoofing.
pub(crate) const BLANK_GLYPHS: [char; 3] = ['\u{2800}', '\u{FFFC}', '\u{1D159}'];

/// True for a character drawn as nothing or as a placeholder box, on its
/// own: one of [`BLANK_GLYPHS`], an unassigned, private use or surrogate
/// code point, a format character (U+FFF9 INTERLINEAR ANNOTATION ANCHOR,
/// U+0600 ARABIC NUMBER SIGN, which mark up the text after them), or a
/// nonspacing or enclosing mark (U+0301, U+20DD, which attach to the
/// letter before them). General_Category `Cn`, `Co`, `Cs`, `Cf`, `Mn`,
/// `Me`, from `icu_properties`. A string of letters with marks is not
/// blank: the letters are not.
fn draws_nothing(c: char) -> bool {
    use icu_properties::CodePointMapData;
    use icu_properties::props::GeneralCategory;
    if c.is_ascii() {
        return false;
    }
    BLANK_GLYPHS.contains(&c)
        || matches!(
            CodePointMapData::<GeneralCategory>::new().get(c),
            GeneralCategory::Unassigned
                | GeneralCategory::PrivateUse
                | GeneralCategory::Surrogate
                | GeneralCategory::Format
                | GeneralCategory::NonspacingMark
                | GeneralCategory::EnclosingMark
        )
}

/// True for a character a person cannot see, or that changes how text
/// around it is shown: a control character, U+2028/U+2029, or a Unicode
/// `Bidi_Control` or `Default_Ignorable_Code_Point` character.
///
/// The two properties come from the Unicode Character Database as shipped
/// by `icu_properties` (compiled data, no hand-made list), so a new Unicode
/// version is a dependency update. This is the one definition: policy text,
/// the inventory's names and operator-facing values, and the runtime's
/// blank phrases and proofs all go through it.
pub(crate) fn is_invisible(c: char) -> bool {
    use icu_properties::CodePointSetData;
    use icu_properties::props::{BidiControl, DefaultIgnorableCodePoint};
    if c.is_ascii() {
        // No ASCII character is `Bidi_Control` or `Default_Ignorable_Code_Point`.
        return c.is_control();
    }
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}')
        || CodePointSetData::new::<BidiControl>().contains(c)
        || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
}
/// `s` with every invisible character ([`is_invisible`]) written as its
/// escape (`\u{200b}`), so that a message cannot be reordered or hide
/// text.
pub fn escape_invisible(s: &str) -> String {
    s.chars()
        .map(|c| {
            if is_invisible(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `s` as a message shows a value read from a file: Rust's debug escapes
/// (quotes, backslashes, control characters), then every invisible
/// character escaped, including the ones `escape_debug` prints as they are
/// (a variation selector after a letter, the Hangul filler U+3164).
pub(crate) fn shown(s: &str) -> String {
    escape_invisible(&s.escape_debug().to_string())
}

/// The first date an `until` may name: 2000-01-01.
pub const FIRST_DATE: jiff::civil::Date = jiff::civil::date(2000, 1, 1);

/// The last date an `until` may name: 9998-12-31. A date retires at the end
/// of its day (UTC), and the runtime computes instants from it (the end of
/// the day, a day or more later for `expires-soon` and the read model);
/// jiff represents instants only up to the end of year 9999, so a date in
/// 9999 could be written and compiled, then leave `decide` unable to
/// answer. Keeping a whole year of headroom makes every instant the runtime
/// derives from a date representable.
pub const LAST_DATE: jiff::civil::Date = jiff::civil::date(9998, 12, 31);

/// True when `date` lies in [`FIRST_DATE`]..=[`LAST_DATE`], the dates the
/// compiler accepts and a bundle may hold.
pub(crate) fn date_in_window(date: jiff::civil::Date) -> bool {
    (FIRST_DATE..=LAST_DATE).contains(&date)
}

/// The event names of a product, as the inventory and the bundle each
/// hold them: what [`number_event_sets`] numbers.
pub trait EventNames {
    /// The names, sorted.
    fn names(&self) -> impl Iterator<Item = &str>;
}

impl EventNames for SortedMap<String, EventState> {
    fn names(&self) -> impl Iterator<Item = &str> {
        self.keys().map(String::as_str)
    }
}

/// Products (name, events) numbered by their set of event names: products
/// that declare the same events share a number, so a check that asks
/// whether a rule's products have its events asks each distinct set once
/// (E103 in the compiler, the bundle loader's consistency check). Returns
/// product -> number, and the events of each number. O(events) in all.
pub(crate) fn number_event_sets<'a, E: EventNames>(
    products: impl IntoIterator<Item = (&'a String, &'a E)>,
) -> EventSets<'a, E> {
    let mut numbers: foldhash::HashMap<Vec<&str>, u32> = foldhash::HashMap::default();
    let mut sets = Vec::new();
    let by_product = products
        .into_iter()
        .map(|(name, events)| {
            let names: Vec<&str> = events.names().collect();
            let n = *numbers.entry(names).or_insert_with(|| {
                sets.push(events);
                sets.len() as u32 - 1
            });
            (name.as_str(), n)
        })
        .collect();
    (by_product, sets)
}

/// What [`number_event_sets`] returns: product -> number of its set of
/// event names (hashed with foldhash, randomly seeded: only looked up,
/// never iterated), and the events of each number.
pub(crate) type EventSets<'a, E> = (foldhash::HashMap<&'a str, u32>, Vec<&'a E>);

/// A domain as Launchplane stores it: trimmed, lower-cased, without
/// `https://` or `http://`, without trailing `/`.
pub(crate) fn normalize_domain(raw: &str) -> String {
    let d = raw.trim().to_lowercase();
    let d = d.strip_prefix("https://").unwrap_or(&d);
    let d = d.strip_prefix("http://").unwrap_or(d);
    d.trim_end_matches('/').to_string()
}

/// A domain as a host, to find two lanes that share one:
/// [`normalize_domain`] without the trailing `.` of a fully qualified name
/// (`A.Example.COM.` and `https://a.example.com/` are one host, as DNS
/// reads them).
pub(crate) fn host_of_domain(raw: &str) -> String {
    let mut d = normalize_domain(raw);
    if d.ends_with('.') {
        d.pop();
    }
    d
}

/// The host as DNS looks it up, to compare two lanes' domains: its
/// [IDNA](https://www.unicode.org/reports/tr46/) ASCII form (the `idna`
/// crate's `domain_to_ascii`), so that `bücher.example`,
/// `xn--bcher-kva.example`, fullwidth letters and the ideographic full stop
/// `。` name the host they stand for. A host IDNA refuses (an `xn--` label
/// that is not punycode, say) is compared as written.
fn dns_host(host: &str) -> String {
    match idna::domain_to_ascii(host) {
        // The root `.` written as another full stop (`a.com。`); an
        // ASCII one was taken off already, and a second is an empty label.
        Ok(mut ascii) => {
            if ascii.ends_with('.') && !host.ends_with('.') {
                ascii.pop();
            }
            ascii
        }
        Err(_) => host.to_string(),
    }
}

/// A domain as written in `lanes.yaml`, as DNS looks it up ([`dns_host`]
/// of its [`host_part`], as Launchplane normalises it), when it names a
/// host ([`is_host`]): what two lanes' domains are compared by, and `None`
/// for a domain the inventory refuses.
pub(crate) fn domain_host(raw: &str) -> Option<String> {
    let written = normalize_domain(raw);
    // A second scheme (`http://https://a.com`) is no host.
    if written.contains("://") {
        return None;
    }
    let host = dns_host(host_part(&written));
    is_host(&host).then_some(host)
}

/// The host of a domain written with more than a host: without a path,
/// query or fragment (`a.com/app`, `a.com?x`), user (`me@a.com`) or port
/// (`a.com:8443`, `[::1]:8443`), and without one root `.` (`a.com.`,
/// `a.com./app`; `a.com..` keeps an empty label). Two lanes on one host
/// share its data whatever follows.
fn host_part(domain: &str) -> &str {
    let authority = domain
        .split(['/', '?', '#', '\\'])
        .next()
        .unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let host = if host.starts_with('[') {
        host.find(']').map_or(host, |end| &host[..=end])
    } else {
        host.split(':').next().unwrap_or_default()
    };
    host.strip_suffix('.').unwrap_or(host)
}

/// Whether `host` ([`dns_host`] of a [`host_part`]) can name a host: not
/// empty (`.`, `/`, `https://`, `。`, `//a.com`), no empty label
/// (`a.com..`), labels of at most 63 bytes and 253 in all (DNS's limits),
/// and no blank or control character (`https:// a.com` would be exported
/// as ` a.com`).
fn is_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host
            .split(['.', '。', '．', '｡'])
            .all(|label| !label.is_empty() && label.len() <= 63)
        && !host.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Reads an RFC 3339 time (`2026-12-01T00:00:00Z`, `2026-12-01T09:00:00+09:00`),
/// the one reading of `--now`, a test file's `now` and the Python
/// package's `now`. The error says what is wrong, quoting the text: a time
/// outside what the runtime represents (jiff's range: years -9999 to 9999,
/// up to 9999-12-30T22:00:00Z) is out of range, not malformed; an offset
/// must be within a day (RFC 3339: hours 00 to 23, minutes 00 to 59),
/// which jiff alone does not check (it takes up to 25 hours).
pub fn parse_rfc3339(s: &str) -> Result<jiff::Timestamp, String> {
    const OFFSET: &str = "has an offset outside RFC 3339's, which runs from -23:59 to +23:59";
    // RFC 3339's own shape (section 5.6), which jiff reads more loosely
    // (`2099-01-01T00:00Z` without seconds, `+002099-...` with six digits
    // of year): `YYYY-MM-DDTHH:MM:SS`, a fraction, then `Z` or `+HH:MM`.
    if !is_rfc3339_shape(s) {
        return Err(format!("`{s}` is not an RFC 3339 time"));
    }
    match s.parse::<jiff::Timestamp>() {
        Ok(t) => {
            let offset_hours = s
                .len()
                .checked_sub(6)
                .and_then(|k| s.get(k..))
                .filter(|o| o.starts_with(['+', '-']) && o.as_bytes()[3] == b':')
                .and_then(|o| o[1..3].parse::<u8>().ok());
            match offset_hours {
                Some(h) if h > 23 => Err(format!("`{s}` {OFFSET}")),
                _ => Ok(t),
            }
        }
        Err(e) if e.to_string().contains("overflowed") => Err(format!(
            "`{s}` is out of range: lanepolicy represents times up to {}",
            jiff::Timestamp::MAX.strftime("%Y-%m-%dT%H:%M:%SZ")
        )),
        Err(e) if e.to_string().contains("time zone offset") => Err(format!("`{s}` {OFFSET}")),
        Err(e) if e.to_string().contains("required range") => Err(format!(
            "`{s}` is not a valid time ({})",
            e.to_string().rsplit(": ").next().unwrap_or_default()
        )),
        Err(_) => Err(format!("`{s}` is not an RFC 3339 time")),
    }
}

/// An issue URL as an issue snapshot (`--issues`) and the rules are
/// compared: without a trailing `/` (`.../issues/573/` is `.../issues/573`)
/// and in lower case (GitHub's host and its owner and repository names are
/// read whatever their case: `github.com/CBusillo/Launchplane` is
/// `github.com/cbusillo/launchplane`).
pub fn issue_key(url: &str) -> String {
    url.trim_end_matches('/').to_ascii_lowercase()
}

/// True when `s` is written as RFC 3339's `date-time` (section 5.6):
/// `YYYY-MM-DD`, `T`, `HH:MM:SS`, an optional fraction, then `Z` or a
/// numeric offset `+HH:MM`/`-HH:MM` (the `T` and `Z` in either case). The
/// values themselves are jiff's to check.
fn is_rfc3339_shape(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let date_time = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !date_time {
        return false;
    }
    let mut rest = &b[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|d| d.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    matches!(rest, [b'Z' | b'z'])
        || matches!(rest, [b'+' | b'-', h1, h2, b':', m1, m2]
            if [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()))
}

/// True when `text` would read as `known` (an ASCII name such as
/// `data_authority` or `stable_bootstrap`) to a person, without being it:
/// the same letters and digits once compatibility forms are folded (NFKC:
/// fullwidth `ｄａｔａ`, mathematical `𝐝𝐚𝐭𝐚`), case is ignored and
/// separators are dropped (`DATA_AUTHORITY`, `DataAuthority`,
/// `data-authority`, ` stable_bootstrap `), where any letter that is not
/// ASCII that is drawn like the letter in its place may stand for it
/// (Cyrillic `dаtа_аuthоrity`, even all of it, `é` for `e`), and so may
/// a digit drawn like a letter (`imp0rt`).
///
/// A key or an operation that reads as a known one but is not written as
/// it would otherwise be taken as another, unknown one, and the known one
/// would fall back to its default (a lane's `data_authority: unknown`, no
/// protection) or skip its check (a rebuild's data source).
pub fn reads_as(text: &str, known: &str) -> bool {
    KnownNames::new(&[known]).read_as(text).is_some()
}

/// The ASCII letter `c` (lower case, not ASCII) is drawn like, if any: a
/// Latin letter with marks is its base letter (`é` is `e`), and the Greek,
/// Cyrillic, Armenian and IPA letters that fonts draw as Latin ones are
/// those (`а`, `ο`, `ո`, `ɡ`, `ı`; after Unicode's confusables, UTS #39,
/// for the lower-case letters of names). A letter drawn unlike any (`ф`,
/// `地`) is `None`, so that a key in another script is not taken for an
/// English one.
fn latin_look(c: char) -> Option<char> {
    let plain = match c {
        'а' | 'α' | 'ɑ' => 'a',
        'ь' => 'b',
        'с' | 'ϲ' => 'c',
        'ԁ' | 'ժ' => 'd',
        'е' | 'ё' | 'є' | 'ε' => 'e',
        'ɡ' | 'ց' => 'g',
        'һ' | 'հ' => 'h',
        'і' | 'ї' | 'ι' | 'ı' | 'ɩ' | 'ӏ' => 'i',
        'ј' | 'ϳ' => 'j',
        'к' | 'κ' => 'k',
        'ⅼ' | 'ǀ' => 'l',
        'м' => 'm',
        'ո' | 'п' | 'η' => 'n',
        'о' | 'ο' | 'օ' | 'σ' => 'o',
        'р' | 'ρ' | 'ք' => 'p',
        'ԛ' | 'զ' => 'q',
        'г' | 'ᴦ' => 'r',
        'ѕ' | 'ꜱ' => 's',
        'т' | 'τ' => 't',
        'ս' | 'υ' | 'ц' => 'u',
        'ν' | 'ѵ' => 'v',
        'ԝ' | 'ω' | 'ш' => 'w',
        'х' | 'χ' => 'x',
        'у' | 'ү' | 'γ' => 'y',
        'ᴢ' => 'z',
        _ => {
            // A Latin letter with marks: its base letter.
            let base = icu_normalizer::DecomposingNormalizerBorrowed::new_nfd()
                .normalize(c.encode_utf8(&mut [0; 4]))
                .chars()
                .next()?;
            return base.is_ascii_lowercase().then_some(base);
        }
    };
    Some(plain)
}

/// A list of known ASCII names, each with its letters and digits, to ask
/// [`reads_as`] of many texts: a fleet's inventory asks it for every
/// extra key of every lane, so a text is folded once, and a plain ASCII
/// text with as many letters as no known name is answered without a copy.
pub struct KnownNames<'k> {
    names: Vec<(&'k str, Vec<char>)>,
}

impl<'k> KnownNames<'k> {
    /// The list, in the order [`KnownNames::read_as`] tries it.
    pub fn new(names: &[&'k str]) -> Self {
        KnownNames {
            names: names
                .iter()
                .map(|n| (*n, n.chars().filter(char::is_ascii_alphanumeric).collect()))
                .collect(),
        }
    }

    /// The first name `text` reads as without being it ([`reads_as`]).
    pub fn read_as(&self, text: &str) -> Option<&'k str> {
        // A long text cannot fold to a short name (NFKC grows text by at
        // most a few times; 18 bytes is the widest form of one letter).
        let longest = self.names.iter().map(|(_, l)| l.len()).max()?;
        if text.len() > 18 * longest + 64 {
            return None;
        }
        // Lower-cased first: `İ` lower-cases to `i` and a combining dot,
        // which is then dropped with the other marks.
        let letters = |s: &str| -> Vec<char> {
            s.chars()
                .flat_map(char::to_lowercase)
                .filter(|c| c.is_alphanumeric())
                .collect()
        };
        // ASCII is its own NFKC form.
        let seen = if text.is_ascii() {
            let n = text.bytes().filter(u8::is_ascii_alphanumeric).count();
            if !self.names.iter().any(|(_, l)| l.len() == n) {
                return None;
            }
            letters(text)
        } else {
            letters(&icu_normalizer::ComposingNormalizerBorrowed::new_nfkc().normalize(text))
        };
        self.names
            .iter()
            .find(|(name, want)| {
                if text == *name || seen.len() != want.len() || seen.is_empty() {
                    return false;
                }
                // Every letter is the known one's, a digit drawn like it
                // (`0` for `o`, `1` for `l` or `i`), or a letter drawn like
                // it ([`latin_look`]), however many: `ѕtаblе_bооtѕtrар`
                // shows as `stable_bootstrap`.
                seen.iter().zip(want).all(|(s, w)| {
                    s == w
                        || matches!((s, w), ('0', 'o') | ('1', 'l') | ('1', 'i'))
                        || (!s.is_ascii() && latin_look(*s) == Some(*w))
                })
            })
            .map(|(name, _)| *name)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn names_that_read_alike_are_told_apart_from_others() {
        use super::reads_as;
        for alike in [
            "DATA_AUTHORITY",
            "DataAuthority",
            "data-authority",
            " data_authority ",
            "ｄａｔａ＿ａｕｔｈｏｒｉｔｙ",
            "𝐝𝐚𝐭𝐚_authority",
            "d\u{430}t\u{430}_\u{430}uth\u{43e}rity",
            "dаtа_аuthоrіtу",
            "DATA_AUTHORİTY",
            "dátá_authority",
        ] {
            assert!(reads_as(alike, "data_authority"), "{alike}");
        }
        for other in [
            "data_authority",
            "data_authorities",
            "authority",
            "tenant_owner_x",
            "データ権限の詳細情報等々です",
            "",
        ] {
            assert!(!reads_as(other, "data_authority"), "{other}");
        }
        assert!(reads_as("Stable_Bootstrap", "stable_bootstrap"));
        // Mostly or wholly in look-alike letters, or a digit for a letter.
        for alike in [
            "ѕtаblе_bооtѕtrар",
            "рrоd_bасkuр_rеѕtоrе",
            "RETAİNED_VOLUME_BACKUP_İMPORT",
            "retained_volume_backup_imp0rt",
        ] {
            assert!(
                [
                    "stable_bootstrap",
                    "prod_backup_restore",
                    "retained_volume_backup_import"
                ]
                .iter()
                .any(|k| reads_as(alike, k)),
                "{alike}"
            );
        }
        assert!(reads_as("mоոіtоrіոɡ_іոtеոt", "monitoring_intent"));
        assert!(reads_as("MONİTORİNG_İNTENT", "monitoring_intent"));
        assert!(reads_as("tагɡеt", "target"));
        // Keys in other scripts are other keys, even of the same length.
        for other in ["регион", "地域地域地域", "фаза", "produktion", "región"] {
            for k in ["target", "phase", "production", "domains"] {
                assert!(!reads_as(other, k), "{other} {k}");
            }
        }
        assert!(!reads_as("stable_bootstrap_v2", "stable_bootstrap"));
    }
    #[test]
    fn strings_drawn_as_nothing_are_blank() {
        for s in [
            "",
            " \t",
            "\u{200b}",
            "\u{2800}",
            "\u{FFFC}",
            "\u{1D159}",
            "\u{E000}",
            "\u{0378}",
            " \u{2800}\u{200b} ",
        ] {
            assert!(super::is_blank(s), "{s:?}");
        }
        for s in ["a", "\u{2801}", "backup-123", "\u{FFFD}", "é"] {
            assert!(!super::is_blank(s), "{s:?}");
        }
        for id in ["-", ".", "\"\"", "--", " / "] {
            assert!(!super::is_record_id(id), "{id:?}");
        }
        for id in ["bg-1", "7", "é"] {
            assert!(super::is_record_id(id), "{id:?}");
        }
    }

    use super::*;

    #[test]
    fn the_ascii_fast_path_agrees_with_the_unicode_data() {
        use icu_properties::CodePointSetData;
        use icu_properties::props::{BidiControl, DefaultIgnorableCodePoint};
        for c in (0u8..=127).map(char::from) {
            let data = c.is_control()
                || CodePointSetData::new::<BidiControl>().contains(c)
                || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c);
            assert_eq!(is_invisible(c), data, "{}", c.escape_unicode());
        }
    }

    #[test]
    fn blank_means_nothing_visible() {
        for s in [
            "",
            " ",
            "\t\n",
            "\u{200b}",
            "\u{2060}\u{feff}",
            "\u{e0041}",
            " \u{3164} ",
            "\u{301}",
            "\u{300}\u{301}\u{302}",
            "\u{20dd}",
            "\u{fff9}",
            "\u{600}",
            "\u{70f}",
        ] {
            assert!(is_blank(s), "{}", s.escape_unicode());
        }
        for s in [
            "a",
            " x ",
            "\u{200b}b",
            "é",
            "e\u{301}",
            "\u{915}\u{94d}\u{937}",
        ] {
            assert!(!is_blank(s), "{}", s.escape_unicode());
        }
    }
}
