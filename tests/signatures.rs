//! Bundle signatures: `build --sign-key` signs; every command that reads a
//! bundle, given `--trusted-key`, refuses an unsigned bundle, a signature
//! by another key, and a bundle changed and re-sealed after signing; the
//! library's `reload_signed` keeps the last good bundle.

mod common;

use common::run_in;
use lanepolicy::bundle::{self, BundleError, TrustedKeys};
use lanepolicy::runtime::{Facts, Request, Runtime};
use minisign::KeyPair;
use serde_json::Value;
use std::path::Path;

/// A project with the real policies, and two key pairs written as the
/// `minisign` tool writes them: `a.pub`/`a.key`, `b.pub`/`b.key`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    for f in ["lanes.yaml", "odoo-prelaunch.policy"] {
        std::fs::copy(
            root.join("policies").join(f),
            dir.path().join("policies").join(f),
        )
        .unwrap();
    }
    for name in ["a", "b"] {
        let kp = KeyPair::generate_unencrypted_keypair().unwrap();
        std::fs::write(
            dir.path().join(format!("{name}.pub")),
            kp.pk.to_box().unwrap().into_string(),
        )
        .unwrap();
        std::fs::write(
            dir.path().join(format!("{name}.key")),
            kp.sk.to_box(None).unwrap().into_string(),
        )
        .unwrap();
    }
    dir
}

const ALLOW: [&str; 6] = [
    "--lane",
    "cm/testing",
    "--action",
    "empty_bootstrap",
    "--confirm",
    "bootstrap cm testing",
];

fn decide(dir: &Path, keys: &[&str]) -> (i32, String) {
    let mut args = vec!["decide", "--bundle", "bundle.json"];
    args.extend_from_slice(&ALLOW);
    for k in keys {
        args.extend(["--trusted-key", k]);
    }
    let r = run_in(dir, &args);
    (r.code, r.stderr)
}

