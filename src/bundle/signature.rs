//! Bundle signatures: who built a bundle, not only that it is whole.
//!
//! The digest proves integrity: a bundle changed after it was built is
//! refused. It proves nothing about who built it: anyone who can write the
//! bundle can change a grant and compute a new digest. A signature closes
//! that gap. Signatures are [minisign](https://jedisct1.github.io/minisign/)
//! signatures (Ed25519), detached, in a file beside the bundle
//! (`bundle.json.minisig`), so an operator can make and check them with the
//! stock `minisign` tool as well as with lanepolicy:
//!
//! ```text
//! minisign -G -p lanepolicy.pub -s lanepolicy.key        # once: a key pair
//! lanepolicy build -o bundle.json --sign-key lanepolicy.key
//! minisign -Vm bundle.json -p lanepolicy.pub              # any machine can check it
//! lanepolicy decide --bundle bundle.json --trusted-key lanepolicy.pub ...
//! ```
//!
//! A runtime given trusted keys (several, so a key can be rotated: trust
//! the new one, re-sign, then drop the old one) refuses a bundle with no
//! signature, a signature by a key it does not trust, or a signature that
//! does not match the bytes; [`crate::runtime::Runtime::reload_signed`]
//! then keeps the last good bundle. The signature covers the bundle file's
//! exact bytes; its trusted comment names the bundle's digest.

use super::load::BundleError;
use minisign::{PublicKey, PublicKeyBox, SecretKeyBox, SignatureBox};
use std::io::Cursor;

/// The file a bundle's signature is written to and read from: the bundle's
/// path with `.minisig` added, as the `minisign` tool names it.
pub fn signature_path(bundle: &std::path::Path) -> std::path::PathBuf {
    let mut p = bundle.as_os_str().to_os_string();
    p.push(".minisig");
    p.into()
}

/// Public keys trusted to sign bundles. Empty means "signatures are not
/// checked", which is how a runtime without keys behaves; give at least
/// one key to require signatures.
#[derive(Clone, Debug, Default)]
pub struct TrustedKeys {
    keys: Vec<PublicKey>,
}

/// A key or signature that could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyError {
    /// What is wrong, for a person.
    pub message: String,
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for KeyError {}

fn key_error(what: &str, e: impl std::fmt::Display) -> KeyError {
    KeyError {
        message: format!("{what}: {e}"),
    }
}

impl TrustedKeys {
    /// No keys: signatures are not checked.
    pub fn new() -> Self {
        TrustedKeys::default()
    }

    /// Adds a public key, written as the `minisign` tool writes it: either
    /// a whole `.pub` file (an `untrusted comment:` line, then the key) or
    /// the key's base64 line alone (`RW...`).
    ///
    /// # Errors
    ///
    /// A [`KeyError`] when the text is not a minisign public key.
    pub fn add(&mut self, text: &str) -> Result<(), KeyError> {
        let text = text.trim();
        if let Some(what) = other_minisign_file(text).filter(|w| *w != "a minisign public key") {
            return Err(KeyError {
                message: format!(
                    "this is {what}, not a public key: trust the public key (the `.pub` file)"
                ),
            });
        }
        let key = if text.starts_with("untrusted comment:") {
            PublicKeyBox::from_string(text)
                .and_then(PublicKeyBox::into_public_key)
                .map_err(|e| key_error("not a minisign public key", e))?
        } else {
            PublicKey::from_base64(text).map_err(|e| key_error("not a minisign public key", e))?
        };
        self.keys.push(key);
        Ok(())
    }

    /// True when no key is trusted (signatures are then not checked).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Checks that `signature` (the text of a `.minisig` file) is a valid
    /// signature of exactly `bytes` by one of these keys. With no keys,
    /// nothing is checked.
    ///
    /// # Errors
    ///
    /// [`BundleError::Unsigned`] when keys are trusted and there is no
    /// signature; [`BundleError::Signature`] when the signature does not
    /// parse, is by a key not trusted, or does not match the bytes.
    pub fn verify(&self, bytes: &[u8], signature: Option<&[u8]>) -> Result<(), BundleError> {
        if self.keys.is_empty() {
            return Ok(());
        }
        let Some(signature) = signature else {
            return Err(BundleError::Unsigned);
        };
        let bad = |message: String| Err(BundleError::Signature { message });
        let Ok(text) = std::str::from_utf8(signature) else {
            return bad("the signature file is not UTF-8 text".into());
        };
        let sig = match SignatureBox::from_string(text) {
            Ok(s) => s,
            Err(e) => return bad(format!("the signature does not parse: {e}")),
        };
        // Every trusted key with the signature's key id is tried: an id is
        // eight bytes anyone can choose, and a second key given the id of
        // the one that signed must not hide it.
        let mut failed = None;
        for key in self.keys.iter().filter(|k| k.keynum() == sig.keynum()) {
            match minisign::verify(key, &sig, Cursor::new(bytes), true, false, false) {
                Ok(()) => return Ok(()),
                Err(e) => failed = failed.or(Some(e)),
            }
        }
        match failed {
            None => bad(format!(
                "it is signed by key {}, which is not a trusted key",
                key_id(sig.keynum())
            )),
            Some(e) => bad(format!(
                "the signature by key {} does not match the bundle: {e}",
                key_id(sig.keynum())
            )),
        }
    }
}

