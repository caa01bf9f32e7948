#![no_main]
//! See `lanepolicy_fuzz::policy_utf8` for what this target checks (valid UTF-8 only).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        lanepolicy_fuzz::policy_utf8(text);
    }
});