#[test]
fn a_signed_bundle_is_decided_on_and_every_forgery_is_refused() {
    let dir = project();
    let d = dir.path();
    let r = run_in(d, &["build", "-o", "bundle.json", "--sign-key", "a.key"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let sig = std::fs::read_to_string(d.join("bundle.json.minisig")).unwrap();
    assert!(sig.starts_with("untrusted comment:"), "{sig}");
    let digest = serde_json::from_slice::<Value>(&std::fs::read(d.join("bundle.json")).unwrap())
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        sig.contains(&format!("lanepolicy bundle {digest}")),
        "{sig}"
    );

    // No keys: signatures are not checked. The right key, or the right key
    // among several (rotation): allowed.
    assert_eq!(decide(d, &[]).0, 0);
    assert_eq!(decide(d, &["a.pub"]).0, 0);
    assert_eq!(decide(d, &["b.pub", "a.pub"]).0, 0);
    // The key's base64 line alone works too.
    let line = std::fs::read_to_string(d.join("a.pub")).unwrap();
    let line = line.lines().nth(1).unwrap().to_string();
    assert_eq!(decide(d, &[&line]).0, 0);

    // A key given the id of the one that signed, trusted before it, does
    // not hide it: every key with the signature's id is tried.
    let read = |name: &str| {
        minisign::PublicKey::from_box(
            minisign::PublicKeyBox::from_string(&std::fs::read_to_string(d.join(name)).unwrap())
                .unwrap(),
        )
        .unwrap()
    };
    let mut same_id = read("b.pub").to_bytes();
    same_id[2..10].copy_from_slice(read("a.pub").keynum());
    let same_id = minisign::PublicKey::from_bytes(&same_id).unwrap();
    std::fs::write(d.join("c.pub"), same_id.to_box().unwrap().into_string()).unwrap();
    assert_eq!(decide(d, &["c.pub", "a.pub"]).0, 0);
    assert_eq!(decide(d, &["a.pub", "c.pub"]).0, 0);
    let (code, err) = decide(d, &["c.pub"]);
    assert_eq!(code, 2);
    assert!(err.contains("does not match the bundle"), "{err}");

    // Another key only: refused, and the decision is deny (exit 2).
    let (code, err) = decide(d, &["b.pub"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a trusted key"), "{err}");

    // A grant changed and the digest re-sealed: the digest passes, the
    // signature does not.
    let mut v: Value =
        serde_json::from_slice(&std::fs::read(d.join("bundle.json")).unwrap()).unwrap();
    let phrase = &mut v["rules"][0]["confirm"]["cm/testing"];
    *phrase = Value::from("yes");
    v["digest"] = Value::from(bundle::digest_of(&v));
    std::fs::write(d.join("bundle.json"), bundle::to_pretty_json(&v)).unwrap();
    let mut args = vec![
        "decide",
        "--bundle",
        "bundle.json",
        "--lane",
        "cm/testing",
        "--action",
        "empty_bootstrap",
        "--confirm",
        "yes",
    ];
    assert_eq!(
        run_in(d, &args).code,
        0,
        "without keys the re-sealed bundle loads"
    );
    args.extend(["--trusted-key", "a.pub"]);
    let r = run_in(d, &args);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.stderr.contains("does not match the bundle"),
        "{}",
        r.stderr
    );

    // No signature at all.
    std::fs::remove_file(d.join("bundle.json.minisig")).unwrap();
    let (code, err) = decide(d, &["a.pub"]);
    assert_eq!(code, 2);
    assert!(err.contains("not signed"), "{err}");

    // Every command that reads a bundle applies the keys.
    for cmd in [
        vec!["lanes", "--bundle", "bundle.json"],
        vec!["export", "launchplane", "--bundle", "bundle.json"],
        vec!["diff", "bundle.json", "bundle.json"],
        vec!["graph", "--bundle", "bundle.json"],
    ] {
        let mut args = cmd.clone();
        args.extend(["--trusted-key", "a.pub"]);
        let r = run_in(d, &args);
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (2, ""),
            "{cmd:?}: {}",
            r.stderr
        );
        assert!(r.stderr.contains("not signed"), "{cmd:?}: {}", r.stderr);
    }
}

#[test]
fn bad_keys_are_refused_and_nothing_is_written() {
    let dir = project();
    let d = dir.path();
    assert_eq!(run_in(d, &["build", "-o", "bundle.json"]).code, 0);
    let r = run_in(
        d,
        &[
            "decide",
            "--bundle",
            "bundle.json",
            "--lane",
            "cm/testing",
            "--action",
            "deploy",
            "--trusted-key",
            "RWnot-a-key",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("not a minisign public key"),
        "{}",
        r.stderr
    );

    // A bundle signed with `a.key`, read trusting one key.
    let r = run_in(d, &["build", "-o", "bundle.json", "--sign-key", "a.key"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let trusting = |key: &str| {
        run_in(
            d,
            &["lanes", "--bundle", "bundle.json", "--trusted-key", key],
        )
    };
    // A path that does not exist is said to be one; a `.pub` written with
    // a BOM is trusted.
    let r = trusting("keys/missing.pub");
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no file has that name"), "{}", r.stderr);
    let r = trusting("policies");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("that is not a regular file"),
        "{}",
        r.stderr
    );
    let public = std::fs::read_to_string(d.join("a.pub")).unwrap();
    std::fs::write(d.join("bom.pub"), format!("\u{feff}{public}")).unwrap();
    let r = trusting("bom.pub");
    assert_eq!(r.code, 0, "{}", r.stderr);

    // A secret key that is not one: no bundle, no signature.
    std::fs::write(d.join("bad.key"), "hello\n").unwrap();
    let r = run_in(d, &["build", "-o", "out.json", "--sign-key", "bad.key"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("not a minisign secret key"),
        "{}",
        r.stderr
    );
    assert!(!d.join("out.json").exists() && !d.join("out.json.minisig").exists());
    assert!(
        r.stderr.ends_with("; no bundle was written\n"),
        "{}",
        r.stderr
    );

    // The public key or a signature given as the secret key, and the
    // secret key given as a trusted key: each named as such.
    let public_line = std::fs::read_to_string(d.join("a.pub")).unwrap();
    std::fs::write(d.join("line.pub"), public_line.lines().nth(1).unwrap()).unwrap();
    for (key, says) in [
        ("a.pub", "this is a minisign public key, not a secret key"),
        (
            "line.pub",
            "this is a minisign public key, not a secret key",
        ),
        (
            "bundle.json.minisig",
            "this is a minisign signature (a `.minisig` file), not a secret key",
        ),
    ] {
        let r = run_in(d, &["build", "-o", "out.json", "--sign-key", key]);
        assert_eq!(r.code, 2, "{key}");
        assert!(r.stderr.contains(says), "{key}: {}", r.stderr);
        assert!(!d.join("out.json").exists() && !d.join("out.json.minisig").exists());
    }
    let r = trusting("a.key");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("this is a minisign secret key, not a public key: trust the public key"),
        "{}",
        r.stderr
    );

    // An unencrypted key as `minisign -G -W` writes it (no KDF): named as such.
    std::fs::write(
        d.join("w.key"),
        "untrusted comment: minisign encrypted secret key\nRWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAhxhmFJfrVKn45o12LSeK7V4hZl20+imCA2wiyMZaXINqVCaXhqGWgtSRzA82zJV+abri6JRfkb2oGTkwm4kbS49V1SNFudY7AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    )
    .unwrap();
    let r = run_in(d, &["build", "-o", "out.json", "--sign-key", "w.key"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("an unencrypted secret key (written by `minisign -G -W`) cannot be read"),
        "{}",
        r.stderr
    );
    assert!(!d.join("out.json").exists());

    // An encrypted key without its password: refused, never prompted.
    let kp = KeyPair::generate_encrypted_keypair(Some("pw".into())).unwrap();
    std::fs::write(d.join("enc.key"), kp.sk.to_box(None).unwrap().into_string()).unwrap();
    std::fs::write(d.join("enc.pub"), kp.pk.to_box().unwrap().into_string()).unwrap();
    let r = run_in(d, &["build", "-o", "out.json", "--sign-key", "enc.key"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("LANEPOLICY_SIGN_PASSWORD"),
        "{}",
        r.stderr
    );
    assert!(!d.join("out.json").exists());
    // With it: signed.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lanepolicy"))
        .args(["build", "-o", "out.json", "--sign-key", "enc.key"])
        .current_dir(d)
        .env("LANEPOLICY_SIGN_PASSWORD", "pw")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = run_in(
        d,
        &["lanes", "--bundle", "out.json", "--trusted-key", "enc.pub"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn reload_signed_keeps_the_last_good_bundle() {
    let dir = project();
    let d = dir.path();
    assert_eq!(
        run_in(d, &["build", "-o", "bundle.json", "--sign-key", "a.key"]).code,
        0
    );
    let bytes = std::fs::read(d.join("bundle.json")).unwrap();
    let sig = std::fs::read(d.join("bundle.json.minisig")).unwrap();
    let mut keys = TrustedKeys::new();
    keys.add(&std::fs::read_to_string(d.join("a.pub")).unwrap())
        .unwrap();
    let mut rt = Runtime::from_signed_bytes(&bytes, Some(&sig), &keys).unwrap();
    let digest = rt.digest().to_string();

    // Signed by b, not trusted.
    assert_eq!(
        run_in(d, &["build", "-o", "other.json", "--sign-key", "b.key"]).code,
        0
    );
    let other_sig = std::fs::read(d.join("other.json.minisig")).unwrap();
    let err = rt
        .reload_signed(&bytes, Some(&other_sig), &keys)
        .unwrap_err();
    assert!(matches!(err, BundleError::Signature { .. }), "{err}");
    assert_eq!(
        rt.reload_signed(&bytes, None, &keys).unwrap_err(),
        BundleError::Unsigned
    );
    assert_eq!(rt.digest(), digest);
    let facts = Facts::at("2030-01-01T00:00:00Z".parse().unwrap());
    let req = Request::new("cm/testing", "empty_bootstrap").confirm("bootstrap cm testing");
    assert!(rt.decide(&req, &facts).is_allow());
    // Trusting both keys (rotation) accepts either signature.
    keys.add(&std::fs::read_to_string(d.join("b.pub")).unwrap())
        .unwrap();
    rt.reload_signed(&bytes, Some(&other_sig), &keys).unwrap();
}

/// `build` of `policies` into `bundle.json`, signed with `a.key`.
const SIGNED_BUILD: [&str; 6] = [
    "build",
    "policies",
    "-o",
    "bundle.json",
    "--sign-key",
    "a.key",
];

#[test]
fn the_key_and_the_inputs_are_never_written_over() {
    let dir = project();
    let d = dir.path();
    let key = std::fs::read(d.join("a.key")).unwrap();
    let inventory = std::fs::read(d.join("policies/lanes.yaml")).unwrap();
    // The signing key as the output: refused, the key kept.
    let r = run_in(
        d,
        &["build", "policies", "-o", "a.key", "--sign-key", "a.key"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("is one of the input files"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(d.join("a.key")).unwrap(), key);
    // The signature's file a link to an input: refused before anything is
    // written, the input kept.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(d.join("policies/lanes.yaml"), d.join("bundle.json.minisig"))
            .unwrap();
        let r = run_in(d, &SIGNED_BUILD);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("bundle.json.minisig"), "{}", r.stderr);
        assert_eq!(
            std::fs::read(d.join("policies/lanes.yaml")).unwrap(),
            inventory
        );
        assert!(!d.join("bundle.json").exists());
        std::fs::remove_file(d.join("bundle.json.minisig")).unwrap();
    }
    // Temporary files left by killed runs (of any process id) are not in
    // the way, and are not taken for this run's.
    let stale: Vec<String> = (0..4)
        .map(|k| format!(".bundle.json.tmp-{k}"))
        .chain([".bundle.json.minisig.tmp-1".to_string()])
        .collect();
    for s in &stale {
        std::fs::write(d.join(s), "left by a killed run").unwrap();
    }
    let r = run_in(d, &SIGNED_BUILD);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(decide(d, &["a.pub"]).0, 0);
    let mut names: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    names.sort();
    let mut expected = stale.clone();
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn an_output_name_near_the_systems_limit_is_written() {
    let dir = project();
    let d = dir.path();
    // 245 bytes, its signature's name 253, under the usual limit of 255
    // for one name: the temporary files beside them must fit too.
    let name = format!("{}.json", "b".repeat(240));
    let r = run_in(
        d,
        &["build", "policies", "-o", &name, "--sign-key", "a.key"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(d.join(&name).is_file());
    assert!(d.join(format!("{name}.minisig")).is_file());
}