fn encrypted() -> KeyError {
    KeyError {
        message: "the secret key is encrypted: give its password in LANEPOLICY_SIGN_PASSWORD"
            .into(),
    }
}

/// What kind of minisign file `text` (trimmed) is, when it reads as one:
/// a public key (the `.pub` file or its `RW...` line alone), a secret key
/// (the `.key` file) or a signature (the `.minisig` file). Names the file
/// given in the wrong place; `None` for anything else.
fn other_minisign_file(text: &str) -> Option<&'static str> {
    let public = PublicKeyBox::from_string(text)
        .and_then(PublicKeyBox::into_public_key)
        .is_ok()
        || PublicKey::from_base64(text).is_ok();
    if public {
        Some("a minisign public key")
    } else if SignatureBox::from_string(text).is_ok() {
        Some("a minisign signature (a `.minisig` file)")
    } else if looks_like_secret_key(text) {
        Some("a minisign secret key")
    } else {
        None
    }
}

/// Whether `text` has the layout of a minisign secret key file: an
/// untrusted comment, then one base64 line of a secret key's length (158
/// bytes, 212 characters; a public key's is 56). `SecretKeyBox` reads a key
/// only with its password, so the layout is what can be told without it.
fn looks_like_secret_key(text: &str) -> bool {
    let mut lines = text.lines();
    lines
        .next()
        .is_some_and(|l| l.starts_with("untrusted comment:"))
        && lines.next().is_some_and(|l| {
            let l = l.trim();
            l.starts_with("RW")
                && l.len() >= 200
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        })
}

/// A key id as minisign prints it: 16 uppercase hex digits.
fn key_id(keynum: &[u8]) -> String {
    let mut n = [0u8; 8];
    n.copy_from_slice(&keynum[..8.min(keynum.len())]);
    format!("{:016X}", u64::from_le_bytes(n))
}

/// Signs `data` (a bundle file's exact content, read to its end in chunks:
/// the bytes, or the file) with a minisign secret key
/// (the text of the `.key` file), and returns the text of the `.minisig`
/// file. An encrypted key needs its `password`; nothing is ever asked on
/// the terminal. `digest` goes into the signed trusted comment.
///
/// # Errors
///
/// A [`KeyError`] when the key does not parse, is encrypted and no
/// password (or a wrong one) is given, or signing (reading `data`
/// included) fails.
pub fn sign(
    data: impl std::io::Read,
    secret_key: &str,
    password: Option<String>,
    digest: &str,
) -> Result<String, KeyError> {
    // The key line after the comment: "Ed", then the KDF algorithm, in
    // base64. `RWQAA` is "Ed" with no KDF: an unencrypted key. minisign
    // 0.11's `-G -W` writes those in a layout the minisign library does
    // not read ("Corrupted key"): said so, with what to do instead.
    let unencrypted = secret_key
        .lines()
        .nth(1)
        .is_some_and(|l| l.trim_start().starts_with("RWQAA"));
    let unreadable = |e: minisign::PError| {
        if unencrypted && e.to_string().contains("Corrupted") {
            KeyError {
                message: "an unencrypted secret key (written by `minisign -G -W`) cannot be read: create the key with a password (`minisign -G`) and give the password in LANEPOLICY_SIGN_PASSWORD".into(),
            }
        } else {
            key_error("not a minisign secret key", e)
        }
    };
    // The `.pub` beside the `.key`, or a signature, given by mistake: said
    // so, rather than asking for a password it does not have.
    if let Some(what) =
        other_minisign_file(secret_key.trim()).filter(|w| *w != "a minisign secret key")
    {
        return Err(KeyError {
            message: format!(
                "this is {what}, not a secret key: sign with the secret key (the `.key` file)"
            ),
        });
    }
    let boxed = SecretKeyBox::from_string(secret_key.trim()).map_err(unreadable)?;
    let key = match password {
        Some(p) => boxed
            .into_secret_key(Some(p))
            .map_err(|e| key_error("cannot open the secret key (is the password right?)", e))?,
        None => boxed.into_unencrypted_secret_key().map_err(|e| {
            if e.to_string().contains("encrypted") {
                encrypted()
            } else {
                unreadable(e)
            }
        })?,
    };
    if key.is_encrypted() {
        return Err(encrypted());
    }
    let sig = minisign::sign(
        None,
        &key,
        data,
        Some(&format!("lanepolicy bundle {digest}")),
        Some("signature from lanepolicy secret key"),
    )
    .map_err(|e| key_error("signing failed", e))?;
    Ok(sig.into_string())
}
