//! The error codes are ABI: a client that decoded 6056 as `InvalidFundShare` must keep doing so. This file pins
//! every released code and name; the one list (`backstop_errors!`) may only grow at its end.

use backstop_math::error::{by_code, ERRORS};

#[test]
fn released_codes_keep_their_names() {
    let released = include_str!("error_codes.txt");
    let mut count = 0;
    for line in released.lines().filter(|line| !line.starts_with('#') && !line.is_empty()) {
        let (code, name) = line.split_once(' ').expect("`code name`");
        let code: u32 = code.parse().expect("a code");
        assert_eq!(by_code(code).map(|info| info.name), Some(name), "code {code} changed meaning");
        count += 1;
    }
    assert!(ERRORS.len() >= count, "an error was removed");
}
